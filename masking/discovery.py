"""Discovery: scan a sample of every column of a batch, declared or not, for personal data.

Findings are aggregated into counts and score distributions per column and entity type; the
sampled values themselves never leave this module.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable

SCORE_BUCKETS = ("0.5-0.6", "0.6-0.7", "0.7-0.8", "0.8-0.9", "0.9-1.0")


def score_bucket(score: float) -> str:
    return SCORE_BUCKETS[min(4, max(0, int((score - 0.5) * 10)))]


def scan_rows(rows: Iterable[dict], columns: list[str], threshold: float) -> dict[str, dict]:
    """Per column: cells sampled, cells with a finding, and per entity type the count and score histogram."""
    from masking.text import analyze

    stats: dict[str, dict] = {c: {"cells": 0, "cells_with_findings": 0, "entities": defaultdict(Counter)}
                              for c in columns}
    for row in rows:
        for column in columns:
            value = row.get(column)
            if value is None or str(value).strip() == "":
                continue
            stat = stats[column]
            stat["cells"] += 1
            found = analyze(str(value), threshold=threshold)
            if found:
                stat["cells_with_findings"] += 1
            for r in found:
                stat["entities"][r.entity_type]["count"] += 1
                stat["entities"][r.entity_type][score_bucket(r.score)] += 1
    return {
        c: {"cells": s["cells"], "cells_with_findings": s["cells_with_findings"],
            "fraction": round(s["cells_with_findings"] / s["cells"], 4) if s["cells"] else 0.0,
            "entities": {e: {"count": h.pop("count"), "scores": {b: h.get(b, 0) for b in SCORE_BUCKETS}}
                         for e, h in sorted(s["entities"].items())}}
        for c, s in stats.items()
    }


@dataclass(frozen=True)
class ColumnRole:
    """What the dataset's description says of a column, as far as discovery needs to know."""

    name: str
    declared_entity: str | None = None  # declared personal data, with its entity type
    free_text: bool = False  # scanned and masked as free text
    ignored: bool = False  # reviewed: looks personal but is not


@dataclass(frozen=True)
class DiscoveryPolicy:
    threshold: float = 0.5  # minimum detector score
    min_fraction: float = 0.1  # share of a column's sampled cells with a finding
    on_undeclared: str = "block"


def discover(columns: list[ColumnRole], sample: list[dict], policy: DiscoveryPolicy) -> dict:
    """Classify every column of a sampled batch; undeclared personal data is listed for blocking."""
    scanned = scan_rows(sample, [c.name for c in columns], policy.threshold)
    out, undeclared = [], []
    for col in columns:
        stat = scanned[col.name]
        if col.declared_entity:
            status = "declared"
        elif col.free_text:
            status = "free_text"
        elif col.ignored:
            status = "ignored"
        elif stat["fraction"] >= policy.min_fraction and stat["entities"]:
            status = "undeclared"
            undeclared.append({"column": col.name, "entities": sorted(stat["entities"]), "fraction": stat["fraction"]})
        else:
            status = "clean"
        out.append({"column": col.name, "status": status, "declared_entity": col.declared_entity, **stat})
    return {"sample_rows": len(sample), "threshold": policy.threshold, "min_fraction": policy.min_fraction,
            "on_undeclared": policy.on_undeclared, "columns": out, "undeclared": undeclared}
