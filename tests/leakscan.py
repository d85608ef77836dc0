"""Find planted canary values anywhere in a tree of pipeline outputs (Parquet decoded, text unescaped)."""

from __future__ import annotations

import contextlib
import html
import json
from pathlib import Path

import pyarrow.parquet as pq


def _texts(path: Path):
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        for column in table.columns:
            for value in column.to_pylist():
                if value is not None:
                    yield str(value)
        return
    raw = path.read_bytes()
    for encoding in ("utf-8", "gb18030"):
        text = raw.decode(encoding, errors="ignore")
        yield text
        yield html.unescape(text)
        with contextlib.suppress(ValueError):
            yield json.dumps(json.loads(text), ensure_ascii=False)


def find_canaries(roots, canaries) -> list[tuple[str, str]]:
    """(file, canary) for every canary found in any file below the roots."""
    hits = []
    for root in roots:
        root = Path(root)
        if not root.exists():
            continue
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for path in files:
            if path.name.endswith(".crc"):
                continue
            for text in _texts(path):
                for canary in canaries:
                    if canary in text:
                        hits.append((str(path), canary))
    return sorted(set(hits))


def find_in_text(text: str, canaries) -> list[str]:
    return [c for c in canaries if c in text]
