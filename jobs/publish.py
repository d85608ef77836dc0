"""Publish: the curated dataset as an Iceberg table, its audience views, a signed release, the catalog.

What is published depends on the contract's delivery mode: a **snapshot** dataset is its newest
masked and verified delivery (older ones become ``superseded``), committed in place of the
previous files; an **increment** dataset is the union of all of them, and a publish only
appends the batches the table does not hold yet (and replaces re-masked ones), so published data
is never rewritten. Spark writes the Parquet files; one Iceberg commit makes them visible, so
readers see the previous version or the new one, never a mix. Before the commit, a release
manifest of the new version (every file's size, SHA-256 and row count) is signed with the
platform's release key.

Then each audience view (``govlake.access``: only its columns and rows, for its grantees'
administrative scope; public audiences get aggregates with small cells suppressed) is
materialised from the new version as an Iceberg table of its own.

Everything after the curated commit (views, catalog, batch statuses, expiring old versions,
deleting files no version needs) is idempotent: a publish killed half-way is finished by the next.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time

import pyarrow.parquet as pq

from govlake import approvals, paths, tables
from govlake.access import AccessModel, View
from govlake.contracts import Contract
from govlake.errors import ContractError
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
    release_manifest_bytes,
    save_manifest,
    write_catalog_entry,
)
from govlake.signing import public_b64, release_key, sign
from govlake.storage import Lake
from jobs import erasures
from jobs.assess import assess

log = logging.getLogger("govlake")
KEEP_VERSIONS = 10
CURATED_LINEAGE = ("_batch_id", "_source_file", "_source_row")
REGION = "_region_code"


def publishable_batches(contract: Contract, manifests: list[BatchManifest]) -> list[BatchManifest]:
    """The batches the curated dataset is made of, by the contract's delivery mode."""
    ready = [m for m in manifests if m.publishable]
    if contract.delivery.mode == "snapshot":
        return ready[-1:]  # manifests come in delivery order: the newest snapshot wins
    return ready


def publish(contract: Contract, lake: Lake, spark) -> CurrentVersion | None:
    with dataset_lock(lake, contract.dataset, "publish"):
        return _publish(contract, lake, spark)


def _fingerprint(batches: list[BatchManifest]) -> str:
    return hashlib.sha256("|".join(f"{m.batch_id}@{m.masking.masked_at}" for m in batches).encode()).hexdigest()[:10]


def plan_release(contract: Contract, lake: Lake, spark) -> dict:
    """Everything publish decides before it writes: the risk evaluation and whether the release waits
    for a privacy officer (the Airflow approval task asks this first)."""
    from govlake.errors import ApprovalRequired

    try:
        with dataset_lock(lake, contract.dataset, "plan release"):
            _publish(contract, lake, spark, dry_run=True)
    except ApprovalRequired as exc:
        return {"needs_approval": True, "note": str(exc)}
    return {"needs_approval": False, "note": "approved already, or no approval needed"}


