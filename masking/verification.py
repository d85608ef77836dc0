"""Verification: after masking, check the output again before anything is published.

- every declared personal column must hold only what its operator produces (a token, a mask,
  a district, ...): a vectorised regular-expression check over the whole batch;
- every free-text column is analysed again, on the executors, over the whole batch: any finding
  at or above the threshold is a leak.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Iterator

from masking.operators import get_operator


def _free_text_rescan(columns: list[str], threshold: float):
    def rescan(frames: Iterator) -> Iterator:
        import pandas as pd

        from masking.text import analyze_many

        counts: Counter = Counter()
        for frame in frames:
            for col in columns:
                for results in analyze_many(frame[col].tolist(), threshold=threshold):
                    for r in results:
                        counts[(col, r.entity_type)] += 1
        if counts:  # an empty frame trips Spark's Arrow conversion: yield nothing instead
            yield pd.DataFrame({"column": [c for c, _ in counts], "entity": [e for _, e in counts],
                                "n": [int(n) for n in counts.values()]})

    return rescan


def verify(masked, declared: list[tuple[str, str, dict]], free_text_columns: list[str], threshold: float,
           partitions: int) -> dict:
    """Check a masked batch: ``declared`` is (column, operator, params) for every declared column;
    ``partitions`` spreads the free-text rescan over the engine's cores."""
    from pyspark.sql import functions as F

    columns = []
    checks = []
    for name, op_name, params in declared:
        pattern = get_operator(op_name).verify_pattern(params)
        if pattern is None:
            continue
        checks.append((name, op_name,
                       F.sum(F.when(F.col(name).isNotNull() & ~F.col(name).cast("string").rlike(pattern), 1)
                             .otherwise(0)).alias(name)))
    if checks:
        row = masked.agg(*[c for _, _, c in checks]).first()
        for name, op_name, _ in checks:
            columns.append({"column": name, "operator": op_name, "unmasked_values": int(row[name] or 0)})
    free_text = {}
    if free_text_columns:
        cols = list(free_text_columns)
        # Spread over every core: analysing a cell costs milliseconds, a shuffle of text columns far less.
        found = masked.select(*cols).repartition(partitions).mapInPandas(_free_text_rescan(cols, threshold),
                                                 "column string, entity string, n long")
        for r in found.groupBy("column", "entity").agg(F.sum("n").alias("n")).collect():
            free_text.setdefault(r["column"], {})[r["entity"]] = int(r["n"])
    leaks = sum(d["unmasked_values"] for d in columns) + sum(sum(v.values()) for v in free_text.values())
    return {"passed": leaks == 0, "threshold": threshold, "declared_columns": columns,
            "free_text_findings": free_text, "findings": leaks}


def describe(result: dict) -> str:
    parts = [f"{d['column']}: {d['unmasked_values']} value(s) not masked by {d['operator']}"
             for d in result["declared_columns"] if d["unmasked_values"]]
    parts += [f"{col}: {json.dumps(ents)} still found after masking" for col, ents in result["free_text_findings"].items()
              if ents]
    return "; ".join(parts) or "no findings"
