"""Validate: run the dataset's Great Expectations suite on the batch, on Spark.

Row-level expectations quarantine the rows that fail them (with the expectation as the
reason); a failed ``critical`` table-level expectation rejects the whole batch and stops
publishing. What is stored — results JSON and the Data Docs page — is sanitised first: GX
keeps unexpected *values* in its results (GX issue #8780), and these would leak personal
data, so only counts and row references (file, line) leave this module.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from pathlib import Path

from govlake import paths
from govlake.config import settings
from govlake.contracts import Contract
from govlake.errors import CheckFailed, ContractError
from govlake.faults import failpoint
from govlake.locks import dataset_lock
from govlake.records import (
    BatchRef,
    QuarantinedRow,
    Status,
    ValidationSummary,
    audit,
    load_manifest,
    save_manifest,
    utcnow,
)
from govlake.storage import Lake

log = logging.getLogger("govlake")

ROW_KEY = ("_source_file", "_source_row")
_RESULT_KEYS_KEPT = (
    "element_count", "unexpected_count", "unexpected_percent", "unexpected_percent_total",
    "unexpected_percent_nonmissing", "missing_count", "missing_percent",
)
MAX_ROW_REFS = 20
SUITE_ENTRY_KEYS = {"type", "kwargs", "meta", "severity", "notes", "description"}


def load_suite_config(contract: Contract, directory: Path | None = None) -> dict:
    path = Path(directory or settings().expectations_dir) / f"{contract.suite}.json"
    if not path.exists():
        raise ContractError(f"{contract.path}: expectation suite '{contract.suite}' not found at {path}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ContractError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("expectations", []), list):
        raise ContractError(f"{path}: a suite is an object with a list of 'expectations'")
    for i, exp in enumerate(doc.get("expectations", [])):
        unknown = sorted(set(exp) - SUITE_ENTRY_KEYS) if isinstance(exp, dict) else ["(not an object)"]
        if unknown:
            raise ContractError(f"{path}: expectations[{i}]: unknown key(s) {', '.join(unknown)} "
                                f"(known: {', '.join(sorted(SUITE_ENTRY_KEYS))})")
        kwargs = exp.get("kwargs", {})
        for column in [kwargs.get("column"), *(kwargs.get("column_list") or [])]:
            if column is not None and column not in contract.column_names:
                raise ContractError(f"{path}: expectations[{i}] names column '{column}', which is not in the contract")
        if exp.get("meta", {}).get("on_failure", "quarantine_rows") not in ("quarantine_rows", "warn"):
            raise ContractError(f"{path}: expectations[{i}]: meta.on_failure must be 'quarantine_rows' or 'warn'")
    return doc


def _gx_context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        analytics_enabled=False,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def build_suite(doc: dict):
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    expectations = [
        ExpectationConfiguration(type=e["type"], kwargs=e.get("kwargs", {}), meta=e.get("meta", {}),
                                 severity=e.get("severity", "critical"))
        for e in doc.get("expectations", [])
    ]
    return ExpectationSuite(name=doc["name"], expectations=expectations, meta=doc.get("meta", {}))


def sanitise_result(result: dict, contract: Contract) -> tuple[dict, list[tuple[str, int]]]:
    """Strip every data value from one expectation result; return it with the failing row keys."""
    config = result["expectation_config"]
    column = config["kwargs"].get("column")
    raw = result.get("result") or {}
    rows = [(r["_source_file"], int(r["_source_row"])) for r in raw.get("unexpected_index_list") or ()
            if isinstance(r, dict) and "_source_row" in r]
    clean = {k: raw[k] for k in _RESULT_KEYS_KEPT if k in raw}
    if "observed_value" in raw:
        personal = column is not None and (
            contract.column(column).personal is not None or column in contract.free_text_columns)
        observed = raw["observed_value"]
        clean["observed_value"] = "[withheld: personal column]" if personal or (not isinstance(
            observed, (int, float, bool, type(None))) and column is not None) else observed
    if rows:
        clean["failing_rows"] = [f"{f}:{n}" for f, n in sorted(rows)[:MAX_ROW_REFS]]
    exc = result.get("exception_info") or {}
    sanitised = {
        "success": bool(result["success"]),
        "expectation_config": {
            "type": config["type"],
            "kwargs": {k: v for k, v in config["kwargs"].items() if k != "batch_id"},
            "meta": config.get("meta", {}),
            "severity": config.get("severity", "critical"),
        },
        "result": clean,
        "meta": {},
        "exception_info": {"raised_exception": bool(exc.get("raised_exception")),
                           "exception_traceback": None,
                           "exception_message": "expectation could not be evaluated" if exc.get("raised_exception") else None},
    }
    return sanitised, rows


def render_data_docs(sanitised: dict) -> str:
    """The GX Data Docs page for a validation result, rendered from the *sanitised* result."""
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    results = [
        ExpectationValidationResult(
            success=r["success"], result=r["result"], exception_info=r["exception_info"],
            expectation_config=ExpectationConfiguration(**r["expectation_config"]))
        for r in sanitised["results"]
    ]
    result = ExpectationSuiteValidationResult(
        success=sanitised["success"], results=results, suite_name=sanitised["suite_name"],
        statistics=sanitised["statistics"], meta=sanitised["meta"])
    return offline(DefaultJinjaPageView().render(ValidationResultsPageRenderer().render(result)))


OFFLINE_CSS = Path(__file__).parent / "static" / "data_docs_offline.css"


def offline(page: str) -> str:
    """The Data Docs page with nothing fetched from the network: GX links Bootstrap, Font Awesome,
    jQuery and Vega from CDNs, so offline the page has no styling. Their links and the scripts that
    need them go; GX's own style sheet and what the page uses of Bootstrap come inline."""
    from great_expectations.render.view import view

    gx_css = Path(view.__file__).parent / "static" / "styles" / "data_docs_default_styles.css"
    page = re.sub(r"<link\b[^>]*>", "", page)
    page = re.sub(r"<script\b.*?</script>", "", page, flags=re.S)
    page = re.sub(r"<img\b[^>]*\bsrc=\"https?://[^>]*>", "", page)  # GX's logo, from its web bucket
    style = "<style>\n" + OFFLINE_CSS.read_text() + "\n" + (gx_css.read_text() if gx_css.exists() else "") + "\n</style>"
    return page.replace("</head>", style + "\n</head>", 1)