def _publish(contract: Contract, lake: Lake, spark, dry_run: bool = False) -> CurrentVersion | None:
    started = time.monotonic()
    ds = contract.dataset
    manifests = iter_manifests(lake, ds)
    batches = publishable_batches(contract, manifests)
    table = tables.load(lake, tables.curated_name(ds))
    current = tables.current_version(table)
    if not batches:
        log.info("publish %s: no masked and verified batch to publish; curated data unchanged", ds)
        return tables.read_current(lake, ds)
    fingerprint = _fingerprint(batches)
    if current and current.properties.get("govlake.fingerprint") == fingerprint:
        finish_version(contract, lake, spark, manifests, batches, table, current)
        log.info("publish %s: version %s already holds these batches; nothing to do", ds, current.label)
        return tables.read_current(lake, ds)

    release_key()  # no signing key: refuse before anything is written
    if dry_run and not approvals.reasons_for(contract, lake, batches, has_release=current is not None):
        return None  # nothing for a privacy officer to see: no need to evaluate twice
    number = (max(v.number for v in tables.versions(table)) + 1) if table and tables.versions(table) else 1
    held = json.loads(current.properties.get("govlake.batches", "{}")) if current else {}
    wanted = {m.batch_id: m.masking.masked_at for m in batches}
    if contract.delivery.mode == "snapshot":
        to_write, drop, replace_all = batches, [], True
    else:  # append what is new, replace what was masked again, drop what may no longer be published
        to_write = [m for m in batches if held.get(m.batch_id) != wanted[m.batch_id]]
        drop, replace_all = [b for b in held if held[b] != wanted.get(b)], False

    register = erasures.load_register(lake)
    remove_prefixes = tuple(tables.file_uri(lake, f"{paths.curated_data(ds)}/batch_id={b}/") for b in drop)
    kept = [] if replace_all or table is None else [f for f in tables.data_files(table)
                                                    if not any(f.file_path.startswith(p) for p in remove_prefixes)]
    new_frames = {m.batch_id: erasures.without_erased(  # an erased subject never comes back
        spark.read.parquet(lake.spark_uri(m.work_path)).select(*contract.column_names, *CURATED_LINEAGE), contract, register)
        for m in to_write}
    # The risk evaluation sees the whole dataset each audience will receive; a release it blocks
    # writes nothing.
    assess(contract, lake, spark, _release_frame(contract, lake, spark, kept, list(new_frames.values())), number,
           [m.batch_id for m in batches], release=fingerprint)
    # ... and a privacy officer approves it when the rules say so (ApprovalRequired until then).
    approved = approvals.check(contract, lake, number, fingerprint, batches, has_release=current is not None,
                               evaluation=paths.risk_evaluation(ds, number))
    if dry_run:
        return None
    approvals.record_in_evaluation(lake, paths.risk_evaluation(ds, number), approved, ds)

    written: list[str] = []
    for m in to_write:
        rel = paths.curated_batch_data(ds, m.batch_id, number)
        new_frames[m.batch_id].coalesce(_files_for(m.rows_published)).write.mode("overwrite").parquet(lake.spark_uri(rel))
        written += [f.path for f in lake.list_files(rel, "*.parquet", recursive=False)]
    failpoint("publish.data_written")

    if table is None:
        table = tables.ensure(lake, tables.curated_name(ds), paths.curated(ds), _arrow_schema(lake, written[0]))
    elif written:
        tables.evolve(table, _arrow_schema(lake, written[0]))
    release_rel = write_release(contract, lake, number, batches, table,
                                release_files(lake, ds, current, kept) + [describe_file(lake, ds, rel) for rel in written])
    failpoint("publish.release_signed")

    # One commit switches readers to the new version; everything after is derived or bookkeeping.
    table = tables.commit(table, [tables.file_uri(lake, f) for f in written], remove_prefixes, replace_all,
                          {tables.VERSION: str(number), "govlake.fingerprint": fingerprint,
                           "govlake.batches": json.dumps(wanted, sort_keys=True), "govlake.release": release_rel})
    failpoint("publish.pointer_switched")
    version = tables.current_version(table)
    finish_version(contract, lake, spark, manifests, batches, table, version, started=started)
    log.info("publish %s: version %s with %d rows from %d batch(es), %d new file(s) (%.1fs)", ds, number,
             sum(f.record_count for f in tables.data_files(table)), len(batches), len(written),
             time.monotonic() - started)
    return tables.read_current(lake, ds)


def _release_frame(contract: Contract, lake: Lake, spark, kept, new_frames: list):
    """The curated dataset as it will be after this publish: the kept files and the new batches."""
    frames = list(new_frames)
    if kept:
        frames.append(spark.read.option("mergeSchema", "true").parquet(*[lake.spark_uri(lake.rel(f.file_path)) for f in kept]))
    frames = [f.select(*contract.column_names) for f in frames]
    out = frames[0]
    for f in frames[1:]:
        out = out.unionByName(f, allowMissingColumns=True)
    return out


