"""Delimited text (CSV and its relatives) with a header row.

Quoted fields may span lines. An unterminated quote would make the ``csv`` module swallow the
rest of the file into one field; here a record that spans lines must come out with the header's
number of fields, or the line where the quote opened is quarantined on its own (naming the
column) and reading resumes on the next line, so one stray quote costs one row.
"""

from __future__ import annotations

import csv
from collections import deque
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from govlake.errors import DeliveryError
from jobs.readers.base import (
    CONTROL,
    OpenedFile,
    ParsedRecord,
    Reader,
    RecordBlock,
    control_problem,
    listed,
    normalise_name,
    shown_name,
)
from jobs.readers.text import Line, LineBlock, decoded_line_blocks

MAX_RECORD_LINES = 1000  # a quoted field longer than this many lines is taken for an unterminated quote


@dataclass
class _Record:
    start: int
    end: int
    fields: list[str] | None  # None: the record could not be read
    lines: list[Line]
    open_quote_field: int | None = None  # index of the field whose quote never closed
    too_long: bool = False


def _parse(text: str, delimiter: str) -> list[str] | None:
    """The fields of a complete record, or None while a quoted field is still open."""
    try:
        return next(csv.reader([text], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            return None
        # Lenient about stray quotes inside a field (`ab"c`, `"a"b`), as spreadsheets are.
        return next(csv.reader([text], delimiter=delimiter))


def _open_field(text: str, delimiter: str) -> int:
    return len(next(csv.reader([text], delimiter=delimiter))) - 1


@dataclass
class _FieldBlock:
    first: int
    columns: list  # field index -> that field of every line (pyarrow string arrays)
    count: int


def _plain_fields(block: LineBlock, delimiter: str, width: int) -> _FieldBlock | None:
    """The block's fields when every line is a plain record: it decodes, holds no quote and no
    control character, and has the header's number of fields (so no blank line either).

    Anything else returns None and the block is read line by line, which decides the same cases
    one at a time; this only spares the common case the per-line work. Without quotes, splitting
    is all there is to parse, and pyarrow's CSV parser does it in C++ straight into Arrow arrays.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if width < 2 or len(delimiter) != 1:
        return None
    text = block.clean_text()
    if text is None or '"' in text or CONTROL.search(text):  # LF joins the lines: not a control character here
        return None
    if text.startswith("\ufeff"):  # pyarrow would drop it as a byte-order mark; line by line keeps it
        return None
    names = [f"f{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False, block_size=1 << 26),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except pa.ArrowInvalid:  # a line with another number of fields
        return None
    if table.num_rows != len(block.raws):  # a blank line was skipped: read the block line by line
        return None
    return _FieldBlock(block.first, [c.combine_chunks() for c in table.columns], table.num_rows)


MIN_BULK_LINES = 256  # a block that is not all plain is halved until its parts are this small


def assemble(blocks: Iterator[LineBlock], delimiter: str, width_of, max_bytes: int) -> Iterator[_Record | _FieldBlock]:
    """Records from lines. ``width_of()`` is the header's field count once known (None before)."""
    pushed: deque[Line] = deque()
    waiting: deque[LineBlock] = deque()  # halves of a block that was not all plain, in file order

    def next_block() -> LineBlock | None:
        return waiting.popleft() if waiting else next(blocks, None)

    def next_line() -> Line | None:
        while not pushed:
            block = next_block()
            if block is None:
                return None
            pushed.extend(block.lines())
        return pushed.popleft()

    while True:
        if not pushed:  # between records: a whole block of plain lines can be taken at once
            block = next_block()
            if block is None:
                return
            width = width_of()
            plain = _plain_fields(block, delimiter, width) if width is not None else None
            if plain is not None:
                yield plain
                continue
            if width is not None and len(block.raws) >= 2 * MIN_BULK_LINES:
                # One awkward line should not cost the whole block its bulk reading.
                waiting.extendleft(reversed(block.halves()))
                continue
            pushed.extend(block.lines())
            if not pushed:
                continue
        line = pushed.popleft()
        if line.too_long:
            yield _Record(line.number, line.number, None, [line], too_long=True)
            continue
        if '"' not in line.text:  # the common case, no quoting at all
            yield _Record(line.number, line.number, line.text.split(delimiter), [line])
            continue
        pending, size = [line], len(line.text)
        fields = _parse(line.text, delimiter)
        closed = True
        while fields is None:  # a quoted field is still open: it may continue on the next line
            nxt = next_line() if len(pending) < MAX_RECORD_LINES and size <= max_bytes else None
            if nxt is None or nxt.too_long:
                if nxt is not None:
                    pushed.appendleft(nxt)
                closed = False
                break
            pending.append(nxt)
            size += len(nxt.text)
            if '"' in nxt.text:  # only a line with a quote can close the field
                fields = _parse("\n".join(p.text for p in pending), delimiter)
        width = width_of()
        if closed and (len(pending) == 1 or width is None or len(fields) == width):
            yield _Record(pending[0].number, pending[-1].number, fields, pending)
            continue
        # The quote opened on the first line never closes properly: that line alone is bad, and
        # every later line is read again as a record of its own.
        first = pending[0]
        pushed.extendleft(reversed(pending[1:]))
        yield _Record(first.number, first.number, None, [first], open_quote_field=_open_field(first.text, delimiter))


class CsvReader(Reader):
    format = "csv"

    def open(self, stream: BinaryIO, name: str) -> OpenedFile:
        s = self.settings
        decoding, blocks = decoded_line_blocks(stream, s.encoding, name, s.max_record_bytes)
        header: list[str] | None = None
        records = assemble(blocks, s.delimiter, lambda: len(header) if header is not None else None,
                           s.max_record_bytes)
        for first in records:
            if first.fields is not None and not (len(first.fields) == 1 and not first.fields[0].strip()):
                break
            if first.fields is None:
                raise DeliveryError(f"{name}: line {first.start}: the header row cannot be read"
                                    + (" (longer than the record limit)" if first.too_long else
                                       " (a quote in it is never closed)"))
        else:
            raise DeliveryError(f"{name}: empty file: a header row was expected")
        if any(p.undecodable for p in first.lines):
            raise DeliveryError(f"{name}: line {first.start}: the header row is not valid {decoding.encoding} text")
        header = first.fields
        positions, extra, missing, notes = self._map_header(header, name, first.start)
        opened = OpenedFile(name, decoding, iter(()), extra_columns=extra, missing_columns=missing,
                            notes=decoding.notes + notes)
        opened.items = self._records(records, header, positions)
        return opened

    def _map_header(self, header: list[str], name: str, line: int):
        s = self.settings
        lookup = s.lookup()
        positions: dict[str, int] = {}
        unknown: list[int] = []
        for i, raw in enumerate(header):
            column = lookup.get(normalise_name(raw))
            if column is None:
                unknown.append(i)
            elif column in positions:
                raise DeliveryError(f"{name}: line {line}: columns {positions[column] + 1} and {i + 1} of the header "
                                    f"both hold {s.describe(column)}; which one to read is ambiguous")
            else:
                positions[column] = i
        where = f"{name}: line {line}"
        if not positions:
            hint = ""
            for sep, label in (("\t", "tab"), (";", "semicolon"), ("|", "vertical bar"), (",", "comma")):
                if sep != s.delimiter and len(header) == 1 and header[0].count(sep) >= 2:
                    hint = f" The line holds no '{s.delimiter}' but {header[0].count(sep)} {label} characters: " \
                           f"is the file {label}-delimited?"
                    break
            expected = ", ".join(s.describe(c) for c in s.column_names[:4])
            raise DeliveryError(f"{where}: the first line matches none of the contract's columns (expected names such "
                                f"as {expected}): is the header row missing?{hint}")
        plausible = len(positions) * 2 >= len(header) or len(positions) * 2 >= len(s.columns)

        def label(i: int) -> str:
            return f"column {i + 1} ({shown_name(header[i]) if plausible else 'name withheld'})"

        missing = [c.name for c in s.columns if c.name not in positions]
        required = [c for c in missing if not next(x for x in s.columns if x.name == c).nullable]
        if required or (missing and s.missing_columns == "reject"):
            gone = required or missing
            renamed = f"; the header has {len(unknown)} column(s) the contract does not know " \
                      f"({', '.join(listed([label(i) for i in unknown], 5))}): renamed? add the new name to the " \
                      "contract's aliases" if unknown else ""
            kind = "required " if required else ""
            raise DeliveryError(f"{where}: the header lacks {kind}column(s) {', '.join(s.describe(c) for c in gone)}"
                                f"{renamed}")
        if unknown and s.extra_columns == "reject":
            raise DeliveryError(f"{where}: the header has {len(unknown)} column(s) the contract does not know "
                                f"({', '.join(listed([label(i) for i in unknown], 5))}) and the contract rejects "
                                "extra columns")
        extra = listed([label(i) for i in unknown])
        notes = []
        if missing:
            notes.append(f"columns not in the file, left empty: {', '.join(missing)}")
        if unknown:
            notes.append(f"{len(unknown)} column(s) not in the contract, kept only in the delivered file")
        return positions, extra, missing, notes

    def _records(self, records: Iterator[_Record | _FieldBlock], header: list[str], positions: dict[str, int]):
        s = self.settings
        width = len(header)
        by_index = {i: c for c, i in positions.items()}
        for rec in records:
            if isinstance(rec, _FieldBlock):
                yield RecordBlock(rec.first, rec.count,
                                  {c.name: rec.columns[positions[c.name]] if c.name in positions else None
                                   for c in s.columns})
                continue
            line = rec.start
            raw = "\n".join(p.text for p in rec.lines if p.text is not None)
            if rec.too_long:
                yield ParsedRecord(line, None, f"line {line}: longer than the limit of {s.max_record_bytes} bytes; "
                                               "not read", None)
                continue
            if rec.fields is None:
                column = by_index.get(rec.open_quote_field)
                where = f"column {column}" if column else f"field {rec.open_quote_field + 1}"
                yield ParsedRecord(line, None, f"line {line}: {where}: a quote opens here and is never closed; "
                                               "the lines after it were read on their own", raw)
                continue
            fields = rec.fields
            if len(fields) == 1 and not fields[0].strip():
                continue  # a blank line is not a record
            if len(fields) != width:
                if len(fields) < width:
                    lacking = [by_index[i] for i in range(len(fields), width) if i in by_index]
                    detail = f" (no value for {', '.join(lacking)})" if lacking else ""
                    problem = f"line {line}: {len(fields)} fields where the header has {width}{detail}"
                else:
                    problem = f"line {line}: {len(fields)} fields where the header has {width}"
                yield ParsedRecord(line, None, problem, raw)
                continue
            values = {c: fields[i] for c, i in positions.items()}
            problem = None
            if any(p.undecodable for p in rec.lines):
                bad = next((c for c, v in values.items() if "\ufffd" in v), None)
                problem = f"line {line}: {'column ' + bad + ': ' if bad else ''}not valid {s.encoding} text"
            else:
                for c, v in values.items():
                    problem = control_problem(line, c, v)
                    if problem:
                        break
            if problem:
                yield ParsedRecord(line, None, problem, raw)
            else:
                yield ParsedRecord(line, values)