def _frame_for_suite(df, suite_doc: dict, contract: Contract):
    """The batch as GX gets it: the columns the suite names and the row key, cached once.

    GX runs a Spark job per metric it cannot bundle. A uniqueness check is a window over the
    column, and GX evaluates it in up to four jobs; partitioned and sorted by that column once,
    in the cache, each of them reuses the order instead of shuffling the batch again.
    """
    expectations = suite_doc.get("expectations", [])
    referenced: set[str] = set()
    whole = False
    for e in expectations:
        if e["type"].startswith("expect_table_column"):  # the table's shape: every column matters
            whole = True
        for value in e.get("kwargs", {}).values():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and item in contract.column_names:
                    referenced.add(item)
    frame = df if whole else df.select(*[c for c in df.columns if c in referenced], *ROW_KEY)
    unique = [e["kwargs"]["column"] for e in expectations
              if e["type"] == "expect_column_values_to_be_unique" and "column" in e.get("kwargs", {})]
    if unique:
        frame = frame.repartition(settings().spark_shuffle_partitions, unique[0]).sortWithinPartitions(unique[0])
    return frame.persist()


def _config_key(config: dict) -> str:
    kwargs = {k: v for k, v in config["kwargs"].items() if k != "batch_id"}
    return json.dumps([config["type"], kwargs], sort_keys=True, default=str)


def _run_suite(context, batch, suite_doc: dict) -> list[dict]:
    """Every expectation's result; the failing rows' keys only for expectations that failed.

    Asking GX for every unexpected row of every expectation costs a Spark job or two per
    expectation, most of them for expectations that pass anyway (a ``mostly`` check still lists
    its misses). So the suite runs once for verdicts and counts (aggregates GX bundles into one
    job), and again, in full, only for the row-level expectations that failed: those rows go
    to quarantine. GX decides both times.
    """
    summary = batch.validate(context.suites.add(build_suite(suite_doc)), result_format={
        "result_format": "BASIC", "partial_unexpected_count": 0, "return_unexpected_index_query": False,
    }).to_json_dict()["results"]
    needs_rows = [r["expectation_config"] for r in summary
                  if not r["success"] and (r.get("result") or {}).get("unexpected_count")
                  and r["expectation_config"].get("meta", {}).get("on_failure", "quarantine_rows") == "quarantine_rows"]
    if not needs_rows:
        return summary
    # The second suite is built from GX's own record of the failed expectations, so its results
    # match the first run's by the same normalised configuration.
    rows_doc = {**suite_doc, "name": f"{suite_doc['name']}.failing_rows",
                "expectations": [{"type": c["type"], "kwargs": {k: v for k, v in c["kwargs"].items() if k != "batch_id"},
                                  "meta": c.get("meta", {}), "severity": c.get("severity", "critical")}
                                 for c in needs_rows]}
    detailed = batch.validate(context.suites.add(build_suite(rows_doc)), result_format={
        "result_format": "COMPLETE", "unexpected_index_column_names": list(ROW_KEY),
        "partial_unexpected_count": 0, "return_unexpected_index_query": False,
    }).to_json_dict()["results"]
    by_key = {_config_key(r["expectation_config"]): r for r in detailed}
    return [by_key.get(_config_key(r["expectation_config"]), r) for r in summary]


def validate(contract: Contract, lake: Lake, spark, ref: BatchRef) -> BatchRef:
    """Run the suite on one batch. A failed critical expectation rejects it (CheckFailed)."""
    with dataset_lock(lake, contract.dataset, f"validate {ref.batch_id}"):
        return _validate(contract, lake, spark, ref)


