"""Every lake-relative path, built in one place.

Jobs never assemble a path themselves: they ask here, so the layout below is the whole truth
and a local folder or an S3 prefix differ only in the root :class:`govlake.storage.Lake` puts in
front of these paths.

    landing/<dataset>/...                              deliveries, kept as delivered
    raw/<dataset>/_ledger.json                         every delivery seen, by content digest
    raw/<dataset>/_batches/<batch>.json                batch manifest (status, counts, summaries)
    raw/<dataset>/ingest_date=<d>/batch_id=<batch>/    typed Parquet + lineage
    quarantine/<dataset>/batch_id=<batch>/stage=<s>/   rejected rows with their reason
    quarantine/<dataset>/batch_id=<batch>/_REJECTED.json
    quarantine/<dataset>/deliveries/<key>.json          a delivery refused as a whole, with the reason
    work/<dataset>/batch_id=<batch>/                   masked batches awaiting publication
    curated/<dataset>/{data,metadata}/                 the curated Iceberg table (data: batch_id=<b>/v<n>/)
    curated/<dataset>/releases/<n>.json(.sig)          signed release manifest of version n
    views/<dataset>/<view>/{data,metadata}/            one Iceberg table per audience view
    reports/<dataset>/{validation,masking}/<batch>.{json,html}
    reports/<dataset>/landing/<time>.json              what each ingest found in the landing zone
    reports/<dataset>/risk/v<version>.json             the re-identification risk evaluation of a release
    approvals/<dataset>/<request>.json                 a privacy officer's decision on a release
    catalog/<dataset>.json, catalog/_release_keys/<key>.pub
    work/_erasures/register.json                       pseudonyms of erased subjects (service only)
    audit/log/<seq>.json, audit/_head.json            the audit hash chain (checkpoints: govlake.audit)
    locks/<dataset>/<token>.json                       the dataset lock (see govlake.locks)
"""

from __future__ import annotations

import datetime as dt

ZONES = ("landing", "raw", "quarantine", "work", "curated", "views", "reports", "catalog", "audit", "locks")
SIGNATURE_SUFFIX = ".sig"


def landing(dataset: str) -> str:
    return f"landing/{dataset}"


def ledger(dataset: str) -> str:
    return f"raw/{dataset}/_ledger.json"


def batches(dataset: str) -> str:
    return f"raw/{dataset}/_batches"


def batch_manifest(dataset: str, batch_id: str) -> str:
    return f"{batches(dataset)}/{batch_id}.json"


def raw_dataset(dataset: str) -> str:
    return f"raw/{dataset}"


def raw_batch(dataset: str, ingest_date: str, batch_id: str) -> str:
    return f"raw/{dataset}/ingest_date={ingest_date}/batch_id={batch_id}"


def quarantine_batch(dataset: str, batch_id: str) -> str:
    return f"quarantine/{dataset}/batch_id={batch_id}"


def quarantine_rows(dataset: str, batch_id: str, stage: str) -> str:
    return f"{quarantine_batch(dataset, batch_id)}/stage={stage}"


def rejected_marker(dataset: str, batch_id: str) -> str:
    return f"{quarantine_batch(dataset, batch_id)}/_REJECTED.json"


def refused_delivery(dataset: str, delivery_key: str) -> str:
    return f"quarantine/{dataset}/deliveries/{delivery_key}.json"


def work_batch(dataset: str, batch_id: str) -> str:
    return f"work/{dataset}/batch_id={batch_id}"


def curated(dataset: str) -> str:
    return f"curated/{dataset}"


def curated_data(dataset: str) -> str:
    return f"curated/{dataset}/data"


def curated_batch_data(dataset: str, batch_id: str, version: int) -> str:
    """Where one batch's rows are written for version ``version`` (a re-masked batch gets a new folder)."""
    return f"curated/{dataset}/data/batch_id={batch_id}/v{version}"


def release_manifest(dataset: str, version: int | str) -> str:
    return f"curated/{dataset}/releases/{version}.json"


def releases(dataset: str) -> str:
    return f"curated/{dataset}/releases"


def signature_of(path: str) -> str:
    return path + SIGNATURE_SUFFIX


def view(dataset: str, name: str) -> str:
    return f"views/{dataset}/{name}"


def view_data(dataset: str, name: str, version: int) -> str:
    return f"views/{dataset}/{name}/data/v{version}"


def validation_report(dataset: str, batch_id: str, ext: str = "json") -> str:
    return f"reports/{dataset}/validation/{batch_id}.{ext}"


def masking_report(dataset: str, batch_id: str, ext: str = "json") -> str:
    return f"reports/{dataset}/masking/{batch_id}.{ext}"


def risk_evaluation(dataset: str, version: int | str) -> str:
    return f"reports/{dataset}/risk/v{version}.json"


def risk_evaluation_history(dataset: str, version: int | str, evaluated_at: str) -> str:
    """An earlier evaluation of the same version (a blocked release, evaluated again once fixed)."""
    stamp = evaluated_at.replace(":", "").replace("-", "").replace("+0000", "Z")
    return f"reports/{dataset}/risk/history/v{version}-{stamp}.json"


def approvals(dataset: str) -> str:
    return f"approvals/{dataset}"


def approval(dataset: str, request_id: str) -> str:
    return f"approvals/{dataset}/{request_id}.json"


def risk_evaluations(dataset: str) -> str:
    return f"reports/{dataset}/risk"


def landing_report(dataset: str, at: dt.datetime) -> str:
    return f"reports/{dataset}/landing/{at:%Y%m%dT%H%M%S%fZ}.json"


def landing_reports(dataset: str) -> str:
    return f"reports/{dataset}/landing"


def catalog() -> str:
    return "catalog"


def catalog_entry(dataset: str) -> str:
    return f"catalog/{dataset}.json"


def release_public_key(key_id: str) -> str:
    return f"catalog/_release_keys/{key_id}.pub"


def erasure_register() -> str:
    """Pseudonyms of erased subjects (never identifiers), so a later publish cannot bring them back."""
    return "work/_erasures/register.json"


def audit_log() -> str:
    return "audit/log"


def audit_record(seq: int) -> str:
    return f"audit/log/{seq:012d}.json"


def audit_head() -> str:
    return "audit/_head.json"


def locks(dataset: str) -> str:
    return f"locks/{dataset}"


def lock_entry(dataset: str, token: str) -> str:
    return f"{locks(dataset)}/{token}.json"
