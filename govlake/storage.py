"""The lake: zones under one root, on a local folder or any S3-API object store.

Jobs address files by *lake-relative* paths (``raw/tax_filings/...``); which file system holds
them is decided once, here, by ``GOVLAKE_LAKE_ROOT`` (a folder, or ``s3://bucket/prefix``).
Spark gets the same locations as URIs through :meth:`Lake.spark_uri`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

import pyarrow.fs as pafs

from govlake.config import Settings, settings as load_settings

ZONES = ("landing", "raw", "quarantine", "work", "curated", "reports", "catalog", "audit")


@dataclass(frozen=True)
class FileInfo:
    path: str  # lake-relative
    size: int
    mtime_ns: int | None


class Lake:
    """One lake root and the file system behind it."""

    def __init__(self, root: str, fs: pafs.FileSystem, base: str, s3_endpoint: str | None = None):
        self.root = root.rstrip("/")
        self.fs = fs
        self._base = base.rstrip("/")
        self.s3_endpoint = s3_endpoint

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def from_settings(cls, cfg: Settings | None = None) -> "Lake":
        cfg = cfg or load_settings()
        return cls.open(cfg.lake_root, cfg.s3_endpoint, cfg.s3_region)

    @classmethod
    def open(cls, root: str, s3_endpoint: str | None = None, s3_region: str = "us-east-1") -> "Lake":
        """A lake at an explicit root (what Spark executors use: they may not share our environment)."""
        if root.startswith("s3://"):
            return cls(root, s3_filesystem(s3_endpoint, s3_region), root[len("s3://"):], s3_endpoint=s3_endpoint)
        os.makedirs(root, exist_ok=True)
        return cls(root, pafs.LocalFileSystem(), root)

    def handle(self) -> tuple[str, str | None]:
        """What an executor needs to reopen this lake: see :meth:`open`."""
        return self.root, self.s3_endpoint

    @property
    def is_s3(self) -> bool:
        return self.root.startswith("s3://")

    # -- addressing -------------------------------------------------------------------------
    def _fs_path(self, rel: str) -> str:
        rel = rel.strip("/")
        return f"{self._base}/{rel}" if rel else self._base

    def uri(self, rel: str) -> str:
        """Full URI of a lake-relative path (what users and the catalog see)."""
        rel = rel.strip("/")
        return f"{self.root}/{rel}" if rel else self.root

    def rel(self, uri: str) -> str:
        """The lake-relative path of a URI from :meth:`uri` (as stored in the catalog)."""
        if not uri.startswith(self.root + "/"):
            raise ValueError(f"{uri} is not in the lake at {self.root}")
        return uri[len(self.root) + 1:]

    def spark_uri(self, rel: str) -> str:
        """The URI Spark's Hadoop file systems understand (``s3a://`` for S3)."""
        uri = self.uri(rel)
        return "s3a://" + uri[len("s3://"):] if uri.startswith("s3://") else uri

    def local_path(self, rel: str) -> str | None:
        return None if self.is_s3 else self._fs_path(rel)

    # -- reading ----------------------------------------------------------------------------
    def exists(self, rel: str) -> bool:
        return self.fs.get_file_info(self._fs_path(rel)).type != pafs.FileType.NotFound

    def read_bytes(self, rel: str) -> bytes:
        with self.open_stream(rel) as stream:
            return stream.read()

    def read_json(self, rel: str) -> Any:
        return json.loads(self.read_bytes(rel).decode("utf-8"))

    def open_stream(self, rel: str):
        """A sequential binary input stream (read in chunks; no seeking, so S3 streams too)."""
        return self.fs.open_input_stream(self._fs_path(rel))

    def list_files(self, prefix: str, pattern: str = "*", recursive: bool = True) -> list[FileInfo]:
        """Files below ``prefix`` whose name matches ``pattern``, sorted by path."""
        selector = pafs.FileSelector(self._fs_path(prefix), allow_not_found=True, recursive=recursive)
        found = []
        for info in self.fs.get_file_info(selector):
            if info.type != pafs.FileType.File:
                continue
            rel = info.path[len(self._base):].lstrip("/")
            name = rel.rsplit("/", 1)[-1]
            if name.startswith((".", "_")) or not fnmatch.fnmatch(name, pattern):
                continue
            found.append(FileInfo(rel, info.size, info.mtime_ns))
        return sorted(found, key=lambda f: f.path)

    def list_dirs(self, prefix: str) -> list[str]:
        selector = pafs.FileSelector(self._fs_path(prefix), allow_not_found=True, recursive=False)
        return sorted(
            info.path[len(self._base):].lstrip("/")
            for info in self.fs.get_file_info(selector)
            if info.type == pafs.FileType.Directory
        )

    # -- writing ----------------------------------------------------------------------------
    def write_bytes(self, rel: str, data: bytes) -> str:
        """Write a whole object. Readers see the old or the new content, never a part.

        A single PUT is atomic on S3; on a local folder we write a temporary file in the same
        directory and rename it over the target.
        """
        target = self._fs_path(rel)
        parent = target.rsplit("/", 1)[0]
        self.fs.create_dir(parent, recursive=True)
        if self.is_s3:
            with self.fs.open_output_stream(target) as out:
                out.write(data)
        else:
            tmp = f"{parent}/.tmp-{uuid.uuid4().hex}"
            with open(tmp, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        return self.uri(rel)

    def write_json(self, rel: str, obj: Any) -> str:
        return self.write_bytes(rel, json.dumps(obj, ensure_ascii=False, indent=2, default=str).encode("utf-8"))

    def write_text(self, rel: str, text: str) -> str:
        return self.write_bytes(rel, text.encode("utf-8"))

    def delete_dir(self, rel: str) -> None:
        path = self._fs_path(rel)
        if self.fs.get_file_info(path).type == pafs.FileType.Directory:
            self.fs.delete_dir(path)

    def delete_file(self, rel: str) -> None:
        path = self._fs_path(rel)
        if self.fs.get_file_info(path).type == pafs.FileType.File:
            self.fs.delete_file(path)

    def iter_json(self, prefix: str, pattern: str = "*.json") -> Iterator[tuple[str, Any]]:
        for info in self.list_files(prefix, pattern):
            yield info.path, self.read_json(info.path)


def s3_filesystem(endpoint: str | None, region: str = "us-east-1") -> pafs.S3FileSystem:
    # Checksum headers newer AWS SDKs add by default are not understood by every S3 server.
    os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "WHEN_REQUIRED")
    os.environ.setdefault("AWS_RESPONSE_CHECKSUM_VALIDATION", "WHEN_REQUIRED")
    kwargs: dict[str, Any] = {"region": region}
    if endpoint:
        kwargs["endpoint_override"] = endpoint.split("://", 1)[-1]
        kwargs["scheme"] = "https" if endpoint.startswith("https") else "http"
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if key and secret:
        kwargs["access_key"], kwargs["secret_key"] = key, secret
    return pafs.S3FileSystem(**kwargs)


def lake() -> Lake:
    return Lake.from_settings()
