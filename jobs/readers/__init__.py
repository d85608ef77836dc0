"""Delivery readers, registered in one place: a new format is one file and one line here.

Readers are plain Python over a binary stream (no Spark), so the same code runs on Spark
executors, in ``govlake sign`` (to count a delivery's rows) and under property tests.
"""

from __future__ import annotations

import io
from typing import BinaryIO

from govlake.errors import DeliveryError
from jobs.readers.archives import open_content, sniff, zip_members
from jobs.readers.base import ColumnSpec, OpenedFile, ParsedRecord, Reader, ReadSettings, RecordBlock
from jobs.readers.csv_reader import CsvReader
from jobs.readers.jsonl_reader import JsonLinesReader

READERS: dict[str, type[Reader]] = {cls.format: cls for cls in (CsvReader, JsonLinesReader)}


def reader_for(settings: ReadSettings) -> Reader:
    return READERS[settings.format](settings)


class _Prepended(io.RawIOBase):
    """A stream whose first bytes were already read (to sniff the compression)."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def open_delivered(stream: BinaryIO, name: str, settings: ReadSettings, member: str | None = None) -> OpenedFile:
    """Open one delivered file (compressed or not) for reading its records.

    ``stream`` must be seekable for a zip archive; ``member`` names the zip member to read (the
    only one matching the contract's pattern when not given). Raises DeliveryError naming the
    file when it cannot be read as a whole; bad rows come out of ``records`` with their problem.
    """
    head = stream.read(8)
    if not head:
        raise DeliveryError(f"{name}: empty file (0 bytes): nothing to read")
    kind = sniff(head)
    if kind == "zip":
        stream.seek(0)
        if member is None:
            members = zip_members(stream, name, settings.file_pattern)
            if len(members) > 1:
                raise DeliveryError(f"{name}: the zip archive holds {len(members)} files to read; name one")
            member = members[0]
            stream.seek(0)
        content = open_content(stream, kind, name, member)
    else:
        rest = io.BufferedReader(_Prepended(head, stream), buffer_size=1 << 20)
        content = open_content(rest, kind, name)
    return reader_for(settings).open(content, f"{name}!{member}" if member else name)


def read_all(data: bytes, name: str, settings: ReadSettings) -> tuple[OpenedFile, list[ParsedRecord]]:
    """Every record of an in-memory file (tests, and counting rows for a delivery manifest)."""
    opened = open_delivered(io.BytesIO(data), name, settings)
    return opened, list(opened.records)


__all__ = ["READERS", "ColumnSpec", "OpenedFile", "ParsedRecord", "ReadSettings", "Reader", "RecordBlock", "open_delivered",
           "read_all", "reader_for"]
