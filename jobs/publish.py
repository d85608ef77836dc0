"""Publish: the curated dataset, replaced atomically, signed, with its catalog entry and lineage.

What is published depends on the contract's delivery mode: a **snapshot** dataset is its newest
masked and verified delivery (older ones become ``superseded``); an **increment** dataset is the
union of all of them. A curated version is written to its own folder with a release manifest
(files, sizes, SHA-256 digests, row counts) signed by the platform's release key; only when all
of that is complete does the ``_current.json`` pointer (one atomic object write) switch readers
to it. Readers therefore see the old version or the new one, never half of one.

Every step after the pointer switch (catalog, batch statuses, pruning old versions) is
idempotent: a publish killed half-way is finished by the next run, which finds the pointer
already at the version its batches make and only completes the bookkeeping.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time

import pyarrow.parquet as pq

from govlake import paths
from govlake.contracts import Contract
from govlake.faults import failpoint
from govlake.locks import dataset_lock
from govlake.records import (
    BatchManifest,
    CatalogEntry,
    CurrentVersion,
    ReleaseFile,
    ReleaseManifest,
    Status,
    audit,
    iter_manifests,
    parse_release_manifest,
    read_catalog_entry,
    read_current,
    release_manifest_bytes,
    save_manifest,
    write_catalog_entry,
    write_current,
)
from govlake.signing import public_b64, release_key, sign
from govlake.storage import Lake

log = logging.getLogger("govlake")
KEEP_VERSIONS = 3
CURATED_LINEAGE = ("_batch_id", "_source_file", "_source_row")


def publishable_batches(contract: Contract, manifests: list[BatchManifest]) -> list[BatchManifest]:
    """The batches the curated dataset is made of, by the contract's delivery mode."""
    ready = [m for m in manifests if m.publishable]
    if contract.delivery.mode == "snapshot":
        return ready[-1:]  # manifests come in delivery order: the newest snapshot wins
    return ready


def publish(contract: Contract, lake: Lake, spark) -> CurrentVersion | None:
    with dataset_lock(lake, contract.dataset, "publish"):
        return _publish(contract, lake, spark)


