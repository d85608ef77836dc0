"""Analysts query with SQL, as themselves.

``govlake query --as PRINCIPAL`` (and :func:`query` from Python) runs DuckDB over the audience
views the principal is granted, each registered under its dataset's name (``<dataset>__<audience>``
when a principal has two audiences of one dataset). On an S3 lake every read — Iceberg metadata,
manifests, Parquet — goes to the object store with **the principal's own keys**, so the store's
bucket policy, not govlake, has the last word: a view that is not granted, or whose grant has
expired, cannot be read even by going around govlake.

A refused query says in one line what was refused and why: no grant, grant expired, column not
granted, or the object store's own refusal. Every query is audited: who, for what purpose, which
datasets and versions, how many rows came back.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from govlake import tables
from govlake.access import AccessModel, Grant
from govlake.errors import NotFound, Refusal, StorageUnavailable
from govlake.objectstore import stored_credentials
from govlake.policy import as_service
from govlake.records import audit
from govlake.storage import Lake
from govlake.storage import lake as open_lake

if TYPE_CHECKING:
    import pyarrow as pa

EXTENSIONS = ("httpfs", "avro", "iceberg")


class QueryRefused(Refusal):
    """The principal may not read what the query asks for."""


@dataclass
class QueryResult:
    table: pa.Table
    principal: str
    views: dict[str, dict] = field(default_factory=dict)  # SQL name -> dataset, view, version, purpose


def connect():
    """A DuckDB connection with the httpfs, avro and iceberg extensions loaded from the installed packages
    (nothing is downloaded)."""
    import duckdb

    con = duckdb.connect()
    for name in EXTENSIONS:
        module = __import__(f"duckdb_extension_{name}")
        found = glob.glob(os.path.join(os.path.dirname(module.__file__), "extensions", "**", "*.duckdb_extension"),
                          recursive=True)
        con.execute(f"LOAD '{found[0]}'")
    return con


def s3_secret(con, lake: Lake, keys: tuple[str, str] | None) -> None:
    endpoint = (lake.s3_endpoint or "").split("://", 1)
    options = {"TYPE": "s3", "URL_STYLE": "path", "REGION": "us-east-1",
               "ENDPOINT": endpoint[-1], "USE_SSL": "true" if endpoint[0] == "https" else "false"}
    if keys:
        options.update(KEY_ID=keys[0], SECRET=keys[1])
    body = ", ".join(f"{k} {v if k in ('TYPE', 'USE_SSL') else _quote(v)}" for k, v in options.items())
    con.execute(f"CREATE OR REPLACE SECRET lake ({body})")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_names(grants: list[Grant]) -> dict[str, Grant]:
    by_dataset: dict[str, list[Grant]] = {}
    for g in grants:
        by_dataset.setdefault(g.dataset, []).append(g)
    out = {}
    for ds, gs in by_dataset.items():
        for g in gs:
            out[ds if len(gs) == 1 else f"{ds}__{g.audience}"] = g
    return out


def query(sql: str, as_principal: str, version: int | None = None, as_of: dt.datetime | None = None,
          purpose: str | None = None, lake: Lake | None = None) -> QueryResult:
    """Run ``sql`` as ``as_principal`` over the views granted to it; returns an Arrow table."""
    lake = lake or open_lake()
    model = AccessModel.load()
    principal = model.principal(as_principal)
    if principal is None:
        raise QueryRefused(f"refused: '{as_principal}' is no principal (see govlake principals)")
    grants = model.grants(principal)
    if purpose:
        grants = [g for g in grants if g.purpose == purpose]
    names = _sql_names(grants)
    keys = None
    if lake.is_s3 and principal.kind != "public":
        creds = stored_credentials(principal.name)
        if creds is None:
            raise QueryRefused(f"refused: {principal.name} has no object-store keys yet: run govlake policy sync")
        keys = (creds.access_key, creds.secret_key)
    con = connect()
    if lake.is_s3:
        s3_secret(con, lake, keys)
    used: dict[str, dict] = {}
    unpublished: list[str] = []
    referenced = _referenced(sql)
    for name, g in names.items():
        if referenced and name not in referenced:
            continue  # only the views the SQL names: a --version applies to them, and nothing else is read
        vt = tables.load(lake, tables.view_name(g.dataset, g.view))
        if vt is None:
            unpublished.append(name)  # granted, but not published yet
            continue
        chosen = tables.pick(vt, f"{g.dataset} ({g.audience})", version, as_of)
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM iceberg_scan({_quote(tables.metadata_location(vt))}, "
                    f"snapshot_from_id={chosen.snapshot_id})")
        used[name] = {"dataset": g.dataset, "audience": g.audience, "view": g.view, "version": chosen.label,
                      "purpose": g.purpose}
    try:
        result = con.sql(sql)
        table = result.to_arrow_table() if result is not None else None
    except Exception as exc:
        refusal = _explain(exc, principal.name, model, used, purpose, unpublished)
        if isinstance(refusal, QueryRefused):  # who tried what is the audit's business too
            datasets = sorted({n.split("__")[0] for n in _referenced(sql)} & set(model.contracts))
            # the reason names grants and columns; a failure's own text might echo a literal of the SQL
            reason = str(refusal) if str(refusal).startswith("refused:") and "denied" not in str(refusal) \
                else "the query failed"
            audit(as_service(lake), "query_refused", ",".join(datasets) or "-", principal=principal.name,
                  kind=principal.kind, purpose=purpose or "", reason=reason)
        raise refusal from None
    if table is None:
        import pyarrow as pa

        table = pa.table({})
    read = {n: v for n, v in used.items() if n in referenced} or used
    audit(as_service(lake), "query", ",".join(sorted({v["dataset"] for v in read.values()})) or "-",
          principal=principal.name, kind=principal.kind,
          purpose=purpose or sorted({v["purpose"] for v in read.values()}),
          views=[f"{v['dataset']}/{v['view']}@{v['version']}" for v in read.values()], rows=table.num_rows)
    return QueryResult(table, principal.name, used)


def _referenced(sql: str) -> set[str]:
    import duckdb

    try:
        return {t.lower() for t in duckdb.get_table_names(sql)}
    except Exception:
        return set()


def _explain(exc: Exception, who: str, model: AccessModel, used: dict[str, dict], purpose: str | None,
             unpublished: list[str]) -> Exception:
    text = str(exc).splitlines()[0]
    missing = re.search(r"Table with name (\w+) does not exist", text)
    if missing:
        name = missing.group(1)
        if name in unpublished:
            return NotFound(f"{name} is granted to {who} but has not been published yet")
        dataset = name.split("__")[0]
        if dataset in model.contracts:
            expired = [g for g in model.grants(model.principal(who), include_expired=True)
                       if g.dataset == dataset and g.expires and g.expires < model.today]
            if expired:
                g = expired[0]
                return QueryRefused(f"refused: {who}'s grant on {dataset} ({g.audience}) expired on {g.expires}")
            if purpose:
                return QueryRefused(f"refused: {who} has no grant on {dataset} for the purpose '{purpose}'")
            return QueryRefused(f"refused: {who} has no grant on {dataset}")
        return QueryRefused(f"refused: there is no dataset {name} (see govlake catalog)")
    column = re.search(r'Referenced column "?(\w+)"? not found', text)
    if column:
        col = column.group(1)
        for v in used.values():
            if col in model.contracts[v["dataset"]].column_names:
                return QueryRefused(f"refused: column {col} of {v['dataset']} is not granted to {who}")
        return QueryRefused(f"refused: there is no column {col} in {', '.join(used) or 'the views you may read'}")
    if re.search(r"HTTP 403|Forbidden|AccessDenied|Access Denied", text):
        return QueryRefused(f"refused: the object store denied {who} access ({text[:200]})")
    if re.search(r"HTTP|Could not establish connection|Connection|timed out", text):
        return StorageUnavailable(f"the object store did not answer ({text[:200]})")
    return QueryRefused(f"the query failed: {text[:300]}")


def as_of_time(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise NotFound(f"--as-of '{value}' is not a time (e.g. 2026-11-22T10:00:00+08:00)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
