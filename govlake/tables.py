"""Curated datasets and audience views as Apache Iceberg tables (pyiceberg, SQL catalog).

Spark writes Parquet files; this module commits them to Iceberg in one snapshot each
(appended for an incremental dataset, replacing the previous files for a full snapshot), so a
reader sees whole versions only and a publish never rewrites data already published. Every
snapshot govlake makes carries ``govlake.version`` (1, 2, 3, ... per table), which is what
``--version`` selects; ``--as-of`` selects the snapshot current at a time.

The catalog is a SQLite file under ``$GOVLAKE_HOME/iceberg/`` by default (one per lake), or any SQLAlchemy URL in
``GOVLAKE_CATALOG_URI`` (PostgreSQL in production). Tables live in the lake:
``curated/<dataset>/`` and ``views/<dataset>/<view>/`` hold their ``data/`` and ``metadata/``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from govlake import paths
from govlake.config import settings
from govlake.errors import NotFound
from govlake.storage import Lake

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.table import Table

CATALOG_ENV = "GOVLAKE_CATALOG_URI"
VERSION = "govlake.version"
CURATED, VIEWS = "curated", "views"


@dataclass(frozen=True)
class Version:
    number: int
    snapshot_id: int
    committed_at: dt.datetime
    properties: dict[str, str]

    @property
    def label(self) -> str:
        return str(self.number)


def catalog(lake: Lake):
    """The Iceberg catalog of this lake (opened per call: cheap, and safe across processes)."""
    from pyiceberg.catalog.sql import SqlCatalog

    uri = os.environ.get(CATALOG_ENV)
    if not uri:
        # One catalog file per lake: a home may hold a local lake and an S3 one side by side.
        folder = settings().home / "iceberg"
        folder.mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{folder / ('catalog-' + hashlib.sha256(lake.root.encode()).hexdigest()[:12] + '.db')}"
    props = {"uri": uri, "warehouse": _location(lake, "")}
    if lake.is_s3:
        key, secret = lake.access_keys()
        props.update({"py-io-impl": "pyiceberg.io.pyarrow.PyArrowFileIO", "s3.region": settings().s3_region,
                      "s3.access-key-id": key, "s3.secret-access-key": secret})
        if lake.s3_endpoint:
            props["s3.endpoint"] = lake.s3_endpoint
    cat = SqlCatalog("govlake", **props)
    for namespace in (CURATED, VIEWS):
        if (namespace,) not in cat.list_namespaces():
            with contextlib.suppress(Exception):  # made by another process in the meantime
                cat.create_namespace(namespace)
    return cat


def _location(lake: Lake, rel: str) -> str:
    uri = lake.uri(rel)
    return uri if lake.is_s3 else "file://" + uri


def file_uri(lake: Lake, rel: str) -> str:
    """How a data file is named in Iceberg metadata (and by DuckDB, pyarrow and Spark readers)."""
    return lake.uri(rel)


def curated_name(dataset: str) -> str:
    return f"{CURATED}.{dataset}"


def view_name(dataset: str, view: str) -> str:
    return f"{VIEWS}.{dataset}__{view}"


def load(lake: Lake, name: str) -> Table | None:
    from pyiceberg.exceptions import NoSuchTableError

    try:
        return catalog(lake).load_table(name)
    except NoSuchTableError:
        return None


def ensure(lake: Lake, name: str, location_rel: str, schema: pa.Schema) -> Table:
    """The table, created (all columns optional) when it does not exist yet."""
    import pyarrow as pa
    from pyiceberg.table import TableProperties

    table = load(lake, name)
    if table is not None:
        return table
    optional = pa.schema([f.with_nullable(True) for f in schema])
    cat = catalog(lake)
    table = cat.create_table(name, schema=optional, location=_location(lake, location_rel))
    with table.transaction() as tx:
        tx.set_properties(**{TableProperties.DEFAULT_NAME_MAPPING: table.schema().name_mapping.model_dump_json()})
    return cat.load_table(name)


def evolve(table: Table, schema: pa.Schema) -> None:
    """Add columns a new batch brings (the contract changed); types never change in place."""
    with table.update_schema() as update:
        update.union_by_name(schema)


def commit(table: Table, add: list[str], remove_prefixes: tuple[str, ...] = (), replace_all: bool = False,
           properties: dict[str, str] | None = None) -> Table:
    """One snapshot: ``add`` these Parquet files and remove every current file under ``remove_prefixes``
    (or all of them). Readers see the table before or after, never in between."""
    from pyiceberg.io.pyarrow import parquet_files_to_data_files

    current = list(data_files(table))
    removed = [f for f in current if replace_all or any(f.file_path.startswith(p) for p in remove_prefixes)]
    with table.transaction() as tx:
        new = list(parquet_files_to_data_files(table.io, tx.table_metadata, iter(add)))
        with tx.update_snapshot(snapshot_properties=properties or {}).overwrite() as snapshot:
            for f in removed:
                snapshot.delete_data_file(f)
            for f in new:
                snapshot.append_data_file(f)
    return table.refresh()


def data_files(table: Table, snapshot_id: int | None = None):
    """The DataFile entries of a snapshot (the current one by default)."""
    if table.current_snapshot() is None:
        return []
    return [task.file for task in table.scan(snapshot_id=snapshot_id).plan_files()]


def versions(table: Table) -> list[Version]:
    """govlake's versions of a table, oldest first (snapshots without a version are skipped)."""
    out = []
    for s in table.snapshots():
        props = dict(s.summary.additional_properties) if s.summary else {}
        if VERSION in props:
            out.append(Version(int(props[VERSION]), s.snapshot_id,
                               dt.datetime.fromtimestamp(s.timestamp_ms / 1000, dt.UTC), props))
    return sorted(out, key=lambda v: v.number)


