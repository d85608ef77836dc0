"""Discovery: scan a sample of every column of a batch, declared or not, for personal data.

Findings are aggregated into counts and score distributions per column and entity type; the
sampled values themselves never leave this module.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Iterable

from govlake.contracts import Contract

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


def discover(contract: Contract, sample: list[dict]) -> dict:
    """Classify every column of a sampled batch; undeclared personal data is listed for blocking."""
    policy = contract.discovery
    scanned = scan_rows(sample, contract.column_names, policy.threshold)
    columns, undeclared = [], []
    for col in contract.columns:
        stat = scanned[col.name]
        if col.personal:
            status = "declared"
        elif col.name in contract.free_text_columns:
            status = "free_text"
        elif col.name in policy.ignore_columns:
            status = "ignored"
        elif stat["fraction"] >= policy.min_fraction and stat["entities"]:
            status = "undeclared"
            undeclared.append({"column": col.name, "entities": sorted(stat["entities"]), "fraction": stat["fraction"]})
        else:
            status = "clean"
        columns.append({"column": col.name, "status": status,
                        "declared_entity": col.personal.entity if col.personal else None, **stat})
    return {"sample_rows": len(sample), "threshold": policy.threshold, "min_fraction": policy.min_fraction,
            "on_undeclared": policy.on_undeclared, "columns": columns, "undeclared": undeclared}
