"""Mask: discovery, masking, the re-identification risk gate and verification, for one batch.

1. Discovery: a sample of every column is scanned; personal data in a column the contract does
   not declare blocks the batch (or warns, if the contract says so).
2. Declared personal columns get their operator as Spark expressions (vectorised); free-text
   columns go through Presidio on the executors (engines built once per worker process).
3. Risk gate: k-anonymity / l-diversity over the quasi-identifiers; the contract's
   generalisation steps, then suppression of rare rows, or the batch is blocked.
4. Verification: the masked batch is checked again; a finding stops publication.

The masked batch goes to the internal ``work/`` zone; the masking report (JSON and HTML: counts,
score distributions and masked examples, never a raw value) goes to ``reports/``.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Iterator

from govlake import paths
from govlake.config import settings
from govlake.contracts import Contract
from govlake.errors import IllegalTransition, PrivacyGateBlocked
from govlake.faults import failpoint
from govlake.locks import dataset_lock
from govlake.records import (
    VALIDATED_OR_LATER,
    BatchManifest,
    BatchRef,
    MaskingSummary,
    Status,
    VerificationSummary,
    audit,
    iter_manifests,
    load_manifest,
    save_manifest,
    utcnow,
)
from govlake.storage import Lake
from jobs.ingest import LINEAGE_COLUMNS
from masking.discovery import ColumnRole, DiscoveryPolicy, discover
from masking.keys import domain_key
from masking.operators import MaskContext, get_operator
from masking.report import render_html
from masking.risk import RiskMeasure, measure, passes, with_class_stats
from masking.verification import describe, verify

log = logging.getLogger("govlake")

EXAMPLES_PER_COLUMN = 3


def _needs_key(contract: Contract) -> bool:
    ops = [c.personal.operator for c in contract.personal_columns]
    ops += [op for ft in contract.free_text for op in ft.operators.values()]
    ops += [s.operator for s in contract.risk.generalise]
    return any(get_operator(op).needs_key for op in ops)


def _column_expr(contract: Contract, name: str, overrides: dict, ctx: MaskContext):
    from pyspark.sql import functions as F

    col = contract.column(name)
    rule = overrides.get(name) or ((col.personal.operator, col.personal.params) if col.personal else None)
    if rule is None:
        step = next((s for s in contract.risk.generalise if s.column == name), None)
        if step is not None:  # already in the type its generalisation gives: a later level keeps the schema
            return F.col(name).cast(get_operator(step.operator).output_type(col.type, step.params)).alias(name)
        return F.col(name)
    entity = col.personal.entity if col.personal else "QUASI_IDENTIFIER"
    return get_operator(rule[0]).column(F.col(name), entity, rule[1], ctx).alias(name)


def _free_text_mapper(contract: Contract, ctx: MaskContext):
    """Executor-side function for mapInPandas: masks each free-text cell, counts what it found."""
    text_cols = {ft.column: dict(ft.operators) for ft in contract.free_text}
    known_cols = [(c.name, c.personal.entity) for c in contract.personal_columns if c.type == "string"]

    def mask_batches(frames: Iterator) -> Iterator:
        from masking.text import TextMasker

        maskers = {col: TextMasker(ops, ctx) for col, ops in text_cols.items()}
        for frame in frames:
            known_rows = list(frame[[c for c, _ in known_cols]].itertuples(index=False)) if known_cols else []
            known = [[(entity, v) for (_, entity), v in zip(known_cols, row) if isinstance(v, str) and v]
                     for row in known_rows] or None
            for col, masker in maskers.items():
                masked, found = [], []
                for out, counts in masker.mask_many(frame[col].tolist(), known):
                    masked.append(out)
                    found.append(json.dumps(counts) if counts else None)
                frame[col] = masked
                frame[f"_found__{col}"] = found
            yield frame

    return mask_batches


def risk_gate(contract: Contract, base, ctx: MaskContext, earlier_valid=None,
              start: int = 0) -> tuple[dict, dict, RiskMeasure | None]:
    """Choose the dataset's generalisation level: how many of the contract's generalise steps the
    quasi-identifiers need to reach k (and l), with suppression of rare rows within its limit.

    The level is one for the whole dataset: measured over this batch and ``earlier_valid`` (the
    valid rows of the batches published beside it), never below ``start`` (the level the dataset
    already has: it only rises, and when it does every batch is masked again at it). Returns the
    column overrides, the gate's record and the measure at the chosen level; :func:`suppression`
    then decides which rows go.
    """
    policy = contract.risk
    qis, sensitive = list(contract.quasi_identifiers), list(policy.sensitive)
    record = {"quasi_identifiers": qis, "sensitive": sensitive, "k_required": policy.k, "l_required": policy.l,
              "max_suppression": policy.max_suppression, "steps": [], "suppressed_rows": 0, "suppress": False,
              "level_before": start, "level": start}
    if not qis:
        record.update(passed=True, before=None, after=None, note="no quasi-identifiers declared")
        return {}, record, None

    def pooled(overrides):
        this = _projection(contract, base, overrides, ctx)
        return this if earlier_valid is None else this.unionByName(_projection(contract, earlier_valid, overrides, ctx))

    overrides = {step.column: (step.operator, step.params) for step in policy.generalise[:start]}
    current = measure(pooled(overrides), qis, sensitive, policy.k, policy.l)
    record["before"] = current.as_dict()
    for step in policy.generalise[start:]:
        # Generalise only as far as needed: stop once suppressing the rare rows stays within
        # the contract's limit (less generalisation keeps more value for analysts).
        if passes(current, policy.k, policy.l) or _suppression_share(current) <= policy.max_suppression:
            break
        overrides[step.column] = (step.operator, step.params)
        current = measure(pooled(overrides), qis, sensitive, policy.k, policy.l)
        record["steps"].append({"column": step.column, "operator": step.operator, "params": step.params,
                                "k": current.k, "l": current.l, "classes": current.classes,
                                "rows_below_k": current.rows_below_k, "class_sizes": current.class_sizes})
    record["level"] = start + len(record["steps"])
    return overrides, record, current


def suppression(contract: Contract, this, rows_this: int, earlier_kept, record: dict,
                measured: RiskMeasure | None = None) -> dict:
    """Which of this batch's rows must go so that every class of the published dataset reaches k (and
    l): classes are counted over ``this`` batch's quasi-identifiers (at the dataset's level, its
    ``rows_this`` rows) and the rows the earlier batches published (``earlier_kept``). Earlier rows
    stay as they are: their classes only grow. ``measured`` is the measure of exactly these rows when
    the risk gate already took it (a batch with no earlier one beside it). Fills the record's
    ``suppress``, ``suppressed_rows``, ``after`` and ``passed``."""
    from pyspark.sql import functions as F

    policy = contract.risk
    qis, sensitive = list(contract.quasi_identifiers), list(policy.sensitive)
    if not qis:
        return record
    pooled = _with_earlier(this, earlier_kept)
    current = measured if measured is not None else measure(pooled, qis, sensitive, policy.k, policy.l)
    if not passes(current, policy.k, policy.l) and rows_this:
        stats = with_class_stats(pooled, qis, sensitive)
        ok = _class_ok(policy)
        rare = stats.where(~ok & F.col("_this")).count()
        if rare / rows_this <= policy.max_suppression:
            record.update(suppress=True, suppressed_rows=rare)
            current = measure(stats.where(ok | ~F.col("_this")), qis, sensitive, policy.k, policy.l)
    record["after"] = current.as_dict()
    record["passed"] = passes(current, policy.k, policy.l)
    return record


def _risk_columns(contract: Contract) -> list[str]:
    """The columns the risk gate counts classes over: quasi-identifiers and sensitive attributes."""
    return list(dict.fromkeys(list(contract.quasi_identifiers) + list(contract.risk.sensitive)))


def _projection(contract: Contract, df, overrides: dict, ctx: MaskContext):
    """The quasi-identifiers and sensitive attributes of ``df`` as they are published at ``overrides``."""
    return df.select(*[_column_expr(contract, c, overrides, ctx) for c in _risk_columns(contract)])


def _with_earlier(this, earlier_kept):
    """This batch's rows (``_this`` true) beside the earlier batches' published rows (false)."""
    from pyspark.sql import functions as F

    this = this.withColumn("_this", F.lit(True))
    if earlier_kept is None:
        return this
    return this.unionByName(earlier_kept.withColumn("_this", F.lit(False)), allowMissingColumns=True)


def _suppression_share(m) -> float:
    return m.rows_below_k / m.rows if m.rows else 0.0


def _class_ok(policy):
    from pyspark.sql import functions as F

    ok = F.col("_class_size") >= policy.k
    if policy.l is not None and policy.sensitive:
        ok = ok & (F.col("_class_l") >= policy.l)
    return ok


def mask(contract: Contract, lake: Lake, spark, ref: BatchRef) -> BatchRef:
    """Discovery, risk gate, masking and verification of one validated batch (PrivacyGateBlocked when stopped)."""
    with dataset_lock(lake, contract.dataset, f"mask {ref.batch_id}"):
        return _mask(contract, lake, spark, ref)


def _published_beside(contract: Contract, lake: Lake, batch_id: str) -> tuple[list[BatchManifest], list[BatchManifest]]:
    """The batches the curated dataset holds beside this one, delivered before it and after it: an
    increment dataset's other publishable batches (a snapshot replaces them: none)."""
    if contract.delivery.mode == "snapshot":
        return [], []
    manifests = iter_manifests(lake, contract.dataset)  # in delivery order
    ids = [m.batch_id for m in manifests]
    at = ids.index(batch_id) if batch_id in ids else len(ids)
    return ([m for m in manifests[:at] if m.publishable], [m for m in manifests[at + 1:] if m.publishable])


