"""JSON Lines: one JSON object per line, keys named like the contract's columns or aliases.

Each line stands alone, so a broken line costs that line only. A line must be an object; a
value for a contract column must be a single value (text, number, true/false or null), not a
nested object or list; a key may appear once. Keys the contract does not know are recorded as
drift and dropped.
"""

from __future__ import annotations

import json
from typing import BinaryIO, Iterator

from govlake.errors import DeliveryError
from jobs.readers.base import OpenedFile, ParsedRecord, Reader, control_problem, listed, normalise_name, shown_name
from jobs.readers.text import Line, decoded_lines

_KINDS = {list: "a JSON array", str: "a JSON string", int: "a JSON number", float: "a JSON number",
          bool: "true or false", type(None): "null"}


class _DuplicateKey(ValueError):
    pass


def _object(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def _no_constants(name: str):
    raise ValueError(f"{name} is not valid JSON")


class JsonLinesReader(Reader):
    format = "jsonl"

    def open(self, stream: BinaryIO, name: str) -> OpenedFile:
        s = self.settings
        head = stream.read(1 << 16)
        if not head:
            raise DeliveryError(f"{name}: empty file: no JSON lines to read")
        decoding, lines = decoded_lines(stream, s.encoding, name, s.max_record_bytes, head=head)
        opened = OpenedFile(name, decoding, iter(()), notes=list(decoding.notes))
        opened.items = self._records(lines, opened)
        return opened

    def _records(self, lines: Iterator[Line], opened: OpenedFile) -> Iterator[ParsedRecord]:
        s = self.settings
        lookup = s.lookup()
        extra: dict[str, None] = {}
        decoder = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_no_constants)
        for line in lines:
            n = line.number
            if line.too_long:
                yield ParsedRecord(n, None, f"line {n}: longer than the limit of {s.max_record_bytes} bytes; not read")
                continue
            text = line.text
            if not text.strip():
                continue
            if line.undecodable:
                yield ParsedRecord(n, None, f"line {n}: not valid {opened.decoding.encoding} text", text)
                continue
            try:
                record = decoder.decode(text.lstrip("\ufeff"))
            except _DuplicateKey as exc:
                column = lookup.get(normalise_name(str(exc.args[0])))
                key = s.describe(column) if column else "a key"
                yield ParsedRecord(n, None, f"line {n}: {key} appears twice in the object", text)
                continue
            except json.JSONDecodeError as exc:
                yield ParsedRecord(n, None, f"line {n}: not valid JSON: {exc.msg} (character {exc.colno})", text)
                continue
            except ValueError as exc:
                yield ParsedRecord(n, None, f"line {n}: {exc}", text)
                continue
            if not isinstance(record, dict):
                yield ParsedRecord(n, None, f"line {n}: {_KINDS.get(type(record), 'a JSON value')} where an object "
                                            "is expected", text)
                continue
            values: dict[str, str | None] = {}
            problem = None
            for key, value in record.items():
                column = lookup.get(normalise_name(key))
                if column is None:
                    if len(extra) < 1000:
                        extra.setdefault(shown_name(key), None)
                    continue
                if isinstance(value, (dict, list)):
                    problem = f"line {n}: column {column}: {'a nested object' if isinstance(value, dict) else 'a list'}" \
                              " where a single value is expected"
                    break
                if value is None:
                    values[column] = None
                elif isinstance(value, bool):
                    values[column] = "true" if value else "false"
                else:
                    values[column] = value if isinstance(value, str) else json.dumps(value)
                problem = control_problem(n, column, values[column] or "")
                if problem:
                    break
            if problem:
                yield ParsedRecord(n, None, problem, text)
            else:
                yield ParsedRecord(n, values)
        opened.extra_columns = listed(list(extra))
        if extra:
            opened.notes.append(f"{len(extra)} key(s) not in the contract, kept only in the delivered file")
