"""Re-identification risk over the quasi-identifiers: k-anonymity and l-diversity, with Spark
aggregations (so it scales with the batch), and the gate that generalises or suppresses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RiskMeasure:
    rows: int
    classes: int
    k: int | None
    l: int | None
    rows_below_k: int
    class_sizes: dict[str, int]

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def measure(df, quasi_identifiers: list[str], sensitive: list[str] | None = None, k: int = 5,
            l: int | None = None) -> RiskMeasure:
    """k = size of the smallest equivalence class; l = fewest distinct sensitive values in a class.

    ``rows_below_k`` counts the rows of classes that fail k (or l, when l is given): the rows
    suppression would remove."""
    from pyspark.sql import functions as F

    if not quasi_identifiers:
        rows = df.count()
        return RiskMeasure(rows, 1 if rows else 0, rows or None, None, 0, {})
    aggs = [F.count(F.lit(1)).alias("_n")]
    for i, s in enumerate(sensitive or ()):
        aggs.append(F.countDistinct(F.col(s)).alias(f"_l{i}"))
    classes = df.groupBy(*quasi_identifiers).agg(*aggs)
    l_expr = F.least(*[F.col(f"_l{i}") for i in range(len(sensitive))]) if len(sensitive or ()) > 1 else \
        (F.col("_l0") if sensitive else F.lit(None))
    at_risk = F.col("_n") < k
    if l is not None and sensitive:
        at_risk = at_risk | (l_expr < l)
    bucket = (F.when(F.col("_n") == 1, "1").when(F.col("_n") < 5, "2-4").when(F.col("_n") < 10, "5-9")
              .when(F.col("_n") < 50, "10-49").otherwise("50+"))
    summary = classes.agg(
        F.sum("_n").alias("rows"), F.count(F.lit(1)).alias("classes"), F.min("_n").alias("k"),
        F.min(l_expr).alias("l"), F.sum(F.when(at_risk, F.col("_n")).otherwise(0)).alias("below"),
    ).first()
    sizes = {r["b"]: int(r["c"]) for r in classes.groupBy(bucket.alias("b")).agg(F.count(F.lit(1)).alias("c")).collect()}
    return RiskMeasure(int(summary["rows"] or 0), int(summary["classes"] or 0),
                       int(summary["k"]) if summary["k"] is not None else None,
                       int(summary["l"]) if summary["l"] is not None else None,
                       int(summary["below"] or 0),
                       {b: sizes.get(b, 0) for b in ("1", "2-4", "5-9", "10-49", "50+")})


def passes(m: RiskMeasure, k: int, l: int | None) -> bool:
    if m.rows == 0:
        return True
    return (m.k or 0) >= k and (l is None or (m.l or 0) >= l)


def with_class_stats(df, quasi_identifiers: list[str], sensitive: list[str]):
    """Add each row's equivalence-class size (and distinct sensitive values) for suppression."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    w = Window.partitionBy(*quasi_identifiers)
    df = df.withColumn("_class_size", F.count(F.lit(1)).over(w))
    if sensitive:
        df = df.withColumn("_class_l", F.least(*[F.size(F.collect_set(F.col(s)).over(w)) for s in sensitive])
                           if len(sensitive) > 1 else F.size(F.collect_set(F.col(sensitive[0])).over(w)))
    return df
