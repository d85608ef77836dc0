"""Ingest: new deliveries in ``landing/`` -> one typed Parquet batch each in ``raw/``.

1. The landing zone is scanned (``jobs.landing``): each new delivery (a signed manifest and
   its files, or one unsigned file where the contract allows it) becomes a batch, registered
   in the ledger so it is never ingested twice; refused deliveries are recorded with the reason.
2. Each batch is parsed on Spark executors (one task per file, through the lake's file system,
   so a local folder and S3 behave alike) by the format's reader; casting to the contract's
   schema is Spark SQL. Bad rows go to ``quarantine/`` with file, line and column (never the
   value in the message). A file-level problem found while parsing (a file that changed since
   it was registered, a row count that differs from the signed manifest) refuses the whole
   delivery: nothing of it is written to ``raw/``.

Everything runs under the dataset's lock, and a batch left at ``delivered`` by a killed run is
ingested by the next one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Iterator

import pyarrow as pa

from govlake import paths
from govlake.contracts import Column, Contract
from govlake.errors import DeliveryError
from govlake.faults import failpoint
from govlake.locks import dataset_lock
from govlake.records import (
    BatchManifest,
    BatchRef,
    DeliveryRef,
    FileRecord,
    LedgerEntry,
    LedgerState,
    Status,
    audit,
    iter_manifests,
    load_ledger,
    save_ledger,
    save_manifest,
    utcnow,
)
from govlake.signing import Keyring
from govlake.storage import Lake
from jobs.landing import Delivery, landing_report, scan_landing
from jobs.readers import ReadSettings, RecordBlock, open_delivered

log = logging.getLogger("govlake")
LINEAGE_COLUMNS = ("_batch_id", "_source_file", "_source_row", "_ingest_time")
MAX_REASONS_IN_MANIFEST = 50
ROWS_PER_ARROW_BATCH = 8192


@dataclass
class IngestResult:
    """What an ingest run did: the batches that now need validating and masking, and what it refused."""

    batches: list[BatchRef] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # one plain sentence per refused delivery
    landing: list[str] = field(default_factory=list)  # one line per landing entry: what happened to it
    summary: str = ""

    def to_dict(self) -> dict:
        return {"batches": [b.to_dict() for b in self.batches], "refused": self.refused, "landing": self.landing,
                "summary": self.summary}


def ingest(contract: Contract, lake: Lake, spark, keyring: Keyring | None = None) -> IngestResult:
    ds = contract.dataset
    with dataset_lock(lake, ds, "ingest"):
        ledger = load_ledger(lake, ds)
        scan = scan_landing(lake, contract, ledger, keyring or Keyring.load())
        now = dt.datetime.now(dt.UTC)
        refused = []
        for r in scan.refused:
            ledger.record(LedgerEntry(key=r.key, delivery_id=r.delivery_id, kind="delivery", files=r.files,
                                      first_seen=utcnow(), state=LedgerState.REFUSED, reason=r.reason,
                                      checked_against=r.checked_against))
            lake.write_json(paths.refused_delivery(ds, r.key), {"dataset": ds, "delivery": r.delivery_id,
                                                                 "files": r.files, "reason": r.reason,
                                                                 "refused_at": utcnow()})
            audit(lake, "delivery_refused", ds, delivery=r.delivery_id, reason=r.reason)
            log.error("refused: %s", r.reason)
            refused.append(r.reason)
        for delivery in scan.new:
            _register(contract, lake, ledger, delivery, now)
        save_ledger(lake, ledger)
        lake.write_json(paths.landing_report(ds, now), landing_report(contract, scan, now))
        for outcome in scan.outcomes:
            if outcome.outcome in ("not ingested", "duplicate"):
                log.warning("landing: %s", outcome.line())
        log.info("landing/%s: %s", ds, scan.summary())
        failpoint("ingest.registered")

        for manifest in iter_manifests(lake, ds):
            if manifest.status == Status.DELIVERED:
                reason = ingest_batch(contract, lake, spark, manifest)
                if reason:
                    refused.append(reason)
                    entry = ledger.get(manifest.delivery.key)
                    if entry:
                        entry.state, entry.reason = LedgerState.REFUSED, reason
                    save_ledger(lake, ledger)
        pending = [BatchRef.of(m) for m in iter_manifests(lake, ds)
                   if m.status in (Status.INGESTED, Status.VALIDATED)]
    return IngestResult(pending, refused, [o.line() for o in scan.outcomes], scan.summary())


def _register(contract: Contract, lake: Lake, ledger, delivery: Delivery, now: dt.datetime) -> BatchManifest:
    ds = contract.dataset
    sequence = ledger.take_sequence()
    batch_id = delivery.batch_id
    manifest = BatchManifest(
        dataset=ds, batch_id=batch_id, mode=contract.delivery.mode,
        delivery=DeliveryRef(key=delivery.key, delivery_id=delivery.delivery_id, sequence=sequence,
                             signed=delivery.signed, signer=delivery.signer, manifest=delivery.manifest,
                             notes=delivery.notes),
        ingest_date=now.date().isoformat(),
        files=[FileRecord(path=f.path, member=f.member, uri=lake.uri(f.path), sha256=f.sha256, size=f.size,
                          compression=f.compression, declared_rows=f.declared_rows) for f in delivery.files],
        raw_path=paths.raw_batch(ds, now.date().isoformat(), batch_id),
    )
    manifest.advance(Status.DELIVERED, note=f"delivery {delivery.delivery_id}")
    save_manifest(lake, manifest)
    stats = {f.path: f.stats for f in delivery.files if f.stats}
    files = delivery.digests
    if delivery.manifest:
        files = {delivery.manifest: "", **files}
    ledger.record(LedgerEntry(key=delivery.key, delivery_id=delivery.delivery_id, kind=delivery.kind, files=files,
                              stats=stats, first_seen=utcnow(), state=LedgerState.ACCEPTED, sequence=sequence,
                              batch_id=batch_id))
    audit(lake, "delivery_accepted", ds, delivery=delivery.delivery_id, batch_id=batch_id, signed=delivery.signed,
          signer=delivery.signer, files=[f.label.rsplit("/", 1)[-1] for f in delivery.files])
    return manifest


class _Hashing:
    """Reads a stream while hashing every byte, so the parse proves it read what was registered."""

    def __init__(self, stream):
        self._stream, self.sha, self.size = stream, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n) if n is not None and n >= 0 else self._stream.read()
        self.sha.update(data)
        self.size += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def drain(self) -> None:
        while self.read(1 << 20):
            pass


FILE_CHANGED = "the file changed while it was being ingested"


def _parse_files(settings: ReadSettings, files: list[dict], lake_handle: tuple[str, str | None],
                 checked: dict[str, str] | None = None):
    """The executor-side parser: a closure over small, picklable settings.

    For every file it yields its records and then one control row (``_control``) with what the
    driver must check: the digest of the bytes read, the encoding, drift, or a file-level error.
    With ``checked`` (label -> SHA-256 the driver already accepted), a file whose bytes now hash
    differently fails the task instead, so a second pass can never write rows that were not checked.
    """
    columns = settings.column_names
    out_names = [*columns, "_source_file", "_source_row", "_error", "_raw", "_control"]
    by_label = {f["label"]: f for f in files}

    def parse(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        lk = Lake.open(*lake_handle)
        for batch in batches:
            for label in batch.column("label").to_pylist():
                info = by_label[label]
                rows: dict[str, list] = {n: [] for n in out_names}

                def flush(rows=rows):
                    out = pa.RecordBatch.from_pydict(
                        {n: pa.array(rows[n], type=pa.int64() if n == "_source_row" else pa.string())
                         for n in out_names})
                    for v in rows.values():
                        v.clear()
                    return out

                def emit(values, line, error, raw, control=None, rows=rows, label=label):
                    for c in columns:
                        rows[c].append(None if values is None else values.get(c))
                    rows["_source_file"].append(label)
                    rows["_source_row"].append(line)
                    rows["_error"].append(error)
                    rows["_raw"].append(raw)
                    rows["_control"].append(control)

                def block_batch(block: RecordBlock, label=label) -> pa.RecordBatch:
                    n = block.count
                    arrays = {c: pa.nulls(n, pa.string()) if (v := block.values.get(c)) is None else v for c in columns}
                    arrays["_source_file"] = pa.repeat(pa.scalar(label, pa.string()), n)
                    arrays["_source_row"] = pa.array(range(block.first_line, block.first_line + n), pa.int64())
                    for name in ("_error", "_raw", "_control"):
                        arrays[name] = pa.nulls(n, pa.string())
                    return pa.RecordBatch.from_pydict(arrays)

                control: dict = {}
                count = 0
                try:
                    if info["member"]:
                        with lk.open_stream(info["path"]) as whole:
                            hashing = _Hashing(whole)
                            hashing.drain()
                        raw_stream = lk.open_random(info["path"])
                    else:
                        raw_stream = lk.open_stream(info["path"])
                        hashing = _Hashing(raw_stream)
                    with raw_stream:
                        opened = open_delivered(raw_stream if info["member"] else hashing, info["path"], settings,
                                                info["member"])
                        for item in opened.items:
                            if isinstance(item, RecordBlock):  # good rows in bulk, already Arrow arrays
                                count += item.count
                                if rows["_source_row"]:
                                    yield flush()
                                yield block_batch(item)
                                continue
                            count += 1
                            emit(item.values, item.line, item.problem, item.raw)
                            if len(rows["_source_row"]) >= ROWS_PER_ARROW_BATCH:
                                yield flush()
                        if not info["member"]:
                            hashing.drain()
                    control = {"sha256": hashing.sha.hexdigest(), "size": hashing.size, "rows": count,
                               "encoding": opened.decoding.encoding, "notes": opened.notes,
                               "extra": opened.extra_columns, "missing": opened.missing_columns}
                except DeliveryError as exc:
                    control = {"error": str(exc), "rows": count}
                if checked is not None and control.get("sha256") != checked.get(label):
                    raise DeliveryError(f"{label}: {FILE_CHANGED} (its SHA-256 digest differs from the one checked "
                                        "moments before); deliver it again")
                emit(None, None, None, None, json.dumps(control, ensure_ascii=False))
                yield flush()

    return parse


def _text(col: Column):
    """The column's text as Spark sees it: trimmed, empty as null."""
    from pyspark.sql import functions as F

    trimmed = F.trim(F.col(col.name))
    return F.when(trimmed == "", None).otherwise(trimmed)


