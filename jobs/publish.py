"""Publish: the curated dataset, replaced atomically, with its catalog entry and lineage.

A curated version is written to its own folder; only when it is complete does the
``_current.json`` pointer (one atomic object write) switch readers to it. Readers therefore
see the old version or the new one, never half of one.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from govlake.contracts import Contract
from govlake.storage import Lake
from jobs.common import BatchRef, PipelineError, audit, load_manifest, log, save_manifest

KEEP_VERSIONS = 3
CURATED_LINEAGE = ("_batch_id", "_source_file", "_source_row")


def current_pointer(dataset: str) -> str:
    return f"curated/{dataset}/_current.json"


def read_current(lake: Lake, dataset: str) -> dict | None:
    rel = current_pointer(dataset)
    return lake.read_json(rel) if lake.exists(rel) else None


def publish(contract: Contract, lake: Lake, spark, ref: BatchRef) -> dict:
    ds = contract.dataset
    manifest = load_manifest(lake, ref)
    if manifest.get("status") not in ("masked", "published"):
        raise PipelineError(f"{ds} batch {ref.batch_id}: status is '{manifest.get('status')}'; "
                            "only masked batches can be published")
    verification = manifest.get("verification") or {}
    if not verification.get("passed"):
        audit(lake, "publish_refused", ds, batch_id=ref.batch_id, reason=verification.get("summary"))
        raise PipelineError(f"{ds} batch {ref.batch_id}: post-mask verification failed: "
                            f"{verification.get('summary', 'not verified')}; nothing was published")

    # The curated dataset is every masked, verified batch of the dataset (a rerun replaces its batch).
    batches = []
    for _, m in lake.iter_json(f"raw/{ds}/_batches"):
        if m.get("status") in ("masked", "published") and m.get("work_path") and \
                (m.get("verification") or {}).get("passed"):
            batches.append(m)
    batches.sort(key=lambda m: m["batch_id"])
    fingerprint = hashlib.sha256("|".join(f"{m['batch_id']}@{m['masking']['masked_at']}" for m in batches)
                                 .encode()).hexdigest()[:10]
    now = dt.datetime.now(dt.timezone.utc)
    version = f"{now:%Y%m%dT%H%M%SZ}-{fingerprint}"
    current = read_current(lake, ds)
    if current and current.get("fingerprint") == fingerprint:
        log.info("publish %s: version %s already holds these batches; nothing to do", ds, current["version"])
        return current

    frames = [spark.read.parquet(lake.spark_uri(m["work_path"])) for m in batches]
    df = frames[0]
    for f in frames[1:]:
        df = df.unionByName(f)
    curated = df.select(*contract.column_names, *CURATED_LINEAGE)
    rows = curated.count()
    version_rel = f"curated/{ds}/version={version}"
    curated.coalesce(max(1, rows // 2_000_000)).write.mode("overwrite").parquet(lake.spark_uri(version_rel))

    catalog_rel = f"catalog/{ds}.json"
    previous = lake.read_json(catalog_rel) if lake.exists(catalog_rel) else {}
    entry = {
        "dataset": ds,
        "title": contract.title,
        "owner": {"department": contract.department, "level": contract.level, "region_code": contract.region_code},
        "version": version,
        "path": lake.uri(version_rel),
        "format": "parquet",
        "published_at": now.isoformat(timespec="seconds"),
        "row_count": rows,
        "schema": _schema(contract, manifest, curated),
        "quasi_identifiers": list(contract.quasi_identifiers),
        "pseudonym_domain": contract.pseudonym_domain,
        "source_batches": [
            {"batch_id": m["batch_id"], "files": [f["uri"] for f in m["files"]], "rows_landed": m["rows_landed"],
             "rows_published": m["masking"]["rows"],
             "rows_quarantined": m.get("rows_quarantined_ingest", 0) + m.get("rows_quarantined_validate", 0),
             "rows_suppressed": m["masking"].get("rows_suppressed", 0),
             "key_version": m["masking"]["key_version"]}
            for m in batches
        ],
        "reports": {
            "validation": [lake.uri(m["validation"]["report"]) for m in batches],
            "data_docs": [lake.uri(m["validation"]["data_docs"]) for m in batches],
            "masking": [lake.uri(m["masking"]["report"]) for m in batches],
            "masking_html": [lake.uri(m["masking"]["report_html"]) for m in batches],
        },
        "access": [{"principal": a.principal, "purpose": a.purpose, "columns": list(a.columns),
                    "row_filter": a.row_filter} for a in contract.access],
        "lineage": {"contract": contract.path.name, "suite": contract.suite,
                    "stages": ["landing", "raw", "validate", "mask", "curated"]},
        "fingerprint": fingerprint,
        "previous_versions": ([previous["version"]] + previous.get("previous_versions", []))[: KEEP_VERSIONS - 1]
        if previous.get("version") else [],
    }
    # Switch readers to the new version in one atomic write, then record it in the catalog.
    pointer = {"dataset": ds, "version": version, "path": lake.uri(version_rel), "rel_path": version_rel,
               "fingerprint": fingerprint, "published_at": entry["published_at"]}
    lake.write_json(current_pointer(ds), pointer)
    lake.write_json(catalog_rel, entry)

    for m in batches:
        if m["status"] != "published":
            m["status"] = "published"
        m["published_version"] = version
        save_manifest(lake, m)
    keep = {version, *entry["previous_versions"]}
    for d in lake.list_dirs(f"curated/{ds}"):
        name = d.rsplit("/", 1)[-1]
        if name.startswith("version=") and name[len("version="):] not in keep:
            lake.delete_dir(d)
    audit(lake, "publish", ds, version=version, rows=rows, batches=[m["batch_id"] for m in batches])
    log.info("publish %s: version %s with %d rows at %s", ds, version, rows, lake.uri(version_rel))
    return pointer


def _schema(contract: Contract, manifest: dict, curated) -> list[dict]:
    """Curated columns with their actual types and how each was masked (risk-gate overrides included)."""
    overrides = (manifest.get("masking") or {}).get("overrides") or {}
    types = dict(curated.dtypes)
    out = []
    for col in contract.columns:
        rule = overrides.get(col.name)
        if rule:
            masking = {"entity": col.personal.entity if col.personal else None, "operator": rule["operator"],
                       "params": rule["params"], "reason": "risk gate"}
        elif col.personal:
            masking = {"entity": col.personal.entity, "operator": col.personal.operator}
        else:
            masking = "free_text" if col.name in contract.free_text_columns else None
        out.append({"name": col.name, "type": types[col.name], "masking": masking})
    return out + [{"name": c, "type": "lineage", "masking": None} for c in CURATED_LINEAGE]
