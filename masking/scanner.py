"""Scan any extract or output file for personal data: CSV, JSON Lines or Parquet, any encoding the
ingest supports. Used by ``govlake scan`` and by the pipeline's discovery and verification."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Iterator

ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 is a superset of GBK and GB2312


@dataclass(frozen=True)
class Finding:
    row: int  # 0-based data row (the header is not a row)
    column: str
    start: int  # offsets into the cell's text as a Python string
    end: int
    entity_type: str
    score: float

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "score": round(self.score, 4)}, ensure_ascii=False)


class ScanError(ValueError):
    pass


def _decode(data: bytes, encoding: str | None, path: Path) -> str:
    for enc in ([encoding] if encoding else ENCODINGS):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ScanError(f"{path}: not valid text in {encoding or ' or '.join(ENCODINGS)}; give --encoding")


def iter_cells(path: Path, encoding: str | None = None, delimiter: str | None = None) -> Iterator[tuple[int, str, str]]:
    """(row, column, text) for every non-empty cell of a CSV, JSON Lines or Parquet file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet" or path.is_dir():
        import pyarrow.dataset as pads

        dataset = pads.dataset(str(path), format="parquet")
        row = 0
        for batch in dataset.to_batches():
            columns = {name: batch.column(i).to_pylist() for i, name in enumerate(batch.schema.names)}
            for i in range(batch.num_rows):
                for name, values in columns.items():
                    if values[i] is not None and str(values[i]).strip():
                        yield row + i, name, str(values[i])
            row += batch.num_rows
        return
    text = _decode(path.read_bytes(), encoding, path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        for row, line in enumerate(line for line in text.splitlines() if line.strip()):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ScanError(f"{path}: data row {row}: not valid JSON ({exc.msg})") from None
            for name, value in (record.items() if isinstance(record, dict) else []):
                if value is not None and str(value).strip():
                    yield row, name, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;|\t").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip() for h in next(reader, [])]
    for row, values in enumerate(reader):
        for name, value in zip(header, values):
            if value.strip():
                yield row, name, value


def scan(cells: Iterable[tuple[int, str, str]], columns: Iterable[str] | None = None,
         threshold: float = 0.5) -> Iterator[Finding]:
    from masking.text import analyze

    wanted = set(columns or ())
    for row, column, text in cells:
        if wanted and column not in wanted:
            continue
        for r in sorted(analyze(text, threshold=threshold), key=lambda r: (r.start, r.end)):
            yield Finding(row, column, r.start, r.end, r.entity_type, float(r.score))


def summarise(findings: list[Finding]) -> Counter:
    return Counter((f.column, f.entity_type) for f in findings)
