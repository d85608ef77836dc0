"""The lake: zones under one root, on a local folder or any S3-API object store.

Jobs address files by *lake-relative* paths (``raw/tax_filings/...``); which file system holds
them is decided once, here, by ``GOVLAKE_LAKE_ROOT`` (a folder, or ``s3://bucket/prefix``).
Spark gets the same locations as URIs through :meth:`Lake.spark_uri`.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import json
import os
import stat
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

import pyarrow.fs as pafs

from govlake.config import Settings
from govlake.config import settings as load_settings
from govlake.errors import StoragePermissionDenied, StorageUnavailable
from govlake.paths import ZONES  # noqa: F401 - re-exported for callers that list the zones

S3_ATTEMPTS_ENV = "GOVLAKE_S3_ATTEMPTS"
S3_TIMEOUT_ENV = "GOVLAKE_S3_TIMEOUT"


@dataclass(frozen=True)
class FileInfo:
    path: str  # lake-relative
    size: int
    mtime_ns: int | None


@dataclass(frozen=True)
class Entry:
    """Anything found below a prefix, regular or not (for reporting what is not read)."""

    path: str  # lake-relative
    kind: str  # "file", "symlink" or "special" (FIFO, socket, device)
    size: int
    mtime_ns: int | None


def describe_os_error(exc: BaseException) -> str:
    """An OS or object-store error in plain words, without the library's stack of context."""
    text = str(exc)
    code = getattr(exc, "errno", None)
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM) or "ACCESS_DENIED" in text \
            or "AccessDenied" in text or "Forbidden" in text:
        return "permission denied"
    if code == errno.ENOSPC or "No space left" in text:
        return "no space left on the device"
    if code == errno.EROFS or "Read-only file system" in text:
        return "the file system is read-only"
    if "Mkdirs failed to create" in text:  # Hadoop's words for EACCES, EPERM or EROFS on a folder
        return "a folder could not be created (no permission, or a read-only or immutable file system)"
    lowered = text.lower()
    if any(s in lowered for s in ("connection refused", "couldn't connect", "could not connect", "curlcode: 7",
                                  "timed out", "timeout", "connection reset", "network", "unable to connect",
                                  "failed to connect", "connection was closed")):
        return "the object store did not answer"
    return text.splitlines()[0][:200] if text else type(exc).__name__


def storage_error(exc: BaseException, action: str, where: str) -> StorageUnavailable:
    reason = describe_os_error(exc)
    cls = StoragePermissionDenied if reason == "permission denied" else StorageUnavailable
    return cls(f"{action} {where}: {reason}")


def _default_keys() -> tuple[str, str] | None:
    """The environment's keys, or on the operator's host (no keys in the environment) the service's
    stored keys; None when there are neither."""
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if key and secret:
        return key, secret
    from govlake.objectstore import stored_credentials

    creds = stored_credentials("govlake")
    return (creds.access_key, creds.secret_key) if creds else None


