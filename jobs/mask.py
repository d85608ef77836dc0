"""Mask: declared personal columns get their contract operator as Spark expressions; free-text
columns go through Presidio on the executors (engines built once per worker process).

The masked batch goes to the internal ``work/`` zone; a masking report with counts and
masked examples — never a raw value — goes to ``reports/``.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Iterator

from govlake.contracts import Contract
from govlake.storage import Lake
from jobs.common import BatchRef, PipelineError, audit, load_manifest, log, save_manifest, utcnow
from jobs.ingest import LINEAGE_COLUMNS
from masking.keys import domain_key
from masking.operators import MaskContext, get_operator

EXAMPLES_PER_COLUMN = 3


def _needs_key(contract: Contract) -> bool:
    if any(get_operator(c.personal.operator).needs_key for c in contract.personal_columns):
        return True
    return any(get_operator(op).needs_key for ft in contract.free_text for op in ft.operators.values())


def masked_schema(contract: Contract) -> list[tuple[str, str]]:
    """The curated columns and their types after masking."""
    out = []
    for col in contract.columns:
        if col.personal:
            out.append((col.name, get_operator(col.personal.operator).output_type(col.type, col.personal.params)))
        else:
            out.append((col.name, col.type))
    return out


def _free_text_mapper(contract: Contract, ctx: MaskContext):
    """Executor-side function for mapInPandas: masks each free-text cell, counts what it found."""
    text_cols = {ft.column: dict(ft.operators) for ft in contract.free_text}
    known_cols = [(c.name, c.personal.entity) for c in contract.personal_columns if c.type == "string"]

    def mask_batches(frames: Iterator) -> Iterator:
        from masking.text import TextMasker

        maskers = {col: TextMasker(ops, ctx) for col, ops in text_cols.items()}
        for frame in frames:
            for col, masker in maskers.items():
                masked, found = [], []
                known_rows = frame[[c for c, _ in known_cols]].itertuples(index=False) if known_cols else None
                for i, text in enumerate(frame[col].tolist()):
                    known = []
                    if known_rows is not None:
                        values = next(known_rows)
                        known = [(entity, v) for (_, entity), v in zip(known_cols, values) if isinstance(v, str) and v]
                    out, counts = masker.mask(text, known)
                    masked.append(out)
                    found.append(json.dumps(counts) if counts else None)
                frame[col] = masked
                frame[f"_found__{col}"] = found
            yield frame

    return mask_batches


def mask(contract: Contract, lake: Lake, spark, ref: BatchRef) -> BatchRef:
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    manifest = load_manifest(lake, ref)
    if manifest.get("status") not in ("validated", "masked", "published"):
        raise PipelineError(f"{contract.dataset} batch {ref.batch_id}: status is '{manifest.get('status')}', "
                            "only validated batches are masked")
    ds, batch_id = contract.dataset, ref.batch_id
    ctx = MaskContext(key=domain_key(contract.pseudonym_domain) if _needs_key(contract) else None)

    df = spark.read.parquet(lake.spark_uri(manifest["raw_path"])).select(*contract.column_names, *LINEAGE_COLUMNS)
    rejected = manifest.get("validation", {}).get("quarantined_rows", [])
    if rejected:
        keys = spark.createDataFrame([(r["file"], r["line"]) for r in rejected], "_source_file string, _source_row long")
        df = df.join(F.broadcast(keys), ["_source_file", "_source_row"], "left_anti")

    if contract.free_text:
        schema = StructType(list(df.schema.fields)
                            + [StructField(f"_found__{ft.column}", StringType()) for ft in contract.free_text])
        df = df.mapInPandas(_free_text_mapper(contract, ctx), schema)

    projected = []
    for col in contract.columns:
        if col.personal:
            op = get_operator(col.personal.operator)
            projected.append(op.column(F.col(col.name), col.personal.entity, col.personal.params, ctx).alias(col.name))
        else:
            projected.append(F.col(col.name))
    found_cols = [f"_found__{ft.column}" for ft in contract.free_text]
    masked = df.select(*projected, *LINEAGE_COLUMNS, *found_cols)

    work_rel = f"work/{ds}/batch_id={batch_id}"
    masked.write.mode("overwrite").parquet(lake.spark_uri(work_rel))
    written = spark.read.parquet(lake.spark_uri(work_rel))

    report = _masking_report(contract, written, manifest, ctx)
    report_rel = f"reports/{ds}/masking/{batch_id}.json"
    lake.write_json(report_rel, report)
    manifest.update({"status": "masked", "work_path": work_rel,
                     "masking": {"report": report_rel, "rows": report["rows"],
                                 "entities_masked": report["totals"]["entities_masked"],
                                 "key_version": report["key_version"], "masked_at": report["generated_at"]}})
    save_manifest(lake, manifest)
    audit(lake, "mask", ds, batch_id=batch_id, rows=report["rows"], entities=report["totals"]["entities_masked"],
          key_version=report["key_version"])
    log.info("mask %s: %d rows, %d values and entities masked, report %s", ds, report["rows"],
             report["totals"]["entities_masked"], lake.uri(report_rel))
    return ref


def _masking_report(contract: Contract, written, manifest: dict, ctx: MaskContext) -> dict:
    from pyspark.sql import functions as F

    rows = written.count()
    columns = []
    total = 0
    for col in contract.personal_columns:
        non_null = written.where(F.col(col.name).isNotNull())
        n = non_null.count()
        total += n
        examples = [str(r[0]) for r in non_null.select(col.name).limit(EXAMPLES_PER_COLUMN).collect()]
        columns.append({"column": col.name, "entity": col.personal.entity, "operator": col.personal.operator,
                        "params": col.personal.params, "values_masked": n, "masked_examples": examples,
                        "key_version": ctx.key.version if get_operator(col.personal.operator).needs_key else None})
    free_text = []
    for ft in contract.free_text:
        found_col = f"_found__{ft.column}"
        counts: Counter = Counter()
        rows_with = 0
        for (payload,) in written.where(F.col(found_col).isNotNull()).select(found_col).toLocalIterator():
            counts.update(json.loads(payload))
            rows_with += 1
        total += sum(counts.values())
        examples = [r[0] for r in written.where(F.col(found_col).isNotNull()).select(ft.column)
                    .limit(EXAMPLES_PER_COLUMN).collect()]
        free_text.append({"column": ft.column, "operators": ft.operators, "entities_found": dict(sorted(counts.items())),
                          "rows_with_findings": rows_with, "masked_examples": examples})
    return {
        "dataset": contract.dataset,
        "batch_id": manifest["batch_id"],
        "generated_at": utcnow(),
        "pseudonym_domain": contract.pseudonym_domain,
        "key_version": ctx.key.version if ctx.key else None,
        "rows": rows,
        "rows_excluded_by_validation": len(manifest.get("validation", {}).get("quarantined_rows", [])),
        "columns": columns,
        "free_text": free_text,
        "totals": {"entities_masked": total},
        "note": "Counts and masked examples only; no raw value is ever written to this report.",
    }