def _files_for(rows: int) -> int:
    """Parquet files for a curated batch or view: one per 2M rows, so every core writes, and few small files."""
    return max(1, rows // 2_000_000)


def write_release(contract: Contract, lake: Lake, number: int, batches: list[BatchManifest], table,
                  files: list[ReleaseFile]) -> str:
    """Sign and write version ``number``'s release manifest; returns its lake path."""
    key = release_key()
    ds = contract.dataset
    release = ReleaseManifest(
        dataset=ds, version=str(number), table=tables.curated_name(ds),
        published_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), mode=contract.delivery.mode,
        row_count=sum(f.rows for f in files), files=files, columns=[],
        source_batches=[_batch_summary(lake, m) for m in batches], contract_sha256=contract.sha256,
        signing_key=key.key_id)
    release.columns = _schema(contract, batches[-1], table)
    data = release_manifest_bytes(release)
    release_rel = paths.release_manifest(ds, number)
    lake.write_bytes(release_rel, data)
    lake.write_bytes(paths.signature_of(release_rel), sign(key.private, data))
    if not lake.exists(paths.release_public_key(key.key_id)):
        lake.write_text(paths.release_public_key(key.key_id), public_b64(key.public) + "\n")
    return release_rel


def _arrow_schema(lake: Lake, rel: str):
    with lake.open_random(rel) as f:
        return pq.read_schema(f)


def describe_file(lake: Lake, dataset: str, rel: str) -> ReleaseFile:
    digest = hashlib.sha256()
    with lake.open_stream(rel) as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    with lake.open_random(rel) as f:
        rows = pq.read_metadata(f).num_rows
    size = next(i.size for i in lake.list_files(rel.rsplit("/", 1)[0], rel.rsplit("/", 1)[1], recursive=False))
    return ReleaseFile(name=rel[len(paths.curated(dataset)) + 1:], size=size, sha256=digest.hexdigest(), rows=rows)


def release_files(lake: Lake, dataset: str, current, kept) -> list[ReleaseFile]:
    """Entries for files the new version keeps: taken from the previous release, not read again."""
    if not kept:
        return []
    previous = {}
    if current is not None:
        rel = current.properties.get("govlake.release")
        if rel and lake.exists(rel):
            previous = {f.name: f for f in parse_release_manifest(lake.read_bytes(rel), rel).files}
    out = []
    for f in kept:
        name = lake.rel(f.file_path)[len(paths.curated(dataset)) + 1:]
        out.append(previous.get(name) or describe_file(lake, dataset, lake.rel(f.file_path)))
    return out


# -- audience views ------------------------------------------------------------------------------------

def _region_expr(contract: Contract):
    from pyspark.sql import functions as F

    r = contract.region
    if r.column is None:
        return F.lit(contract.region_code)
    if r.codes:
        mapping = F.create_map(*[F.lit(x) for kv in r.codes.items() for x in kv])
        return F.coalesce(mapping[F.col(r.column)], F.lit(contract.region_code))
    return F.coalesce(F.col(r.column).cast("string"), F.lit(contract.region_code))


def _person_column(contract: Contract) -> str | None:
    """The column that says who a row is about (a pseudonymised resident ID), for counting people."""
    return next((c.name for c in contract.personal_columns
                 if c.personal.entity == "CN_RESIDENT_ID" and c.personal.operator == "pseudonym"), None)


def view_frame(contract: Contract, view: View, curated):
    """The rows and columns one audience may see, from the curated data (a Spark DataFrame)."""
    from pyspark.sql import functions as F

    a = view.audience
    df = curated.withColumn(REGION, _region_expr(contract))
    if view.scope:
        df = df.where(F.col(REGION).startswith(view.scope))
    if a.row_filter:
        try:
            df = df.where(F.expr(a.row_filter))
            df.schema  # noqa: B018 - resolves the expression now, so a bad filter is reported here
        except Exception as exc:
            raise ContractError(f"{contract.path}: audience {a.name}: row_filter cannot be used: "
                                f"{str(exc).splitlines()[0][:200]}") from None
    if a.public:
        person = _person_column(contract)
        row = F.concat(F.lit("row:"), F.monotonically_increasing_id().cast("string"))
        # A person counts once; a row about nobody identified counts as one person.
        df = df.withColumn("_who", F.coalesce(F.col(person), row) if person else row)
        grouped = df.groupBy(*a.aggregate_by).agg(F.countDistinct("_who").alias("people"))
        # Open data without re-identification: a cell about fewer than min_count people is not published.
        return grouped.where(F.col("people") >= a.min_count)
    columns = contract.column_names if "*" in a.columns else list(a.columns)
    return df.select(*columns)