class Lake:
    """One lake root and the file system behind it."""

    def __init__(self, root: str, fs: pafs.FileSystem, base: str, s3_endpoint: str | None = None,
                 keys: tuple[str, str] | None = None):
        self.root = root.rstrip("/")
        self.fs = fs
        self._base = base.rstrip("/")
        self.s3_endpoint = s3_endpoint
        self.keys = keys  # the principal this lake acts as (S3 only)

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def from_settings(cls, cfg: Settings | None = None) -> Lake:
        cfg = cfg or load_settings()
        return cls.open(cfg.lake_root, cfg.s3_endpoint, cfg.s3_region)

    @classmethod
    def open(cls, root: str, s3_endpoint: str | None = None, s3_region: str = "us-east-1",
             keys: tuple[str, str] | None = None) -> Lake:
        """A lake at an explicit root (what Spark executors use: they may not share our environment).

        ``keys`` (access key, secret) act as one principal; without them the environment's
        ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` are used, or on the operator's host the
        service's stored keys.
        """
        if root.startswith("s3://"):
            keys = keys or _default_keys()
            return cls(root, s3_filesystem(s3_endpoint, s3_region, keys), root[len("s3://"):], s3_endpoint=s3_endpoint,
                       keys=keys)
        os.makedirs(root, exist_ok=True)
        return cls(root, pafs.LocalFileSystem(), root)

    def handle(self) -> tuple[str, str | None]:
        """What an executor needs to reopen this lake: see :meth:`open`."""
        return self.root, self.s3_endpoint

    @property
    def is_s3(self) -> bool:
        return self.root.startswith("s3://")

    def access_keys(self) -> tuple[str, str]:
        """The keys this lake is read and written with (see :meth:`open`); empty when it has none."""
        return self.keys or ("", "")

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

    @contextlib.contextmanager
    def _errors(self, action: str, rel: str):
        """Turn the file system's exceptions into a StorageUnavailable naming what and where."""
        try:
            yield
        except FileNotFoundError:
            raise
        except OSError as exc:
            where = self.uri(rel) + (f" (object store {self.s3_endpoint})" if self.is_s3 and self.s3_endpoint else "")
            raise storage_error(exc, action, where) from None

    # -- reading ----------------------------------------------------------------------------
    def exists(self, rel: str) -> bool:
        with self._errors("checking", rel):
            return self.fs.get_file_info(self._fs_path(rel)).type != pafs.FileType.NotFound

    def read_bytes(self, rel: str) -> bytes:
        with self._errors("reading", rel), self.fs.open_input_stream(self._fs_path(rel), compression=None) as stream:
            return stream.read()

    def read_json(self, rel: str) -> Any:
        return json.loads(self.read_bytes(rel).decode("utf-8"))

    def open_stream(self, rel: str):
        """A sequential binary input stream (read in chunks; no seeking, so S3 streams too)."""
        with self._errors("reading", rel):
            return self.fs.open_input_stream(self._fs_path(rel), compression=None)

    def open_random(self, rel: str):
        """A seekable input file (what zip archives need)."""
        with self._errors("reading", rel):
            return self.fs.open_input_file(self._fs_path(rel))

    def list_entries(self, prefix: str) -> list[Entry]:
        """Everything below ``prefix``, hidden files and non-regular entries included, sorted by path.

        On a local folder, symbolic links are reported as such and never followed: a delivery
        cannot make the lake read a file outside it. Object stores hold regular objects only.
        """
        if self.is_s3:
            with self._errors("listing", prefix):
                infos = self.fs.get_file_info(pafs.FileSelector(self._fs_path(prefix), allow_not_found=True,
                                                                recursive=True))
            return sorted((Entry(i.path[len(self._base):].lstrip("/"), "file", i.size or 0, i.mtime_ns)
                           for i in infos if i.type == pafs.FileType.File), key=lambda e: e.path)
        found = []
        top = self._fs_path(prefix)
        if not os.path.isdir(top):
            return []
        with self._errors("listing", prefix):
            for folder, dirs, files in os.walk(top, onerror=_raise, followlinks=False):
                for name in dirs + files:
                    full = os.path.join(folder, name)
                    try:
                        st = os.lstat(full)
                    except FileNotFoundError:  # removed between listing and looking (a released lock entry)
                        continue
                    if stat.S_ISDIR(st.st_mode):
                        continue
                    kind = "file" if stat.S_ISREG(st.st_mode) else "symlink" if stat.S_ISLNK(st.st_mode) else "special"
                    found.append(Entry(full[len(self._base):].lstrip("/"), kind, st.st_size, st.st_mtime_ns))
        return sorted(found, key=lambda e: e.path)

    def list_files(self, prefix: str, pattern: str = "*", recursive: bool = True) -> list[FileInfo]:
        """Files below ``prefix`` whose name matches ``pattern``, sorted by path."""
        selector = pafs.FileSelector(self._fs_path(prefix), allow_not_found=True, recursive=recursive)
        found = []
        with self._errors("listing", prefix):
            infos = self.fs.get_file_info(selector)
        for info in infos:
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
        with self._errors("listing", prefix):
            infos = self.fs.get_file_info(selector)
        return sorted(info.path[len(self._base):].lstrip("/") for info in infos
                      if info.type == pafs.FileType.Directory)

    # -- writing ----------------------------------------------------------------------------
    def write_bytes(self, rel: str, data: bytes) -> str:
        """Write a whole object. Readers see the old or the new content, never a part.

        A single PUT is atomic on S3; on a local folder we write a temporary file in the same
        directory and rename it over the target.
        """
        target = self._fs_path(rel)
        parent = target.rsplit("/", 1)[0]
        with self._errors("writing", rel):
            if self.is_s3:
                # No folder markers on S3: a principal may write its own prefix and nothing above it.
                with self.fs.open_output_stream(target) as out:
                    out.write(data)
            else:
                self.fs.create_dir(parent, recursive=True)
                tmp = f"{parent}/.tmp-{uuid.uuid4().hex}"
                try:
                    with open(tmp, "wb") as out:
                        out.write(data)
                        out.flush()
                        os.fsync(out.fileno())
                    os.replace(tmp, target)
                except BaseException:
                    # A full disk or a kill must not leave half a file behind.
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                    raise
        return self.uri(rel)

    def write_json(self, rel: str, obj: Any) -> str:
        return self.write_bytes(rel, json.dumps(obj, ensure_ascii=False, indent=2, default=str).encode("utf-8"))

    def write_text(self, rel: str, text: str) -> str:
        return self.write_bytes(rel, text.encode("utf-8"))

    def delete_dir(self, rel: str) -> None:
        from govlake.retention import check_deletable, is_evidence

        path = self._fs_path(rel)
        if is_evidence(rel):  # only evidence needs its files listed (and their ages read)
            check_deletable(rel, [f.mtime_ns for f in self.list_files(rel)], self.uri(rel))
        with self._errors("deleting", rel):
            if self.fs.get_file_info(path).type == pafs.FileType.Directory:
                self.fs.delete_dir(path)

    def delete_file(self, rel: str) -> None:
        from govlake.retention import check_deletable

        path = self._fs_path(rel)
        with self._errors("deleting", rel):
            info = self.fs.get_file_info(path)
            if info.type == pafs.FileType.File:
                check_deletable(rel, [info.mtime_ns], self.uri(rel))
                self.fs.delete_file(path)

    def iter_json(self, prefix: str, pattern: str = "*.json") -> Iterator[tuple[str, Any]]:
        for info in self.list_files(prefix, pattern):
            yield info.path, self.read_json(info.path)


