"""Ingest: landing-zone extracts -> typed Parquet in ``raw/``, bad rows -> ``quarantine/``.

Parsing runs on Spark executors (one task per file, through the lake's file system, so a
local folder and S3 behave alike); casting to the contract's schema is Spark SQL. Every
rejected row is kept with the file, line and column that failed, never the value in the
message. A batch is identified by the content of its files, so rerunning it replaces it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from typing import Iterator

import pyarrow as pa

from govlake.contracts import Column, Contract
from govlake.storage import Lake
from jobs.common import BatchRef, PipelineError, audit, log, save_manifest, utcnow

LINEAGE_COLUMNS = ("_batch_id", "_source_file", "_source_row", "_ingest_time")
MAX_REASONS_IN_MANIFEST = 50


def _normalise_header(name: str) -> str:
    return name.replace("\ufeff", "").strip().lower()


def header_lookup(contract: Contract) -> dict[str, str]:
    """Normalised header name or alias -> contract column."""
    lookup = {}
    for col in contract.columns:
        for alias in (col.name, *col.aliases):
            lookup[_normalise_header(alias)] = col.name
    return lookup


def map_header(contract: Contract, header: list[str], file: str) -> dict:
    """Match a file's header to the contract: position -> column, plus the drift found."""
    lookup = header_lookup(contract)
    positions: dict[str, int] = {}
    extra = []
    for i, raw_name in enumerate(header):
        name = lookup.get(_normalise_header(raw_name))
        if name is None:
            extra.append(raw_name.strip())
        elif name not in positions:
            positions[name] = i
    missing = [c.name for c in contract.columns if c.name not in positions]
    required_missing = [c for c in missing if not contract.column(c).nullable]
    if required_missing:
        raise PipelineError(
            f"{file}: line 1: header lacks required column(s) {', '.join(required_missing)} "
            f"(found: {', '.join(h.strip() for h in header)})"
        )
    return {"positions": positions, "extra_columns": extra, "missing_columns": missing}


def _decoded_lines(stream, encoding: str, bad_lines: set[int]) -> Iterator[str]:
    """Decode line by line so one bad byte costs one line, not the file.

    Safe for the ASCII-compatible encodings departments use (UTF-8, GBK, GB18030, Big5): a
    newline byte never occurs inside one of their multi-byte characters.
    """
    codec = "utf-8" if encoding.lower().replace("_", "-") in ("utf-8-sig", "utf8-sig") else encoding
    pending = b""
    number = 0
    first = True
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            number += 1
            if first:
                raw, first = raw.removeprefix(b"\xef\xbb\xbf"), False
            try:
                yield raw.decode(codec) + "\n"
            except UnicodeDecodeError:
                bad_lines.add(number)
                yield raw.decode(codec, errors="replace") + "\n"
    if pending:
        if first:
            pending = pending.removeprefix(b"\xef\xbb\xbf")
        number += 1
        try:
            yield pending.decode(codec)
        except UnicodeDecodeError:
            bad_lines.add(number)
            yield pending.decode(codec, errors="replace")


def read_header(lake: Lake, contract: Contract, path: str) -> list[str]:
    with lake.open_stream(path) as stream:
        bad: set[int] = set()
        lines = _decoded_lines(stream, contract.encoding, bad)
        if contract.source_format == "csv":
            header = next(csv.reader(lines, delimiter=contract.delimiter), None)
            if bad:
                raise PipelineError(f"{path}: line 1: header is not valid {contract.encoding} text")
            if not header:
                raise PipelineError(f"{path}: line 1: the file is empty, a header row was expected")
            return header
        for line in lines:  # jsonl: the keys of the first parsable record
            if line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(record, dict):
                    return list(record)
        raise PipelineError(f"{path}: no JSON object found in the file")