def _publish(contract: Contract, lake: Lake, spark) -> CurrentVersion | None:
    started = time.monotonic()
    ds = contract.dataset
    manifests = iter_manifests(lake, ds)
    batches = publishable_batches(contract, manifests)
    current = read_current(lake, ds)
    if not batches:
        log.info("publish %s: no masked and verified batch to publish; curated data unchanged", ds)
        return current
    fingerprint = hashlib.sha256("|".join(f"{m.batch_id}@{m.masking.masked_at}" for m in batches)
                                 .encode()).hexdigest()[:10]
    if current and current.fingerprint == fingerprint:
        _finish(contract, lake, manifests, batches, current)
        log.info("publish %s: version %s already holds these batches; nothing to do", ds, current.version)
        return current

    key = release_key()
    now = dt.datetime.now(dt.UTC)
    version = f"{now:%Y%m%dT%H%M%S%fZ}-{fingerprint}"
    frames = [spark.read.parquet(lake.spark_uri(m.work_path)) for m in batches]
    df = frames[0]
    for f in frames[1:]:
        df = df.unionByName(f)
    curated = df.select(*contract.column_names, *CURATED_LINEAGE)
    rows = curated.count()
    version_rel = paths.curated_version(ds, version)
    curated.coalesce(max(1, rows // 2_000_000)).write.mode("overwrite").parquet(lake.spark_uri(version_rel))
    failpoint("publish.data_written")

    release = ReleaseManifest(
        dataset=ds, version=version, published_at=now.isoformat(timespec="seconds"), mode=contract.delivery.mode,
        row_count=rows, files=_release_files(lake, version_rel), columns=_schema(contract, batches[-1], curated),
        source_batches=[_batch_summary(lake, m) for m in batches], contract_sha256=contract.sha256,
        signing_key=key.key_id)
    if sum(f.rows for f in release.files) != rows:
        raise RuntimeError(f"{ds} version {version}: the written files hold {sum(f.rows for f in release.files)} "
                           f"rows, {rows} were expected")  # a bug, not bad input: keep the traceback
    data = release_manifest_bytes(release)
    release_rel = paths.release_manifest(ds, version)
    lake.write_bytes(release_rel, data)
    lake.write_bytes(paths.signature_of(release_rel), sign(key.private, data))
    if not lake.exists(paths.release_public_key(key.key_id)):
        lake.write_text(paths.release_public_key(key.key_id), public_b64(key.public) + "\n")
    failpoint("publish.release_signed")

    # Switch readers to the new version in one atomic write; everything after is bookkeeping.
    pointer = CurrentVersion(dataset=ds, version=version, path=lake.uri(version_rel), rel_path=version_rel,
                             fingerprint=fingerprint, published_at=release.published_at,
                             release_manifest=lake.uri(release_rel))
    write_current(lake, pointer)
    failpoint("publish.pointer_switched")
    _finish(contract, lake, manifests, batches, pointer, release=release, seconds=time.monotonic() - started)
    log.info("publish %s: version %s with %d rows from %d batch(es) at %s (%.1fs)", ds, version, rows, len(batches),
             lake.uri(version_rel), time.monotonic() - started)
    return pointer


def _finish(contract: Contract, lake: Lake, manifests: list[BatchManifest], batches: list[BatchManifest],
            pointer: CurrentVersion, release: ReleaseManifest | None = None, seconds: float | None = None) -> None:
    """Catalog, batch statuses, old versions: idempotent, so a killed publish is finished by the next."""
    ds = contract.dataset
    release = release or parse_release_manifest(lake.read_bytes(paths.release_manifest(ds, pointer.version)),
                                                paths.release_manifest(ds, pointer.version))
    previous = read_catalog_entry(lake, ds)
    changed = previous is None or previous.version != pointer.version
    history = ([previous.version] + previous.previous_versions) if previous and changed else \
        (previous.previous_versions if previous else [])
    history = [v for v in history if v != pointer.version][: KEEP_VERSIONS - 1]
    entry = CatalogEntry(
        dataset=ds, title=contract.title,
        owner={"department": contract.department, "level": contract.level, "region_code": contract.region_code},
        mode=contract.delivery.mode, version=pointer.version, path=pointer.path,
        release_manifest=pointer.release_manifest, published_at=pointer.published_at, row_count=release.row_count,
        schema=release.columns, quasi_identifiers=list(contract.quasi_identifiers),
        pseudonym_domain=contract.pseudonym_domain, source_batches=release.source_batches,
        reports={
            "validation": [lake.uri(m.validation.report) for m in batches],
            "data_docs": [lake.uri(m.validation.data_docs) for m in batches],
            "masking": [lake.uri(m.masking.report) for m in batches],
            "masking_html": [lake.uri(m.masking.report_html) for m in batches],
        },
        access=[{"audience": a.name, "grantees": list(a.grantees), "public": a.public, "purpose": a.purpose,
                 "columns": list(a.columns), "row_filter": a.row_filter,
                 "expires": a.expires.isoformat() if a.expires else None} for a in contract.access],
        lineage={"contract": contract.path.name, "contract_sha256": contract.sha256, "suite": contract.suite,
                 "stages": ["landing", "raw", "validate", "mask", "curated"],
                 "release_signed_by": release.signing_key},
        fingerprint=pointer.fingerprint, previous_versions=history)
    write_catalog_entry(lake, entry)
    failpoint("publish.catalog_written")

    chosen = {m.batch_id for m in batches}
    newest = batches[-1].batch_id
    for m in manifests:
        if m.batch_id in chosen:
            if m.status != Status.PUBLISHED:  # the version it first appeared in; later versions keep it
                m.advance(Status.PUBLISHED, note=f"version {pointer.version}")
                m.published_version = pointer.version
                if seconds is not None:
                    m.timings["publish"] = round(seconds, 2)
                save_manifest(lake, m)
        elif contract.delivery.mode == "snapshot" and m.status in (Status.MASKED, Status.PUBLISHED) \
                and m.delivery.sequence < batches[-1].delivery.sequence:
            m.advance(Status.SUPERSEDED, note=f"replaced by batch {newest}")
            m.superseded_by = newest
            save_manifest(lake, m)
    keep = {pointer.version, *history}
    for d in lake.list_dirs(paths.curated(ds)):
        version = paths.version_of(d)
        if version and version not in keep:
            lake.delete_dir(d)  # older than the kept history, or left by a killed publish
    if changed:
        audit(lake, "publish", ds, version=pointer.version, rows=release.row_count,
              batches=[m.batch_id for m in batches], signed_by=release.signing_key)
    failpoint("publish.done")


def _release_files(lake: Lake, version_rel: str) -> list[ReleaseFile]:
    files = []
    for info in lake.list_files(version_rel, "*.parquet", recursive=False):
        digest = hashlib.sha256()
        with lake.open_stream(info.path) as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
        with lake.open_random(info.path) as f:
            rows = pq.read_metadata(f).num_rows
        files.append(ReleaseFile(name=info.path.rsplit("/", 1)[-1], size=info.size, sha256=digest.hexdigest(),
                                 rows=rows))
    return files


def _batch_summary(lake: Lake, m: BatchManifest) -> dict:
    return {"batch_id": m.batch_id, "delivery": m.delivery.delivery_id, "sequence": m.delivery.sequence,
            "signed": m.delivery.signed, "signer": m.delivery.signer,
            "files": [lake.uri(f.path) + (f"!{f.member}" if f.member else "") for f in m.files],
            "sha256": {f.label.rsplit("/", 1)[-1]: f.sha256 for f in m.files},
            "rows_landed": m.rows_landed, "rows_published": m.rows_published,
            "rows_quarantined": m.rows_quarantined, "rows_suppressed": m.rows_suppressed,
            "key_version": m.masking.key_version if m.masking else None}


def _schema(contract: Contract, manifest: BatchManifest, curated) -> list[dict]:
    """Curated columns with their actual types and how each was masked (risk-gate overrides included)."""
    overrides = manifest.masking.overrides if manifest.masking else {}
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