def _validate(contract: Contract, lake: Lake, spark, ref: BatchRef) -> BatchRef:
    from pyspark.sql import functions as F

    started = time.monotonic()
    manifest = load_manifest(lake, ref)
    ds, batch_id = contract.dataset, ref.batch_id
    suite_doc = load_suite_config(contract)
    df = spark.read.parquet(lake.spark_uri(manifest.raw_path))

    context = _gx_context()
    asset = context.data_sources.add_spark("lake").add_dataframe_asset(ds)
    checked = _frame_for_suite(df, suite_doc, contract)
    try:
        batch = asset.add_batch_definition_whole_dataframe("batch").get_batch(batch_parameters={"dataframe": checked})
        raw_results = _run_suite(context, batch, suite_doc)
    finally:
        checked.unpersist()

    results, failing, critical, warnings = [], {}, [], []
    for res in raw_results:
        clean, rows = sanitise_result(res, contract)
        results.append(clean)
        if clean["success"]:
            continue
        cfg = clean["expectation_config"]
        label = cfg["type"] + (f" on column {cfg['kwargs']['column']}" if "column" in cfg["kwargs"] else "")
        if rows and cfg["meta"].get("on_failure", "quarantine_rows") == "quarantine_rows":
            for key in rows:
                failing.setdefault(key, []).append(label)
        elif cfg["severity"] == "critical":
            critical.append(label)
        else:
            warnings.append(label)
    del raw_results  # they hold raw values; nothing below may use them

    report_rel = paths.validation_report(ds, batch_id)
    docs_rel = paths.validation_report(ds, batch_id, "html")
    sanitised = {
        "success": not critical,
        "results": results,
        "suite_name": suite_doc["name"],
        "suite_parameters": {},
        "statistics": {
            "evaluated_expectations": len(results),
            "successful_expectations": sum(r["success"] for r in results),
            "unsuccessful_expectations": sum(not r["success"] for r in results),
            "success_percent": 100.0 * sum(r["success"] for r in results) / max(1, len(results)),
        },
        "meta": {"great_expectations_version": _gx_version(), "dataset": ds, "batch_id": batch_id,
                 "run_time": utcnow()},
    }
    lake.write_json(report_rel, {**sanitised, "govlake": {
        "rows_validated": manifest.rows_ingested, "rows_quarantined": len(failing),
        "critical_failures": critical, "warnings": warnings}})
    lake.write_text(docs_rel, render_data_docs(sanitised))

    quarantine_rel = paths.quarantine_rows(ds, batch_id, "validate")
    if failing:
        keys = spark.createDataFrame(
            [(f, n, "; ".join(sorted(set(labels)))) for (f, n), labels in failing.items()],
            "_source_file string, _source_row long, _failed string")
        bad = (df.join(F.broadcast(keys), list(ROW_KEY))
               .select("_batch_id", "_source_file", "_source_row", F.lit("validate").alias("_stage"),
                       F.concat(F.col("_source_file"), F.lit(": line "), F.col("_source_row").cast("string"),
                                F.lit(": failed "), F.col("_failed")).alias("_reason"),
                       F.to_json(F.struct(*contract.column_names)).alias("_raw")))
        bad.write.mode("overwrite").parquet(lake.spark_uri(quarantine_rel))
    else:
        lake.delete_dir(quarantine_rel)
    failpoint("validate.written")
    for (f, n), labels in sorted(failing.items())[:10]:
        log.warning("quarantined at validation: %s: line %d: failed %s", f, n, "; ".join(labels))

    manifest.validation = ValidationSummary(
        report=report_rel, data_docs=docs_rel, success=not critical, critical_failures=critical, warnings=warnings,
        quarantined_rows=len(failing),
        examples=[QuarantinedRow(file=f, line=n, failed=sorted(set(labels)))
                  for (f, n), labels in sorted(failing.items())[:MAX_ROW_REFS]])
    manifest.rows_quarantined_validate = len(failing)
    manifest.quarantine_paths = sorted({p for p in manifest.quarantine_paths if p != quarantine_rel}
                                       | ({quarantine_rel} if failing else set()))
    manifest.timings["validate"] = round(time.monotonic() - started, 2)
    if critical:
        reason = f"critical expectation(s) failed: {'; '.join(critical)}"
        manifest.rejected_reason = reason
        manifest.advance(Status.REJECTED, note=reason)
    else:
        manifest.rejected_reason = None
        manifest.advance(Status.VALIDATED, note=f"{len(failing)} rows quarantined")
    save_manifest(lake, manifest)
    audit(lake, "validate", ds, batch_id=batch_id, success=not critical, quarantined=len(failing),
          critical_failures=critical)
    if critical:
        lake.write_json(paths.rejected_marker(ds, batch_id),
                        {"batch_id": batch_id, "reasons": critical, "report": report_rel, "time": utcnow()})
        raise CheckFailed(
            f"{ds} batch {batch_id} (delivery {manifest.delivery.delivery_id}): {reason}; the batch is rejected and "
            f"will not be published (report: {lake.uri(report_rel)})")
    log.info("validate %s: %d expectations, %d rows quarantined, report %s (%.1fs)", ds, len(results), len(failing),
             lake.uri(report_rel), manifest.timings["validate"])
    return ref


def _gx_version() -> str:
    import great_expectations as gx

    return gx.__version__