def _parse_files(contract_fields: dict, mappings: dict[str, dict], lake_handle: tuple[str, str | None]):
    """Build the executor-side parser (a plain closure over small, picklable settings)."""
    columns = contract_fields["columns"]
    fmt, encoding, delimiter = contract_fields["format"], contract_fields["encoding"], contract_fields["delimiter"]
    out_names = [*columns, "_source_file", "_source_row", "_error", "_raw"]

    def parse(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        lk = Lake.open(*lake_handle)
        for batch in batches:
            for path in batch.column("path").to_pylist():
                mapping = mappings[path]
                positions = mapping["positions"]
                rows: dict[str, list] = {n: [] for n in out_names}

                def emit(values: dict | None, line: int, error: str | None, raw: str | None):
                    for c in columns:
                        rows[c].append(None if values is None else values.get(c))
                    rows["_source_file"].append(path)
                    rows["_source_row"].append(line)
                    rows["_error"].append(error)
                    rows["_raw"].append(raw)

                def flush():
                    out = pa.RecordBatch.from_pydict(
                        {n: pa.array(rows[n], type=pa.int64() if n == "_source_row" else pa.string()) for n in out_names}
                    )
                    for v in rows.values():
                        v.clear()
                    return out

                with lk.open_stream(path) as stream:
                    bad_lines: set[int] = set()
                    lines = _decoded_lines(stream, encoding, bad_lines)
                    if fmt == "csv":
                        reader = csv.reader(lines, delimiter=delimiter)
                        header = next(reader, None) or []
                        width = len(header)
                        for values in reader:
                            line = reader.line_num
                            if not values or (len(values) == 1 and not values[0].strip()):
                                continue
                            raw = delimiter.join(values)
                            if line in bad_lines:
                                emit(None, line, f"line {line}: not valid {encoding} text", raw)
                            elif len(values) != width:
                                emit(None, line, f"line {line}: expected {width} fields, found {len(values)}", raw)
                            else:
                                emit({c: values[i] for c, i in positions.items()}, line, None, None)
                            if len(rows["_source_row"]) >= 8192:
                                yield flush()
                    else:
                        lookup = mapping["lookup"]
                        for line, text in enumerate(lines, start=1):
                            if not text.strip():
                                continue
                            try:
                                record = json.loads(text)
                                if not isinstance(record, dict):
                                    raise ValueError
                            except ValueError:
                                emit(None, line, f"line {line}: not a valid JSON object", text.rstrip("\n"))
                                continue
                            if line in bad_lines:
                                emit(None, line, f"line {line}: not valid {encoding} text", text.rstrip("\n"))
                                continue
                            values = {}
                            for key, value in record.items():
                                col = lookup.get(_normalise_header(key))
                                if col is None or value is None:
                                    continue
                                values[col] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                            emit(values, line, None, None)
                            if len(rows["_source_row"]) >= 8192:
                                yield flush()
                if rows["_source_row"]:
                    yield flush()

    return parse


def _typed(col: Column):
    """Spark expression casting the column's text to its contract type (null when unparsable)."""
    from pyspark.sql import functions as F

    text = F.when(F.trim(F.col(col.name)) == "", None).otherwise(F.trim(F.col(col.name)))
    t = col.type
    if t == "string":
        return text
    if t in ("int", "long", "double") or t.startswith("decimal"):
        cleaned = F.regexp_replace(text, "[,，\\s]", "")
        return cleaned.try_cast(t.replace("long", "bigint"))
    if t == "boolean":
        low = F.lower(text)
        return (F.when(low.isin("true", "1", "yes", "y", "是"), True)
                .when(low.isin("false", "0", "no", "n", "否"), False))
    fmts = list(col.formats) or (["yyyy-MM-dd"] if t == "date" else ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss"])
    if t == "date":
        return F.coalesce(*[F.try_to_date(text, f) for f in fmts])
    # Extracts carry local wall-clock times without a zone: keep them as TIMESTAMP_NTZ.
    return F.coalesce(*[F.try_to_timestamp(text, F.lit(f)) for f in fmts]).cast("timestamp_ntz")


def batch_id_for(lake: Lake, files: list[str]) -> tuple[str, dict[str, str]]:
    """A batch is named by what it contains: the same extracts always make the same batch."""
    digests = {}
    whole = hashlib.sha256()
    for path in files:
        h = hashlib.sha256()
        with lake.open_stream(path) as stream:
            while chunk := stream.read(1 << 20):
                h.update(chunk)
        digests[path] = h.hexdigest()
        whole.update(f"{path.rsplit('/', 1)[-1]}\0{digests[path]}\n".encode())
    return "b" + whole.hexdigest()[:16], digests


def ingest(contract: Contract, lake: Lake, spark, files: list[str] | None = None,
           ingest_date: str | None = None) -> BatchRef:
    from pyspark.sql import functions as F

    ds = contract.dataset
    landing = f"landing/{ds}"
    if files is None:
        files = [f.path for f in lake.list_files(landing, contract.file_pattern, recursive=True)]
    if not files:
        raise PipelineError(f"{lake.uri(landing)}: no extract matching '{contract.file_pattern}' to ingest")
    batch_id, digests = batch_id_for(lake, files)
    ingest_date = ingest_date or dt.date.today().isoformat()
    log.info("ingest %s: batch %s from %d file(s)", ds, batch_id, len(files))

    mappings = {}
    for path in files:
        header = read_header(lake, contract, path)
        mappings[path] = {**map_header(contract, header, path), "lookup": header_lookup(contract)}
        if mappings[path]["extra_columns"]:
            log.warning("%s: schema drift: columns not in the contract are kept only in the raw extract: %s",
                        path, ", ".join(mappings[path]["extra_columns"]))

    fields = {"columns": contract.column_names, "format": contract.source_format,
              "encoding": contract.encoding, "delimiter": contract.delimiter}
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    parsed_schema = StructType(
        [StructField(c, StringType()) for c in contract.column_names]
        + [StructField("_source_file", StringType()), StructField("_source_row", LongType()),
           StructField("_error", StringType()), StructField("_raw", StringType())]
    )
    files_df = spark.createDataFrame([(p,) for p in files], "path string").repartition(max(1, len(files)))
    parsed = files_df.mapInArrow(_parse_files(fields, mappings, lake.handle()), parsed_schema)

    checks = []
    typed_cols = []
    for col in contract.columns:
        typed = _typed(col)
        typed_cols.append(typed.alias(col.name))
        raw_present = F.col(col.name).isNotNull() & (F.trim(F.col(col.name)) != "")
        checks.append(F.when(raw_present & typed.isNull(), F.lit(f"column {col.name}: not a valid {col.type}")))
        if not col.nullable:
            checks.append(F.when(~raw_present, F.lit(f"column {col.name}: required value is missing")))
    cell_errors = F.concat_ws("; ", F.array_compact(F.array(*checks)))
    now = utcnow()
    staged = parsed.select(
        *typed_cols,
        F.lit(batch_id).alias("_batch_id"),
        F.col("_source_file"),
        F.col("_source_row"),
        F.lit(now).cast("timestamp").alias("_ingest_time"),
        F.when(F.col("_error").isNotNull(), F.concat(F.col("_source_file"), F.lit(": "), F.col("_error")))
        .when(cell_errors != "", F.concat(F.col("_source_file"), F.lit(": line "), F.col("_source_row").cast("string"),
                                          F.lit(": "), cell_errors))
        .alias("_reason"),
        F.when(F.col("_error").isNotNull(), F.col("_raw"))
        .otherwise(F.to_json(F.struct(*[F.col(c) for c in contract.column_names]))).alias("_raw"),
    ).persist()
    try:
        good = staged.where(F.col("_reason").isNull()).select(*contract.column_names, *LINEAGE_COLUMNS)
        bad = staged.where(F.col("_reason").isNotNull()).select(
            "_batch_id", "_source_file", "_source_row", F.lit("ingest").alias("_stage"), "_reason", "_raw")

        # Replace, never duplicate: drop this batch wherever an earlier run put it.
        for date_dir in lake.list_dirs(f"raw/{ds}"):
            lake.delete_dir(f"{date_dir}/batch_id={batch_id}")
            if date_dir.rsplit("/", 1)[-1].startswith("ingest_date=") and not lake.list_dirs(date_dir) \
                    and not lake.list_files(date_dir):
                lake.delete_dir(date_dir)
        raw_rel = f"raw/{ds}/ingest_date={ingest_date}/batch_id={batch_id}"
        quarantine_rel = f"quarantine/{ds}/batch_id={batch_id}/stage=ingest"
        good.write.mode("overwrite").parquet(lake.spark_uri(raw_rel))
        bad.write.mode("overwrite").parquet(lake.spark_uri(quarantine_rel))

        counts = staged.groupBy(F.col("_reason").isNull().alias("ok")).count().collect()
        n_good = sum(r["count"] for r in counts if r["ok"])
        n_bad = sum(r["count"] for r in counts if not r["ok"])
        reasons = [r["_reason"] for r in bad.select("_reason").orderBy("_source_file", "_source_row")
                   .limit(MAX_REASONS_IN_MANIFEST).collect()]
        per_file = {r["_source_file"]: r["count"] for r in staged.groupBy("_source_file").count().collect()}
    finally:
        staged.unpersist()

    for reason in reasons[:10]:
        log.warning("quarantined at ingest: %s", reason)
    manifest = {
        "dataset": ds,
        "batch_id": batch_id,
        "ingest_date": ingest_date,
        "ingested_at": now,
        "files": [
            {"path": p, "uri": lake.uri(p), "sha256": digests[p], "rows": per_file.get(p, 0),
             "extra_columns": mappings[p]["extra_columns"], "missing_columns": mappings[p]["missing_columns"]}
            for p in files
        ],
        "rows_landed": n_good + n_bad,
        "rows_ingested": n_good,
        "rows_quarantined_ingest": n_bad,
        "quarantine_reasons": reasons,
        "raw_path": raw_rel,
        "quarantine_paths": [quarantine_rel],
        "status": "ingested",
    }
    path = save_manifest(lake, manifest)
    audit(lake, "ingest", ds, batch_id=batch_id, rows=n_good, quarantined=n_bad,
          files=[p.rsplit("/", 1)[-1] for p in files])
    log.info("ingest %s: %d rows landed, %d typed into %s, %d quarantined", ds, n_good + n_bad, n_good,
             lake.uri(raw_rel), n_bad)
    return BatchRef(ds, batch_id, path)
