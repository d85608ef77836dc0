"""Checking a curated release offline, the way an analyst who downloaded it would.

A curated dataset's folder (``curated/<dataset>/``) holds its Iceberg table (``data/``,
``metadata/``) and, for every version, ``releases/<n>.json``: every data file's path, size,
SHA-256 digest and row count, the schema and the source batches, with its detached Ed25519
signature ``<n>.json.sig``. Verification needs only the folder and the platform's public release
key (published at ``catalog/_release_keys/<key id>.pub``): no govlake service and no catalog.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from govlake import paths
from govlake.errors import NotFound
from govlake.records import parse_release_manifest
from govlake.signing import check, public_from_b64
from govlake.storage import Lake
from govlake.storage import lake as open_lake


@dataclass
class Verification:
    ok: bool = True
    lines: list[str] = field(default_factory=list)

    def fail(self, line: str) -> None:
        self.ok = False
        self.lines.append(f"FAILED: {line}")


def _locate(target: str, version: int | None) -> tuple[Lake, str, str]:
    """(lake, dataset folder, release manifest) for a dataset name or a dataset folder."""
    if "/" not in target and not Path(target).exists():
        from govlake.tables import read_current

        lake = open_lake()
        if version is None:
            current = read_current(lake, target)
            if current is None:
                raise NotFound(f"{target} has not been published")
            version = int(current.version)
        return lake, paths.curated(target), paths.release_manifest(target, version)
    folder = Path(target).resolve()
    if not folder.is_dir():
        raise NotFound(f"{target}: not a folder")
    lake = Lake.open(str(folder))
    releases = sorted(lake.list_files("releases", "*.json", recursive=False),
                      key=lambda f: int(f.path.rsplit("/", 1)[-1][:-5]))
    if not releases:
        raise NotFound(f"{target}: no releases/ folder: not a govlake curated dataset folder")
    chosen = releases[-1].path if version is None else f"releases/{version}.json"
    return lake, "", chosen


def verify_release_folder(target: str, public_key_file: Path | None = None, version: int | None = None) -> Verification:
    lake, folder, manifest_rel = _locate(target, version)
    result = Verification()
    if not lake.exists(manifest_rel):
        raise NotFound(f"{lake.uri(manifest_rel)} does not exist: no such release")
    data = lake.read_bytes(manifest_rel)
    manifest = parse_release_manifest(data, lake.uri(manifest_rel))
    result.lines.append(f"release {manifest.dataset} version {manifest.version} ({manifest.row_count} rows, "
                        f"{len(manifest.files)} file(s)), signed by {manifest.signing_key}")
    sig_rel = paths.signature_of(manifest_rel)
    if not lake.exists(sig_rel):
        result.fail(f"{manifest_rel.rsplit('/', 1)[-1]}.sig is missing")
        return result
    if public_key_file is not None:
        key_text, key_source = public_key_file.read_text(encoding="utf-8"), str(public_key_file)
    else:
        catalog_lake = open_lake()
        rel = paths.release_public_key(manifest.signing_key)
        if not catalog_lake.exists(rel):
            raise NotFound(f"no public key {manifest.signing_key} in {catalog_lake.uri('catalog/_release_keys')}; "
                           "give it with --public-key")
        key_text, key_source = catalog_lake.read_bytes(rel).decode(), catalog_lake.uri(rel)
    if check(public_from_b64(key_text, key_source), data, lake.read_bytes(sig_rel)):
        result.lines.append(f"signature: valid ({key_source})")
    else:
        result.fail(f"the signature does not match the release manifest with the key from {key_source}")
        return result
    total = 0
    for expected in manifest.files:
        rel = f"{folder}/{expected.name}".lstrip("/")
        if not lake.exists(rel):
            result.fail(f"{expected.name}: listed in the signed manifest but missing")
            continue
        digest, size = hashlib.sha256(), 0
        with lake.open_stream(rel) as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        if size != expected.size or digest.hexdigest() != expected.sha256:
            result.fail(f"{expected.name}: its content differs from the signed manifest")
            continue
        try:
            with lake.open_random(rel) as f:
                rows = pq.read_metadata(f).num_rows
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            result.fail(f"{expected.name}: not a readable Parquet file ({str(exc).splitlines()[0][:120]})")
            continue
        total += rows
        if rows != expected.rows:
            result.fail(f"{expected.name}: {rows} rows, the signed manifest says {expected.rows}")
        else:
            result.lines.append(f"{expected.name}: {rows} rows, SHA-256 matches")
    if result.ok and total != manifest.row_count:
        result.fail(f"{total} rows in the files, the signed manifest says {manifest.row_count}")
    if result.ok:
        result.lines.append(f"OK: every file matches the signed release manifest ({total} rows)")
    return result