def _valid_rows(contract: Contract, lake: Lake, spark, manifest: BatchManifest):
    """A batch's rows as ingested, without those validation quarantined."""
    from pyspark.sql import functions as F

    base = spark.read.parquet(lake.spark_uri(manifest.raw_path)).select(*contract.column_names, *LINEAGE_COLUMNS)
    rejected_rel = paths.quarantine_rows(contract.dataset, manifest.batch_id, "validate")
    if manifest.rows_quarantined_validate and lake.exists(rejected_rel):
        rejected = spark.read.parquet(lake.spark_uri(rejected_rel)).select("_source_file", "_source_row")
        base = base.join(F.broadcast(rejected), ["_source_file", "_source_row"], "left_anti")
    return base


def _union(frames: list):
    out = None
    for f in frames:
        out = f if out is None else out.unionByName(f)
    return out


def _remask(contract: Contract, lake: Lake, spark, batches: list[BatchManifest], level: int) -> list[str]:
    """Mask these batches again at the dataset's new generalisation level (publish then replaces them)."""
    for m in batches:
        log.info("mask %s: batch %s is masked again at generalisation level %d, so that every batch of the "
                 "dataset is published alike", contract.dataset, m.batch_id, level)
        _mask(contract, lake, spark, BatchRef.for_batch(contract.dataset, m.batch_id), at_least=level)
    return [m.batch_id for m in batches]


