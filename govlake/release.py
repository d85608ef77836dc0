"""Checking a curated release offline, the way an analyst who downloaded it would.

A release folder (``curated/<dataset>/version=<v>/``) holds Parquet files, ``_release.json`` (every
file's size, SHA-256 digest and row count, the schema and the source batches) and its detached
Ed25519 signature ``_release.json.sig``. Verification needs only the folder and the platform's
public release key (published at ``catalog/_release_keys/<key id>.pub``): no govlake service.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from govlake import paths
from govlake.errors import NotFound
from govlake.records import parse_release_manifest, read_current
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


def _locate(target: str) -> tuple[Lake, str]:
    """(lake, folder) for a dataset name (its current version) or a version folder."""
    if "/" not in target and not Path(target).exists():
        lake = open_lake()
        current = read_current(lake, target)
        if current is None:
            raise NotFound(f"{target} has not been published (no curated/{target}/_current.json in {lake.root})")
        return lake, current.rel_path
    folder = Path(target).resolve()
    if not folder.is_dir():
        raise NotFound(f"{target}: not a folder")
    return Lake.open(str(folder)), ""


def verify_release_folder(target: str, public_key_file: Path | None = None) -> Verification:
    lake, folder = _locate(target)
    manifest_rel = f"{folder}/{paths.RELEASE_MANIFEST}".lstrip("/")
    result = Verification()
    if not lake.exists(manifest_rel):
        raise NotFound(f"{lake.uri(folder)}: no {paths.RELEASE_MANIFEST}: not a govlake release folder")
    data = lake.read_bytes(manifest_rel)
    manifest = parse_release_manifest(data, lake.uri(manifest_rel))
    result.lines.append(f"release {manifest.dataset} version {manifest.version} ({manifest.row_count} rows, "
                        f"{len(manifest.files)} file(s)), signed by {manifest.signing_key}")
    sig_rel = paths.signature_of(manifest_rel)
    if not lake.exists(sig_rel):
        result.fail(f"{paths.RELEASE_MANIFEST}.sig is missing")
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
        result.fail(f"the signature does not match {paths.RELEASE_MANIFEST} with the key from {key_source}")
        return result
    present = {f.path.rsplit("/", 1)[-1]: f for f in lake.list_files(folder, "*.parquet", recursive=False)}
    listed = {f.name: f for f in manifest.files}
    for name in sorted(set(present) - set(listed)):
        result.fail(f"{name}: in the folder but not in the signed manifest")
    total = 0
    for name, expected in sorted(listed.items()):
        if name not in present:
            result.fail(f"{name}: listed in the signed manifest but missing")
            continue
        rel = present[name].path
        digest = hashlib.sha256()
        with lake.open_stream(rel) as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
        if present[name].size != expected.size or digest.hexdigest() != expected.sha256:
            result.fail(f"{name}: its content differs from the signed manifest")
            continue
        try:
            with lake.open_random(rel) as f:
                rows = pq.read_metadata(f).num_rows
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            result.fail(f"{name}: not a readable Parquet file ({str(exc).splitlines()[0][:120]})")
            continue
        total += rows
        if rows != expected.rows:
            result.fail(f"{name}: {rows} rows, the signed manifest says {expected.rows}")
        else:
            result.lines.append(f"{name}: {rows} rows, SHA-256 matches")
    if result.ok and total != manifest.row_count:
        result.fail(f"{total} rows in the files, the signed manifest says {manifest.row_count}")
    if result.ok:
        result.lines.append(f"OK: every file matches the signed release manifest ({total} rows)")
    return result