def _publish_views(contract: Contract, lake: Lake, spark, table, version: tables.Version) -> list[dict]:
    ds = contract.dataset
    model = AccessModel.load()
    data_files = tables.data_files(table)
    curated = spark.read.parquet(*[lake.spark_uri(lake.rel(f.file_path)) for f in data_files])
    rows = sum(f.record_count for f in data_files)
    out = []
    for view in model.views(ds):
        name = tables.view_name(ds, view.name)
        existing = tables.load(lake, name)
        done = tables.current_version(existing)
        if done is None or done.number != version.number:
            rel = paths.view_data(ds, view.name, version.number)
            # Row-level views are laid out as the curated data; aggregates are small: one file.
            files_wanted = 1 if view.audience.public else _files_for(rows)
            view_frame(contract, view, curated).coalesce(files_wanted).write.mode("overwrite").parquet(lake.spark_uri(rel))
            written = [f.path for f in lake.list_files(rel, "*.parquet", recursive=False)]
            vt = existing or tables.ensure(lake, name, paths.view(ds, view.name), _arrow_schema(lake, written[0]))
            existing = tables.commit(vt, [tables.file_uri(lake, f) for f in written], replace_all=True,
                                     properties={tables.VERSION: str(version.number),
                                                 "govlake.curated_snapshot": str(version.snapshot_id)})
            tables.expire(existing, KEEP_VERSIONS)
            tables.remove_unreferenced(lake, existing, f"{paths.view(ds, view.name)}/data")
        a = view.audience
        out.append({"view": view.name, "audience": a.name, "table": name,
                    "metadata": tables.metadata_location(existing),
                    "columns": list((*a.aggregate_by, "people") if a.public else a.columns), "public": a.public,
                    "purpose": a.purpose, "expires": a.expires.isoformat() if a.expires else None,
                    "scope": view.scope or "all", "readers": [p.name for p in model.readers(view)],
                    "rows": sum(f.record_count for f in tables.data_files(existing))})
    return out


# -- bookkeeping ---------------------------------------------------------------------------------------

