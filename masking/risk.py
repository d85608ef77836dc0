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


# -- Release risk as GB/T 42460 describes it ------------------------------------------------------------
#
# Per-record risk θ = 1 / (size of the record's equivalence class over the released
# quasi-identifiers). The sharing model fixes the threshold τ and whether the dataset's risk is the
# maximum or the mean θ. R_a is the share of classes with θ > τ: a class exactly at the minimum size
# (θ = τ) passes. (The public digest's prose says "at least" and its formula "greater than"; govlake
# reads the formula.) If R_a > 0 the release fails; otherwise the overall risk, dataset risk times
# the context risk (1 for a public release), must stay at or below OVERALL_RISK_LIMIT.

OVERALL_RISK_LIMIT = 0.05


@dataclass(frozen=True)
class SharingModel:
    name: str
    threshold: float  # τ
    dataset_risk: str  # "max" or "mean" θ

    @property
    def min_class_size(self) -> int:
        return round(1 / self.threshold)


SHARING_MODELS = {
    "public": SharingModel("public", 1 / 20, "max"),
    "controlled": SharingModel("controlled", 1 / 5, "mean"),
    "enclave": SharingModel("enclave", 1 / 3, "mean"),
}


@dataclass
class ReleaseRisk:
    records: int
    classes: int
    classes_over_threshold: int
    records_over_threshold: int  # people (or rows, without a person column) in those classes
    max_risk: float
    mean_risk: float

    def ratio_over_threshold(self) -> float:  # R_a
        return self.classes_over_threshold / self.classes if self.classes else 0.0

    def as_dict(self) -> dict:
        return {**self.__dict__, "ratio_over_threshold": self.ratio_over_threshold()}


def release_risk(df, quasi_identifiers: list[str], model: SharingModel, person: str | None = None) -> ReleaseRisk:
    """θ over the equivalence classes of ``quasi_identifiers`` in the released frame ``df``.

    With ``person`` (a pseudonym column), a class's size counts distinct people, not rows: ten
    rows about one person are one person. Rows without a person count one each."""
    from pyspark.sql import functions as F

    if person:
        # A class's size is its number of distinct (class, person) pairs; the same pairs count the
        # people in small classes below.
        who = F.coalesce(F.col(person).cast("string"), F.concat(F.lit("row:"), F.monotonically_increasing_id().cast("string")))
        pairs = df.select(*quasi_identifiers, who.alias("_who")).distinct()
        per_class = pairs.groupBy(*quasi_identifiers).agg(F.count(F.lit(1)).alias("_f"))
    else:
        per_class = df.groupBy(*quasi_identifiers).agg(F.count(F.lit(1)).alias("_f"))
    small = F.col("_f") < model.min_class_size
    row = per_class.agg(
        F.sum("_f").alias("records"), F.count(F.lit(1)).alias("classes"),
        F.sum(F.when(small, 1).otherwise(0)).alias("over"), F.sum(F.when(small, F.col("_f")).otherwise(0)).alias("rec_over"),
        F.min("_f").alias("smallest"),
    ).first()
    records = int(row["records"] or 0)
    classes = int(row["classes"] or 0)
    people_over = int(row["rec_over"] or 0)
    if person and people_over:
        # A person in several small classes (a legal representative of two companies) counts once.
        sizes = per_class.where(small)
        on = [pairs[q].eqNullSafe(sizes[q]) for q in quasi_identifiers]
        people_over = pairs.join(sizes, on).select(pairs["_who"]).distinct().count()
    # mean θ over records: each record of a class of size f has θ = 1/f, so the sum is the class count.
    return ReleaseRisk(records, classes, int(row["over"] or 0), people_over,
                       1 / row["smallest"] if row["smallest"] else 0.0, classes / records if records else 0.0)


GRADES = {
    "L1": "a direct identifier is still present",
    "L2": "only quasi-identifiers remain, and the risk is at or above the threshold",
    "L3": "only quasi-identifiers remain, and the risk is below the threshold",
    "L4": "no identifiers remain",
}
RELEASABLE_GRADES = ("L3", "L4")