_FULLWIDTH = "０１２３４５６７８９．－＋：／，"
_HALFWIDTH = "0123456789.-+:/,"


def _typed(col: Column):
    """Spark expression casting the column's text to its contract type (null when unparsable).

    Numbers and dates accept full-width digits (１２３) and thousands separators (12,345.60 or
    12 345,60 is not guessed at: only groups of three after a comma or space are taken as
    separators). Text columns keep what was delivered, leading zeros included.
    """
    from pyspark.sql import functions as F

    text = _text(col)
    t = col.type
    if t == "string":
        return text
    plain = F.translate(text, _FULLWIDTH, _HALFWIDTH)
    if t in ("int", "long", "double") or t.startswith("decimal"):
        grouped = plain.rlike(r"^[+-]?[0-9]{1,3}([, ][0-9]{3})+(\.[0-9]+)?$")
        cleaned = F.when(grouped, F.regexp_replace(plain, "[, ]", "")).otherwise(plain)
        return cleaned.try_cast(t.replace("long", "bigint"))
    if t == "boolean":
        low = F.lower(plain)
        return (F.when(low.isin("true", "1", "yes", "y", "是"), True)
                .when(low.isin("false", "0", "no", "n", "否"), False))
    fmts = list(col.formats) or (["yyyy-MM-dd"] if t == "date" else ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss"])
    if t == "date":
        return F.coalesce(*[F.try_to_date(plain, f) for f in fmts])
    # Extracts carry local wall-clock times without a zone: keep them as TIMESTAMP_NTZ.
    return F.coalesce(*[F.try_to_timestamp(plain, F.lit(f)) for f in fmts]).cast("timestamp_ntz")


def _staged(contract: Contract, parsed, batch_id: str, now: str):
    """Parsed text -> typed columns, lineage, and for a bad row its reason and delivered values."""
    from pyspark.sql import functions as F

    checks = []
    typed_cols = []
    for col in contract.columns:
        typed = _typed(col)
        typed_cols.append(typed.alias(col.name))
        present = _text(col).isNotNull()
        checks.append(F.when(present & typed.isNull(), F.lit(f"column {col.name}: not a valid {col.type}")))
        if not col.nullable:
            checks.append(F.when(~present, F.lit(f"column {col.name}: required value is missing")))
    # The first failing check decides whether a row is bad; the list of all of them is built for bad rows only.
    cell_problem = F.coalesce(*checks)
    cell_errors = F.concat_ws("; ", F.array_compact(F.array(*checks)))
    where = F.concat(F.col("_source_file"), F.lit(": line "), F.col("_source_row").cast("string"), F.lit(": "))
    return parsed.select(
        *typed_cols,
        F.lit(batch_id).alias("_batch_id"),
        F.col("_source_file"),
        F.col("_source_row"),
        F.lit(now).cast("timestamp").alias("_ingest_time"),
        F.when(F.col("_error").isNotNull(), F.concat(F.col("_source_file"), F.lit(": "), F.col("_error")))
        .when(cell_problem.isNotNull(), F.concat(where, cell_errors)).alias("_reason"),
        # What was delivered, kept for the data engineer in quarantine only: built for bad rows alone.
        F.when(F.col("_error").isNotNull(), F.col("_raw"))
        .when(cell_problem.isNotNull(), F.to_json(F.struct(*[F.col(c) for c in contract.column_names])))
        .alias("_raw"),
        F.col("_control"),
        # Filtering on this, not on the reason, spares good rows the building of a reason.
        (F.col("_error").isNull() & F.col("_control").isNull() & cell_problem.isNull()).alias("_ok"),
    )


def ingest_batch(contract: Contract, lake: Lake, spark, manifest: BatchManifest) -> str | None:
    """Parse and type one registered delivery. Returns the reason when the delivery is refused."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    started = time.monotonic()
    ds, batch_id = contract.dataset, manifest.batch_id
    settings = ReadSettings.from_contract(contract)
    files = [{"label": f.label, "path": f.path, "member": f.member} for f in manifest.files]
    parsed_schema = StructType(
        [StructField(c, StringType()) for c in contract.column_names]
        + [StructField("_source_file", StringType()), StructField("_source_row", LongType()),
           StructField("_error", StringType()), StructField("_raw", StringType()),
           StructField("_control", StringType())])
    files_df = spark.createDataFrame([(f["label"],) for f in files], "label string").repartition(max(1, len(files)))
    now = utcnow()

    def staged(checked: dict[str, str] | None = None):
        parsed = files_df.mapInArrow(_parse_files(settings, files, lake.handle(), checked), parsed_schema)
        return _staged(contract, parsed, batch_id, now)

    # Two passes, neither of them cached in full: the first keeps only what is exceptional (bad
    # rows and one control row per file, a handful), the second writes the good rows. Caching
    # every row to serve both cost more than parsing twice.
    exceptional = staged().where(~F.col("_ok")).persist()
    try:
        controls = {r["_source_file"]: json.loads(r["_control"])
                    for r in exceptional.where(F.col("_control").isNotNull()).select("_source_file", "_control")
                    .collect()}
        problem = _file_problems(manifest, controls)
        if problem:
            _refuse_batch(lake, manifest, problem)
            return problem
        bad = exceptional.where(F.col("_control").isNull()).select(
            "_batch_id", "_source_file", "_source_row", F.lit("ingest").alias("_stage"), "_reason", "_raw")
        # Replace, never duplicate: drop this batch wherever an earlier, killed run put it.
        for date_dir in lake.list_dirs(paths.raw_dataset(ds)):
            lake.delete_dir(f"{date_dir}/batch_id={batch_id}")
        quarantine_rel = paths.quarantine_rows(ds, batch_id, "ingest")
        bad.write.mode("overwrite").parquet(lake.spark_uri(quarantine_rel))
        n_bad = bad.count()
        reasons = [r["_reason"] for r in bad.select("_reason", "_source_file", "_source_row")
                   .orderBy("_source_file", "_source_row").limit(MAX_REASONS_IN_MANIFEST).collect()]
    finally:
        exceptional.unpersist()
    good = staged({f.label: f.sha256 for f in manifest.files}).where(F.col("_ok")).select(
        *contract.column_names, *LINEAGE_COLUMNS)
    try:
        good.write.mode("overwrite").parquet(lake.spark_uri(manifest.raw_path))
    except Exception as exc:
        if FILE_CHANGED not in str(exc):
            raise
        # Nothing of a refused delivery stays: neither the good rows nor the quarantined ones.
        lake.delete_dir(manifest.raw_path)
        lake.delete_dir(quarantine_rel)
        problem = next((f"{f.label}: {FILE_CHANGED}; deliver it again" for f in manifest.files
                        if f"{f.label}: {FILE_CHANGED}" in str(exc)), f"{ds} batch {batch_id}: {FILE_CHANGED}")
        _refuse_batch(lake, manifest, problem)
        return problem
    failpoint("ingest.written")
    n_good = spark.read.parquet(lake.spark_uri(manifest.raw_path)).count()  # from the Parquet footers
    delivered = sum(c["rows"] for c in controls.values())
    if n_good + n_bad != delivered:
        raise RuntimeError(f"{ds} batch {batch_id}: {delivered} records read but {n_good} typed and {n_bad} "
                           "quarantined; the counts must add up")

    for reason in reasons[:10]:
        log.warning("quarantined at ingest: %s", reason)
    for f in manifest.files:
        c = controls[f.label]
        f.rows, f.encoding = c["rows"], c["encoding"]
        f.extra_columns, f.missing_columns, f.notes = c["extra"], c["missing"], c["notes"]
        for note in c["notes"]:
            log.warning("%s: %s", f.label, note)
    manifest.ingested_at = now
    manifest.rows_landed, manifest.rows_ingested, manifest.rows_quarantined_ingest = n_good + n_bad, n_good, n_bad
    manifest.quarantine_reasons = reasons
    manifest.quarantine_paths = [quarantine_rel]
    manifest.timings["ingest"] = round(time.monotonic() - started, 2)
    manifest.advance(Status.INGESTED, note=f"{n_good} rows typed, {n_bad} quarantined")
    save_manifest(lake, manifest)
    audit(lake, "ingest", ds, batch_id=batch_id, rows=n_good, quarantined=n_bad,
          files=[f.label.rsplit("/", 1)[-1] for f in manifest.files])
    log.info("ingest %s: batch %s: %d rows delivered, %d typed into %s, %d quarantined (%.1fs)", ds, batch_id,
             n_good + n_bad, n_good, lake.uri(manifest.raw_path), n_bad, manifest.timings["ingest"])
    return None


def _file_problems(manifest: BatchManifest, controls: dict[str, dict]) -> str | None:
    for f in manifest.files:
        c = controls.get(f.label)
        if c is None:
            return f"{f.label}: was not read (the parser returned nothing for it)"
        if "error" in c:
            return c["error"]
        if c["sha256"] != f.sha256:
            return f"{f.label}: the file changed after it was registered (its SHA-256 digest differs); " \
                   "deliver it again"
        if f.declared_rows is not None and c["rows"] != f.declared_rows:
            return f"{f.label}: the signed delivery manifest declares {f.declared_rows} rows, the file holds " \
                   f"{c['rows']} records"
    return None


def _refuse_batch(lake: Lake, manifest: BatchManifest, reason: str) -> None:
    ds = manifest.dataset
    manifest.refused_reason = reason
    manifest.advance(Status.QUARANTINED, note=reason)
    save_manifest(lake, manifest)
    lake.write_json(paths.refused_delivery(ds, manifest.delivery.key),
                    {"dataset": ds, "delivery": manifest.delivery.delivery_id, "batch_id": manifest.batch_id,
                     "files": {f.label: f.sha256 for f in manifest.files}, "reason": reason, "refused_at": utcnow()})
    audit(lake, "delivery_refused", ds, delivery=manifest.delivery.delivery_id, batch_id=manifest.batch_id,
          reason=reason)
    log.error("refused: %s", reason)