def finish_version(contract: Contract, lake: Lake, spark, manifests: list[BatchManifest], batches: list[BatchManifest],
            table, version: tables.Version, started: float | None = None) -> None:
    """Views, catalog, batch statuses, old versions: idempotent, so a killed publish is finished by the next.
    ``started`` (``time.monotonic()`` when publishing began) times the batches' publish stage, views included."""
    ds = contract.dataset
    views = _publish_views(contract, lake, spark, table, version)
    failpoint("publish.views_written")
    release_rel = version.properties.get("govlake.release", paths.release_manifest(ds, version.label))
    release = parse_release_manifest(lake.read_bytes(release_rel), release_rel)
    previous = read_catalog_entry(lake, ds)
    tables.expire(table, KEEP_VERSIONS)
    table = table.refresh()
    risk_rel = paths.risk_evaluation(ds, version.number)
    entry = CatalogEntry(
        dataset=ds, title=contract.title,
        owner={"department": contract.department, "level": contract.level, "region_code": contract.region_code},
        mode=contract.delivery.mode, version=version.label, table=tables.curated_name(ds),
        location=lake.uri(paths.curated(ds)), metadata=tables.metadata_location(table),
        release_manifest=lake.uri(release_rel), published_at=release.published_at, row_count=release.row_count,
        schema=release.columns, quasi_identifiers=list(contract.quasi_identifiers),
        pseudonym_domain=contract.pseudonym_domain, source_batches=release.source_batches,
        reports={
            "validation": [lake.uri(m.validation.report) for m in batches],
            "data_docs": [lake.uri(m.validation.data_docs) for m in batches],
            "masking": [lake.uri(m.masking.report) for m in batches],
            "masking_html": [lake.uri(m.masking.report_html) for m in batches],
            "risk": [lake.uri(risk_rel)] if lake.exists(risk_rel) else [],
        },
        access=[{"audience": a.name, "grantees": list(a.grantees), "public": a.public, "purpose": a.purpose,
                 "columns": list(a.columns), "row_filter": a.row_filter,
                 "expires": a.expires.isoformat() if a.expires else None} for a in contract.access],
        views=views,
        versions=[{"version": v.label, "snapshot_id": v.snapshot_id,
                   "published_at": v.committed_at.isoformat(timespec="seconds"),
                   "rows": sum(f.record_count for f in tables.data_files(table, v.snapshot_id))}
                  for v in tables.versions(table)],
        lineage={"contract": contract.path.name, "contract_sha256": contract.sha256, "suite": contract.suite,
                 "stages": ["landing", "raw", "validate", "mask", "curated", "views"],
                 "release_signed_by": release.signing_key},
        fingerprint=version.properties.get("govlake.fingerprint", ""))
    write_catalog_entry(lake, entry)
    failpoint("publish.catalog_written")

    chosen = {m.batch_id for m in batches}
    newest = batches[-1].batch_id
    for m in manifests:
        if m.batch_id in chosen:
            if m.status != Status.PUBLISHED:  # the version it first appeared in; later versions keep it
                m.advance(Status.PUBLISHED, note=f"version {version.label}")
                m.published_version = version.label
                if started is not None:
                    m.timings["publish"] = round(time.monotonic() - started, 2)
                save_manifest(lake, m)
        elif contract.delivery.mode == "snapshot" and m.status in (Status.MASKED, Status.PUBLISHED) \
                and m.delivery.sequence < batches[-1].delivery.sequence:
            m.advance(Status.SUPERSEDED, note=f"replaced by batch {newest}")
            m.superseded_by = newest
            save_manifest(lake, m)
    # Files no kept version needs: left by expired versions or by a publish killed before its commit.
    tables.remove_unreferenced(lake, table, paths.curated_data(ds))
    kept = {v.label for v in tables.versions(table)}
    for info in lake.list_files(paths.releases(ds), "*.json", recursive=False):
        if info.path.rsplit("/", 1)[-1][:-5] not in kept:
            lake.delete_file(info.path)
            lake.delete_file(paths.signature_of(info.path))
    if previous is None or previous.version != version.label:
        audit(lake, "publish", ds, version=version.label, rows=release.row_count,
              batches=[m.batch_id for m in batches], views=[v["view"] for v in views],
              signed_by=release.signing_key)
    failpoint("publish.done")


def _batch_summary(lake: Lake, m: BatchManifest) -> dict:
    return {"batch_id": m.batch_id, "delivery": m.delivery.delivery_id, "sequence": m.delivery.sequence,
            "signed": m.delivery.signed, "signer": m.delivery.signer,
            "files": [lake.uri(f.path) + (f"!{f.member}" if f.member else "") for f in m.files],
            "sha256": {f.label.rsplit("/", 1)[-1]: f.sha256 for f in m.files},
            "rows_landed": m.rows_landed, "rows_published": m.rows_published,
            "rows_quarantined": m.rows_quarantined, "rows_suppressed": m.rows_suppressed,
            "key_version": m.masking.key_version if m.masking else None}


def _schema(contract: Contract, manifest: BatchManifest, table) -> list[dict]:
    """Curated columns with their types and how each was masked (risk-gate overrides included)."""
    overrides = manifest.masking.overrides if manifest.masking else {}
    types = {f.name: str(f.field_type) for f in table.schema().fields} if table is not None else {}
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
        out.append({"name": col.name, "type": types.get(col.name, "unknown"), "masking": masking})
    return out + [{"name": c, "type": "lineage", "masking": None} for c in CURATED_LINEAGE]
