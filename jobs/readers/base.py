"""What every reader shares: the settings it reads with, the records it yields, header names.

A reader turns one delivered file into records. It never raises for a bad *row*: the row comes
out with a ``problem`` naming the line and column (never the value) and goes to quarantine. It
raises :class:`~govlake.errors.DeliveryError` only when the file as a whole cannot be read
(wrong encoding, no usable header, a corrupt archive): then nothing of the delivery is ingested.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, ClassVar, Iterator

from jobs.readers.text import Decoding

if TYPE_CHECKING:
    from govlake.contracts import Contract

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_LISTED = 20


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    nullable: bool
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class ReadSettings:
    """The part of a contract a reader needs: small and picklable, so Spark executors get it too."""

    dataset: str
    format: str
    encoding: str
    delimiter: str
    file_pattern: str
    columns: tuple[ColumnSpec, ...]
    missing_columns: str = "reject"
    extra_columns: str = "allow"
    max_record_bytes: int = 1 << 20

    @classmethod
    def from_contract(cls, contract: Contract) -> ReadSettings:
        s = contract.source
        return cls(dataset=contract.dataset, format=s.format, encoding=s.encoding, delimiter=s.delimiter,
                   file_pattern=s.file_pattern,
                   columns=tuple(ColumnSpec(c.name, c.nullable, c.aliases) for c in contract.columns),
                   missing_columns=s.missing_columns, extra_columns=s.extra_columns,
                   max_record_bytes=s.max_record_bytes)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def lookup(self) -> dict[str, str]:
        """Normalised header name or alias -> contract column."""
        found = {}
        for col in self.columns:
            for alias in (col.name, *col.aliases):
                found[normalise_name(alias)] = col.name
        return found

    def describe(self, column: str) -> str:
        spec = next(c for c in self.columns if c.name == column)
        return f"{column} ({spec.aliases[0]})" if spec.aliases else column


@dataclass
class ParsedRecord:
    line: int  # where the record starts (physical line; the header is line 1)
    values: dict[str, str | None] | None  # contract column -> text; None when the record is unusable
    problem: str | None = None  # "line 7: column mobile: ..." (the file is added by the caller)
    raw: str | None = None  # the record's own text, kept in quarantine for bad records only


@dataclass
class RecordBlock:
    """Good records on consecutive lines, column by column: the common case, read in bulk."""

    first_line: int
    count: int
    values: dict[str, object | None]  # contract column -> its text per record (a pyarrow string array); None: not in the file

    def records(self) -> Iterator[ParsedRecord]:
        names = [name for name, v in self.values.items() if v is not None]  # as a single record: absent, not None
        columns = [v.to_pylist() for v in self.values.values() if v is not None]
        for line, row in enumerate(zip(*columns, strict=True), start=self.first_line):
            yield ParsedRecord(line, dict(zip(names, row, strict=True)))


@dataclass
class OpenedFile:
    """A file whose encoding and header were understood; its records follow.

    ``items`` yields single records (every bad one among them) and blocks of good records;
    ``records`` is the same, one record at a time.
    """

    name: str
    decoding: Decoding
    items: Iterator[ParsedRecord | RecordBlock]
    extra_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def records(self) -> Iterator[ParsedRecord]:
        for item in self.items:
            if isinstance(item, RecordBlock):
                yield from item.records()
            else:
                yield item

    def close(self) -> None:
        getattr(self.items, "close", lambda: None)()


class Reader:
    """One delivery format. Subclasses read one file; they are registered in ``jobs.readers``."""

    format: ClassVar[str]

    def __init__(self, settings: ReadSettings):
        self.settings = settings

    def open(self, stream: BinaryIO, name: str) -> OpenedFile:
        raise NotImplementedError


def normalise_name(name: str) -> str:
    """Header names compare without case, width, byte-order marks or surrounding blanks."""
    return unicodedata.normalize("NFKC", name.replace("\ufeff", "").replace("\u200b", "")).strip().lower()


def shown_name(name: str) -> str:
    """A header name safe to print: withheld when it looks like data rather than a column label."""
    text = name.strip()
    if len(text) > 40 or re.search(r"\d{5}|@", text) or CONTROL.search(text):
        return "(name withheld: looks like data)"
    return text


def listed(names: list[str], limit: int = MAX_LISTED) -> list[str]:
    return names[:limit] + ([f"... and {len(names) - limit} more"] if len(names) > limit else [])


def control_problem(line: int, column: str, text: str) -> str | None:
    m = CONTROL.search(text)
    return f"line {line}: column {column}: holds a control character (U+{ord(m.group()):04X})" if m else None
