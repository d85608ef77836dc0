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
    curated/<dataset>/version=<v>/                     published Parquet + signed release manifest
    curated/<dataset>/_current.json                    the pointer readers follow
    reports/<dataset>/{validation,masking}/<batch>.{json,html}
    reports/<dataset>/landing/<time>.json              what each ingest found in the landing zone
    catalog/<dataset>.json, catalog/_release_keys/<key>.pub
    audit/<date>/<time>-<action>-<dataset>-<id>.json
    locks/<dataset>/<token>.json                       the dataset lock (see govlake.locks)
"""

from __future__ import annotations

import datetime as dt

ZONES = ("landing", "raw", "quarantine", "work", "curated", "reports", "catalog", "audit", "locks")
RELEASE_MANIFEST = "_release.json"
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


def curated_version(dataset: str, version: str) -> str:
    return f"curated/{dataset}/version={version}"


def version_of(path: str) -> str | None:
    """The version named by a ``curated/<dataset>/version=<v>`` folder, else None."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name[len("version="):] if name.startswith("version=") else None


def release_manifest(dataset: str, version: str) -> str:
    return f"{curated_version(dataset, version)}/{RELEASE_MANIFEST}"


def signature_of(path: str) -> str:
    return path + SIGNATURE_SUFFIX


def current_pointer(dataset: str) -> str:
    return f"curated/{dataset}/_current.json"


def validation_report(dataset: str, batch_id: str, ext: str = "json") -> str:
    return f"reports/{dataset}/validation/{batch_id}.{ext}"


def masking_report(dataset: str, batch_id: str, ext: str = "json") -> str:
    return f"reports/{dataset}/masking/{batch_id}.{ext}"


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


def audit_event(at: dt.datetime, action: str, dataset: str, unique: str) -> str:
    return f"audit/{at:%Y-%m-%d}/{at:%H%M%S%f}-{action}-{dataset}-{unique}.json"


def locks(dataset: str) -> str:
    return f"locks/{dataset}"


def lock_entry(dataset: str, token: str) -> str:
    return f"{locks(dataset)}/{token}.json"