def current_version(table: Table | None) -> Version | None:
    if table is None or table.current_snapshot() is None:
        return None
    current = table.current_snapshot().snapshot_id
    return next((v for v in versions(table) if v.snapshot_id == current), None)


def pick(table: Table, name: str, version: int | None = None, as_of: dt.datetime | None = None) -> Version:
    """The version a reader asked for: a number, the one current at a time, or the current one."""
    found = versions(table)
    if version is not None:
        chosen = next((v for v in found if v.number == version), None)
        if chosen is None:
            raise NotFound(f"{name} has no version {version} (versions kept: "
                           f"{', '.join(v.label for v in found) or 'none'})")
        return chosen
    if as_of is not None:
        earlier = [v for v in found if v.committed_at <= as_of]
        if not earlier:
            raise NotFound(f"{name} had no version yet at {as_of.isoformat()}")
        return earlier[-1]
    chosen = current_version(table)
    if chosen is None:
        raise NotFound(f"{name} has not been published")
    return chosen


def read(table: Table, version: Version | None = None) -> pa.Table:
    return table.scan(snapshot_id=version.snapshot_id if version else None).to_arrow()


def expire(table: Table, keep: int) -> list[int]:
    """Drop all but the newest ``keep`` govlake versions (and snapshots without one); returns their ids."""
    found = versions(table)
    keep_ids = {v.snapshot_id for v in found[-keep:]}
    current = table.current_snapshot()
    if current is not None:
        keep_ids.add(current.snapshot_id)
    drop = [s.snapshot_id for s in table.snapshots() if s.snapshot_id not in keep_ids]
    if drop:
        table.maintenance.expire_snapshots().by_ids(drop).commit()
        table.refresh()
    return drop


def live_files(table: Table) -> set[str]:
    """Every data file some kept snapshot still needs."""
    return {f.file_path for s in table.snapshots() for f in data_files(table, s.snapshot_id)}


def remove_unreferenced(lake: Lake, table: Table, data_rel: str) -> list[str]:
    """Physically delete data files under ``data_rel`` that no kept snapshot references (left by an
    expired snapshot, an erasure, or a publish that was killed before its commit); a folder left
    with no needed file goes whole (with Spark's marker and checksum files)."""
    live = live_files(table)
    removed = []
    folders: dict[str, list[str]] = {}
    for info in lake.list_files(data_rel, "*.parquet"):
        folders.setdefault(info.path.rsplit("/", 1)[0], []).append(info.path)
    for folder, files in folders.items():
        dead = [f for f in files if file_uri(lake, f) not in live]
        if len(dead) == len(files):
            lake.delete_dir(folder)
        else:
            for f in dead:
                lake.delete_file(f)
                lake.delete_file(f"{f.rsplit('/', 1)[0]}/.{f.rsplit('/', 1)[1]}.crc")
        removed += dead
    return removed


def purge_history(lake: Lake, table: Table, table_rel: str) -> list[str]:
    """Delete the metadata files (older metadata, manifest lists, manifests) no kept snapshot needs:
    after an erasure they would still name the old data files and hold column bounds of its values."""
    live = {table.metadata_location}
    for s in table.snapshots():
        live.add(s.manifest_list)
        live.update(m.manifest_path for m in s.manifests(table.io))
    removed = []
    for info in lake.list_files(f"{table_rel}/metadata", "*", recursive=False):
        if file_uri(lake, info.path) not in live and _location(lake, info.path) not in live:
            lake.delete_file(info.path)
            removed.append(info.path)
    return removed


def metadata_location(table: Table) -> str:
    return table.metadata_location


def table_rel(dataset: str, view: str | None = None) -> str:
    return paths.curated(dataset) if view is None else paths.view(dataset, view)


def read_current(lake: Lake, dataset: str):
    """What readers of a curated dataset see now, or None before its first publication."""
    from govlake.records import CurrentVersion

    table = load(lake, curated_name(dataset))
    version = current_version(table)
    if version is None:
        return None
    return CurrentVersion(dataset=dataset, version=version.label, table=curated_name(dataset),
                          metadata=metadata_location(table), files=sorted(f.file_path for f in data_files(table)),
                          fingerprint=version.properties.get("govlake.fingerprint", ""),
                          published_at=version.committed_at.isoformat(timespec="seconds"),
                          release_manifest=lake.uri(paths.release_manifest(dataset, version.label)))


def read_dataset(lake: Lake, dataset: str, version: int | None = None) -> pa.Table:
    """A curated dataset's rows, current or at a version (for tools and tests; analysts use govlake query)."""
    table = load(lake, curated_name(dataset))
    if table is None:
        raise NotFound(f"{dataset} has not been published")
    return read(table, pick(table, dataset, version))
