"""One lock per dataset, so two runs never interleave (a manual run beside a scheduled one,
``govlake run`` beside Airflow, two scheduler workers).

The lock lives in the lake itself (``locks/<dataset>/``), so it works the same on a local folder
and on any S3 store, with no conditional writes: a contender writes its own entry, lists the
folder, and holds the lock only if its entry is the *only* live one; otherwise it removes its
entry and tries again after a pause. Two contenders can never both see themselves alone, because
each writes before it lists (read-after-write and list-after-write consistency, which local
file systems and S3 give). A holder refreshes its entry while it works; an entry not refreshed
within the lease, or whose process is gone from this host, is stale and removed, so a crashed
run does not block the next one for long.

Locks are re-entrant within a thread: ``govlake run`` holds the lock across its stages; another
thread of the same process waits like any other contender.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import random
import socket
import threading
import time
import uuid

from govlake import paths
from govlake.errors import DatasetLocked, NotFound
from govlake.records import actor
from govlake.storage import Lake

log = logging.getLogger("govlake")
WAIT_ENV = "GOVLAKE_LOCK_WAIT"
LEASE_SECONDS = 120.0
HEARTBEAT_SECONDS = 20.0

_held: dict[tuple[str, str, int], int] = {}
_held_lock = threading.Lock()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


class DatasetLock:
    def __init__(self, lake: Lake, dataset: str, purpose: str, wait: float | None = None,
                 lease: float = LEASE_SECONDS, heartbeat: float = HEARTBEAT_SECONDS):
        self.lake, self.dataset, self.purpose = lake, dataset, purpose
        self.wait = float(os.environ.get(WAIT_ENV, "600")) if wait is None else wait
        self.lease, self.heartbeat = lease, heartbeat
        self.token: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reentrant = False

    @property
    def _id(self) -> tuple[str, str, int]:
        return (self.lake.root, self.dataset, threading.get_ident())

    def _entry(self) -> dict:
        return {"dataset": self.dataset, "owner": actor(), "purpose": self.purpose, "pid": os.getpid(),
                "host": socket.gethostname(), "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "token": self.token}

    def _live_entries(self) -> list[dict]:
        now_ns = time.time_ns()
        live = []
        for e in self.lake.list_entries(paths.locks(self.dataset)):
            if not e.path.endswith(".json") or "/.tmp-" in e.path:
                continue
            try:
                info = json.loads(self.lake.read_bytes(e.path))
            except (NotFound, FileNotFoundError, ValueError):
                continue  # released (or being written) while we looked
            except Exception:
                continue
            age = (now_ns - (e.mtime_ns or now_ns)) / 1e9
            gone = info.get("host") == socket.gethostname() and not _alive(int(info.get("pid", 0)))
            if info.get("token") != self.token and (age > self.lease or gone):
                log.warning("removing a stale lock of %s held by %s since %s", self.dataset, info.get("owner"),
                            info.get("since"))
                with contextlib.suppress(Exception):
                    self.lake.delete_file(e.path)
                continue
            live.append(info)
        return live

    def acquire(self) -> None:
        with _held_lock:
            if _held.get(self._id):
                _held[self._id] += 1
                self._reentrant = True
                return
        deadline = time.monotonic() + self.wait
        pause, waited_for = 0.2, None
        while True:
            self.token = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
            mine = paths.lock_entry(self.dataset, self.token)
            self.lake.write_json(mine, self._entry())
            others = [e for e in self._live_entries() if e.get("token") != self.token]
            if not others:
                break
            self.lake.delete_file(mine)
            holder = min(others, key=lambda e: e.get("token", ""))
            if waited_for != holder.get("token"):
                log.warning("%s is locked by %s (%s) since %s; waiting up to %.0fs", self.dataset,
                            holder.get("owner"), holder.get("purpose"), holder.get("since"), self.wait)
                waited_for = holder.get("token")
            if time.monotonic() >= deadline:
                raise DatasetLocked(f"dataset {self.dataset} is locked by {holder.get('owner')} "
                                    f"({holder.get('purpose')}, pid {holder.get('pid')} on {holder.get('host')}) "
                                    f"since {holder.get('since')}; gave up after waiting {self.wait:.0f}s")
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())) * random.uniform(0.5, 1.5))
            pause = min(pause * 2, 5.0)
        with _held_lock:
            _held[self._id] = 1
        self._stop.clear()
        self._thread = threading.Thread(target=self._refresh, name=f"lock-{self.dataset}", daemon=True)
        self._thread.start()

    def _refresh(self) -> None:
        while not self._stop.wait(self.heartbeat):
            with contextlib.suppress(Exception):
                self.lake.write_json(paths.lock_entry(self.dataset, self.token), self._entry())

    def release(self) -> None:
        with _held_lock:
            _held[self._id] -= 1
            if _held[self._id] > 0:
                return
            del _held[self._id]
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        with contextlib.suppress(Exception):
            self.lake.delete_file(paths.lock_entry(self.dataset, self.token))

    def __enter__(self) -> DatasetLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def dataset_lock(lake: Lake, dataset: str, purpose: str, wait: float | None = None) -> DatasetLock:
    return DatasetLock(lake, dataset, purpose, wait)