def _roles(contract: Contract) -> list[ColumnRole]:
    return [ColumnRole(c.name, c.personal.entity if c.personal else None, c.name in contract.free_text_columns,
                       c.name in contract.discovery.ignore_columns) for c in contract.columns]


def _mask(contract: Contract, lake: Lake, spark, ref: BatchRef, at_least: int = 0) -> BatchRef:
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    started = time.monotonic()
    manifest = load_manifest(lake, ref)
    if manifest.status not in VALIDATED_OR_LATER:
        raise IllegalTransition(f"{contract.dataset} batch {ref.batch_id}: status is '{manifest.status.value}'; "
                                "only validated batches are masked")
    ds, batch_id = contract.dataset, ref.batch_id
    ctx = MaskContext(key=domain_key(contract.pseudonym_domain) if _needs_key(contract) else None)
    report = {"dataset": ds, "batch_id": batch_id, "generated_at": utcnow(),
              "pseudonym_domain": contract.pseudonym_domain, "key_version": ctx.key.version if ctx.key else None,
              "note": "Counts, score distributions and masked examples only; no raw value is ever written here."}
    report_rel = paths.masking_report(ds, batch_id)

    base = _valid_rows(contract, lake, spark, manifest)
    # Not cached: every pass reads only the Parquet columns it needs, which costs less than
    # caching every column of the batch.
    rows_in = base.count()

    # 1. Discovery on a sample; the sampled values stay in this function's memory only.
    sample = [r.asDict() for r in base.select(*contract.column_names).limit(contract.discovery.sample_rows).collect()]
    policy = contract.discovery
    report["discovery"] = discover(_roles(contract), sample,
                                   DiscoveryPolicy(policy.threshold, policy.min_fraction, policy.on_undeclared))
    del sample
    undeclared = report["discovery"]["undeclared"]
    for u in undeclared:
        log.warning("%s: column %s holds undeclared personal data (%s in %.0f%% of sampled cells)", ds,
                    u["column"], ", ".join(u["entities"]), 100 * u["fraction"])
    if undeclared and contract.discovery.on_undeclared == "block":
        _block(lake, manifest, report, report_rel, "undeclared personal data in column(s) " +
               ", ".join(f"{u['column']} ({', '.join(u['entities'])})" for u in undeclared) +
               f"; declare them in {contract.path.name} or list them in discovery.ignore_columns")

    # 2. Re-identification risk gate (on the quasi-identifiers, before anything is written), at one
    # generalisation level for the whole dataset: batches published side by side never disagree.
    before, after = _published_beside(contract, lake, batch_id)
    level = max([at_least, *[m.masking.generalisation_level for m in before + after if m.masking]])
    pooled = bool(contract.quasi_identifiers)  # without quasi-identifiers there is nothing to pool
    earlier_valid = _union([_valid_rows(contract, lake, spark, m) for m in before]) if pooled else None
    overrides, report["risk"], measured = risk_gate(contract, base, ctx, earlier_valid, start=level)
    raised = report["risk"]["level"] > level
    if raised:  # the earlier batches first: their published rows decide this batch's suppression
        report["risk"]["masked_again"] = _remask(contract, lake, spark, before, report["risk"]["level"])
        before = _published_beside(contract, lake, batch_id)[0]
    earlier_kept = _union([_projection_of_published(contract, spark, lake, m) for m in before]) if pooled else None
    report["risk"]["judged_with"] = {"batches": [m.batch_id for m in before],
                                     "rows": sum(m.masking.rows for m in before if m.masking)}
    suppression(contract, _projection(contract, base, overrides, ctx), rows_in, earlier_kept, report["risk"],
                measured=None if before else measured)  # alone, the gate measured these very rows
    if not report["risk"]["passed"]:
        r = report["risk"]
        _block(lake, manifest, report, report_rel,
               f"re-identification risk: k={r['after']['k']} (need {r['k_required']})"
               + (f", l={r['after']['l']} (need {r['l_required']})" if r["l_required"] else "")
               + f" over {', '.join(r['quasi_identifiers'])} after {len(r['steps'])} generalisation step(s); "
               f"suppressing {r['after']['rows_below_k']} rows would exceed {r['max_suppression']:.0%}")

    # 3. Masking: free text on the executors, declared columns as Spark expressions.
    df = base
    if contract.free_text:
        schema = StructType(list(base.schema.fields)
                            + [StructField(f"_found__{ft.column}", StringType()) for ft in contract.free_text])
        # Free text costs milliseconds a cell: spread it over every core, whatever the file layout.
        df = base.repartition(settings().spark_shuffle_partitions).mapInPandas(_free_text_mapper(contract, ctx), schema)
    found_cols = [f"_found__{ft.column}" for ft in contract.free_text]
    masked = df.select(*[_column_expr(contract, c, overrides, ctx) for c in contract.column_names],
                       *LINEAGE_COLUMNS, *found_cols)
    if report["risk"]["suppress"]:
        qis, sensitive = list(contract.quasi_identifiers), list(contract.risk.sensitive)
        masked = (with_class_stats(_with_earlier(masked, earlier_kept), qis, sensitive)
                  .where(_class_ok(contract.risk) & F.col("_this")).drop("_class_size", "_class_l", "_this"))
    work_rel = paths.work_batch(ds, batch_id)
    masked.write.mode("overwrite").parquet(lake.spark_uri(work_rel))
    written = spark.read.parquet(lake.spark_uri(work_rel))
    failpoint("mask.written")

    # 4. Verification of what was written.
    declared = [(c.name, *overrides.get(c.name, (c.personal.operator, c.personal.params)))
                for c in contract.personal_columns]
    report["verification"] = verify(written, declared, contract.free_text_columns, contract.discovery.threshold,
                                    settings().spark_shuffle_partitions)
    report.update(_masking_summary(contract, written, overrides, ctx, rows_in, report))

    html_rel = paths.masking_report(ds, batch_id, "html")
    manifest.work_path = work_rel
    manifest.masking = MaskingSummary(
        report=report_rel, report_html=html_rel, rows=report["rows"],
        entities_masked=report["totals"]["entities_masked"], rows_suppressed=report["risk"]["suppressed_rows"],
        overrides={c: {"operator": o, "params": p} for c, (o, p) in overrides.items()},
        generalisation_level=report["risk"]["level"], key_version=report["key_version"], masked_at=report["generated_at"])
    passed = report["verification"]["passed"]
    manifest.verification = VerificationSummary(passed=passed, summary=describe(report["verification"]))
    manifest.timings["mask"] = round(time.monotonic() - started, 2)
    if not passed:
        _block(lake, manifest, report, report_rel,
               f"post-mask verification failed: {manifest.verification.summary}; nothing was published")
    lake.write_json(report_rel, report)
    lake.write_text(html_rel, render_html(report))
    manifest.blocked_reason = None
    manifest.advance(Status.MASKED, note=f"{report['rows']} rows, {report['totals']['entities_masked']} values masked")
    save_manifest(lake, manifest)
    audit(lake, "mask", ds, batch_id=batch_id, rows=report["rows"], entities=report["totals"]["entities_masked"],
          key_version=report["key_version"], verification=passed, k=(report["risk"].get("after") or {}).get("k"))
    log.info("mask %s: %d rows (%d suppressed), %d values and entities masked, verification passed, report %s "
             "(%.1fs)", ds, report["rows"], report["risk"]["suppressed_rows"], report["totals"]["entities_masked"],
             lake.uri(report_rel), manifest.timings["mask"])
    if raised and after:  # batches delivered after this one (when this one is masked again)
        _remask(contract, lake, spark, after, report["risk"]["level"])
    return ref


