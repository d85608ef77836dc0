"""Compressed deliveries: gzip, bzip2, xz and zip, recognised by their first bytes.

A file's compression is what its bytes say, not its name (a ``.csv`` that is really gzip is
read as gzip, with a note). Formats we cannot read (7z, rar, ...) are refused by name. A
corrupt or truncated archive refuses the whole file: rows cut off by a broken archive are
rows lost, and a delivery is never half-ingested.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
import zlib
from fnmatch import fnmatch
from typing import BinaryIO

from govlake.errors import DeliveryError

MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # an empty zip archive
)
UNSUPPORTED = (
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zip": "zip"}
UNSUPPORTED_SUFFIXES = {".7z": "7z", ".rar": "rar", ".zst": "zstd", ".tar": "tar", ".tgz": "tar"}
SUPPORTED = "gzip, bzip2, xz or zip"
_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, ValueError)


def strip_suffix(name: str) -> tuple[str, str | None]:
    """``x.csv.gz`` -> (``x.csv``, "gzip"); names without a compression suffix are returned as they are."""
    lower = name.lower()
    for suffix, kind in {**SUFFIXES, **UNSUPPORTED_SUFFIXES}.items():
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], kind
    return name, None


def sniff(head: bytes) -> str | None:
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    for magic, kind in UNSUPPORTED:
        if head.startswith(magic):
            return kind
    return None


def check_supported(kind: str | None, name: str) -> None:
    if kind is not None and kind not in ("gzip", "bzip2", "xz", "zip"):
        raise DeliveryError(f"{name}: a {kind} archive; govlake reads {SUPPORTED} compressed deliveries only")


def zip_members(archive: BinaryIO, name: str, pattern: str) -> list[str]:
    """Members of a zip archive whose names match the contract's file pattern."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [i for i in zf.infolist() if not i.is_dir()]
    except _ERRORS as exc:
        raise DeliveryError(f"{name}: not a readable zip archive ({_plain(exc)})") from None
    wanted = [m.filename for m in members if fnmatch(m.filename.rsplit("/", 1)[-1], pattern)]
    if not wanted:
        raise DeliveryError(f"{name}: the zip archive holds no file matching '{pattern}' "
                            f"({len(members)} other file{'s' if len(members) != 1 else ''})")
    encrypted = [m.filename for m in members if m.filename in wanted and m.flag_bits & 0x1]
    if encrypted:
        raise DeliveryError(f"{name}: zip member {encrypted[0]} is encrypted; deliver it unencrypted")
    return wanted


class _Guarded(io.RawIOBase):
    """A decompressing stream whose errors become a DeliveryError naming the file."""

    def __init__(self, inner: BinaryIO, name: str, kind: str):
        self._inner, self._name, self._kind, self._done = inner, name, kind, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._inner.read(len(buffer))
        except _ERRORS as exc:
            raise DeliveryError(f"{self._name}: the {self._kind} archive is corrupt or truncated after "
                                f"{self._done} bytes of content ({_plain(exc)})") from None
        buffer[: len(data)] = data
        self._done += len(data)
        return len(data)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def open_content(raw: BinaryIO, kind: str | None, name: str, member: str | None = None) -> BinaryIO:
    """The delivered content of a (possibly compressed) file as a binary stream."""
    if kind is None:
        return raw
    check_supported(kind, name)
    # The decompressing readers are closed by the _Guarded stream that owns them.
    if kind == "gzip":
        inner = gzip.GzipFile(fileobj=raw, mode="rb")
    elif kind == "bzip2":
        inner = bz2.BZ2File(raw, mode="rb")
    elif kind == "xz":
        inner = lzma.LZMAFile(raw, mode="rb")  # noqa: SIM115
    else:
        try:
            zf = zipfile.ZipFile(raw)
            inner = zf.open(member)
        except (*_ERRORS, KeyError) as exc:
            raise DeliveryError(f"{name}: not a readable zip archive ({_plain(exc)})") from None
    return io.BufferedReader(_Guarded(inner, f"{name}!{member}" if member else name, kind), buffer_size=1 << 20)


def _plain(exc: BaseException) -> str:
    """An archive library's complaint, without anything that could be content."""
    text = str(exc).split("\n", 1)[0]
    return text[:120] if text else type(exc).__name__