def _raise(exc: OSError) -> None:
    raise exc


def s3_filesystem(endpoint: str | None, region: str = "us-east-1",
                  keys: tuple[str, str] | None = None) -> pafs.S3FileSystem:
    # Checksum headers newer AWS SDKs add by default are not understood by every S3 server.
    os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "WHEN_REQUIRED")
    os.environ.setdefault("AWS_RESPONSE_CHECKSUM_VALIDATION", "WHEN_REQUIRED")
    # Bounded retries with backoff, then a clear failure: an unreachable store must not hang a run.
    attempts = int(os.environ.get(S3_ATTEMPTS_ENV, "4"))
    timeout = float(os.environ.get(S3_TIMEOUT_ENV, "20"))
    kwargs: dict[str, Any] = {"region": region, "connect_timeout": min(timeout, 10.0), "request_timeout": timeout,
                              "retry_strategy": pafs.AwsStandardS3RetryStrategy(max_attempts=attempts)}
    if endpoint:
        kwargs["endpoint_override"] = endpoint.split("://", 1)[-1]
        kwargs["scheme"] = "https" if endpoint.startswith("https") else "http"
    key, secret = keys or (os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY"))
    if key and secret:
        kwargs["access_key"], kwargs["secret_key"] = key, secret
    return pafs.S3FileSystem(**kwargs)


def lake() -> Lake:
    return Lake.from_settings()