def _projection_of_published(contract: Contract, spark, lake: Lake, m: BatchManifest):
    """A masked batch's quasi-identifiers and sensitive attributes, as published."""
    return spark.read.parquet(lake.spark_uri(m.work_path)).select(*_risk_columns(contract))


def _block(lake: Lake, manifest: BatchManifest, report: dict, report_rel: str, reason: str) -> None:
    report["blocked"] = reason
    html_rel = paths.masking_report(manifest.dataset, manifest.batch_id, "html")
    lake.write_json(report_rel, report)
    lake.write_text(html_rel, render_html(report))
    manifest.blocked_reason = reason
    if manifest.masking is None:
        manifest.masking = MaskingSummary(report=report_rel, report_html=html_rel)
    manifest.advance(Status.BLOCKED, note=reason)
    save_manifest(lake, manifest)
    audit(lake, "mask_blocked", manifest.dataset, batch_id=manifest.batch_id, reason=reason)
    raise PrivacyGateBlocked(f"{manifest.dataset} batch {manifest.batch_id}: not published: {reason} "
                             f"(report: {lake.uri(report_rel)})")


def _masking_summary(contract: Contract, written, overrides: dict, ctx: MaskContext, rows_in: int, report: dict) -> dict:
    from pyspark.sql import functions as F

    discovered = {c["column"]: c for c in report["discovery"]["columns"]}
    # One pass for every count: rows, non-null values per personal column, free-text rows with findings.
    found_cols = [f"_found__{ft.column}" for ft in contract.free_text]
    counts = written.agg(F.count(F.lit(1)).alias("_rows"),
                         *[F.count(F.col(c.name)).alias(c.name) for c in contract.personal_columns],
                         *[F.count(F.col(c)).alias(c) for c in found_cols]).first()
    columns, total = [], 0
    for col in contract.personal_columns:
        op_name, params = overrides.get(col.name, (col.personal.operator, col.personal.params))
        n = counts[col.name]
        total += n
        examples = [str(r[0]) for r in written.where(F.col(col.name).isNotNull()).select(col.name)
                    .limit(EXAMPLES_PER_COLUMN).collect()]
        columns.append({"column": col.name, "entity": col.personal.entity, "operator": op_name, "params": params,
                        "key_version": ctx.key.version if get_operator(op_name).needs_key else None,
                        "values_masked": n, "masked_examples": examples,
                        "found_in_sample": discovered[col.name]["entities"]})
    free_text = []
    for ft, found_col in zip(contract.free_text, found_cols):
        # Entity counts are summed on the executors, not by streaming every row to the driver.
        entities = {r["entity"]: int(r["n"]) for r in
                    written.select(F.explode(F.from_json(found_col, "map<string,int>")).alias("entity", "n"))
                    .groupBy("entity").agg(F.sum("n").alias("n")).collect()}
        total += sum(entities.values())
        examples = [r[0] for r in written.where(F.col(found_col).isNotNull()).select(ft.column)
                    .limit(EXAMPLES_PER_COLUMN).collect()]
        free_text.append({"column": ft.column, "operators": ft.operators, "entities_found": dict(sorted(entities.items())),
                          "rows_with_findings": counts[found_col], "masked_examples": examples,
                          "found_in_sample": discovered[ft.column]["entities"]})
    rows = counts["_rows"]
    return {"rows_in": rows_in, "rows": rows, "columns": columns, "free_text": free_text,
            "totals": {"entities_masked": total}}
