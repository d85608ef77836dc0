"""Faults: a kill at every stage boundary and inside publish, a full disk, a refused write, two
runs at once. Readers always see the previous version or the new one, never a mix; nothing is
half-written; the next run finishes the work with no duplicate rows."""

import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest

from govlake.config import REPO_ROOT
from govlake.errors import DatasetLocked, StorageUnavailable
from govlake.faults import InjectedFault
from govlake.locks import dataset_lock
from govlake.records import Status, iter_manifests, read_catalog_entry
from govlake.release import verify_release_folder
from govlake.storage import Lake
from govlake.synthetic import deliver
from govlake.tables import read_current, read_dataset
from jobs.pipeline import run_all
from tests.approvals import approve, run_all_approved
from tests.corpus import PEOPLE, corpus_config, people

POINTS = ["ingest.registered", "ingest.written", "validate.written", "mask.written", "publish.data_written",
          "publish.release_signed", "publish.pointer_switched", "publish.views_written", "publish.catalog_written",
          "publish.done"]


@pytest.fixture(scope="module")
def corpus_env(tmp_path_factory):
    with corpus_config(tmp_path_factory.mktemp("faults-config")) as folder:
        yield folder


def contract():
    from govlake.contracts import load_contract

    return load_contract(PEOPLE)


def curated(lake):
    return read_dataset(lake, PEOPLE).to_pylist() if read_current(lake, PEOPLE) else []


def assert_consistent(lake, expected_rows):
    """What readers see is a whole, verifiable version, and the bookkeeping agrees with it."""
    current = read_current(lake, PEOPLE)
    check = verify_release_folder(lake.local_path(f"curated/{PEOPLE}"))
    assert check.ok, check.lines
    rows = curated(lake)
    keys = [(r["_source_file"], r["_source_row"]) for r in rows]
    assert len(keys) == len(set(keys)) == expected_rows
    assert read_catalog_entry(lake, PEOPLE).version == current.version
    assert all(m.status == Status.PUBLISHED for m in iter_manifests(lake, PEOPLE))
    assert not [p for p in lake.list_entries("") if "/.tmp-" in p.path]


@pytest.mark.parametrize("point", POINTS)
def test_a_kill_at_any_point_leaves_a_consistent_lake_and_the_rerun_finishes(corpus_env, lake, spark, monkeypatch, point):
    deliver(lake, contract(), "day1.csv", people(301, n=4), sign=False)
    assert run_all_approved(PEOPLE).ok
    before = read_current(lake, PEOPLE)
    deliver(lake, contract(), "day2.csv", people(302, n=3), sign=False)
    monkeypatch.setenv("GOVLAKE_FAILPOINTS", f"{point}=raise")
    with pytest.raises(InjectedFault):
        run_all_approved(PEOPLE)
    now = read_current(lake, PEOPLE)
    if POINTS.index(point) < POINTS.index("publish.pointer_switched"):
        assert now == before  # readers still see the previous version
    else:
        assert now.version != before.version and verify_release_folder(lake.local_path(f"curated/{PEOPLE}")).ok
    monkeypatch.delenv("GOVLAKE_FAILPOINTS")
    outcome = run_all_approved(PEOPLE)
    assert outcome.ok, outcome.refused
    assert_consistent(lake, 7)
    assert len(iter_manifests(lake, PEOPLE)) == 2


def test_a_real_kill_inside_publish(corpus_env, lake, spark):
    """SIGKILL (no cleanup at all) after the pointer switch: the lock is left behind, the catalog is
    stale; the next run removes the dead run's lock and finishes the bookkeeping."""
    deliver(lake, contract(), "day1.csv", people(311, n=5), sign=False)
    assert run_all(PEOPLE).awaiting_approval  # the first release: a privacy officer approves it first
    approve(lake, PEOPLE)
    env = {**os.environ, "GOVLAKE_FAILPOINTS": "publish.pointer_switched=kill"}
    proc = subprocess.run([sys.executable, "-m", "entrypoints.cli", "run", PEOPLE], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert lake.list_files(f"locks/{PEOPLE}"), "a killed run leaves its lock entry"
    assert read_current(lake, PEOPLE) is not None and read_catalog_entry(lake, PEOPLE) is None
    started = time.monotonic()
    assert run_all_approved(PEOPLE).ok
    assert time.monotonic() - started < 60, "a dead process's lock does not make the next run wait out the lease"
    assert_consistent(lake, 5)


def test_two_runs_at_once(corpus_env, lake, spark):
    """A manual run beside a scheduled one: one waits for the other; every row is published once."""
    deliver(lake, contract(), "day1.csv", people(321, n=6), sign=False)
    outcomes, errors = [], []

    def run():
        try:
            outcomes.append(run_all_approved(PEOPLE))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == [] and len(outcomes) == 2
    assert sorted(len(o.batches) for o in outcomes) == [0, 1]  # the second found the delivery ingested
    assert_consistent(lake, 6)


def test_a_held_lock_makes_a_run_wait_then_fail_cleanly(lake):
    with dataset_lock(lake, PEOPLE, "a long publish"):
        holder = threading.Thread(target=lambda: None)
        holder.start()
        failed = []

        def contender():
            try:
                with dataset_lock(lake, PEOPLE, "another run", wait=1.0):
                    pass
            except DatasetLocked as exc:
                failed.append(str(exc))

        t = threading.Thread(target=contender)
        t.start()
        t.join(timeout=30)
    assert len(failed) == 1 and "is locked by" in failed[0] and "(a long publish" in failed[0]
    with dataset_lock(lake, PEOPLE, "after release", wait=1.0):
        pass  # released: free again


def _root() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


@contextlib.contextmanager
def small_disk(path, size="24m"):
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {done.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.mark.skipif(not _root(), reason="needs root to mount a small file system")
def test_a_full_disk_fails_clearly_and_writes_nothing_half(corpus_env, tmp_path, spark, monkeypatch):
    with small_disk(tmp_path / "disk") as disk:
        monkeypatch.setenv("GOVLAKE_LAKE_ROOT", str(disk / "lake"))
        lake = Lake.from_settings()
        deliver(lake, contract(), "day1.csv", people(331, n=4), sign=False)
        assert run_all_approved(PEOPLE).ok
        before = read_current(lake, PEOPLE)
        deliver(lake, contract(), "day2.csv", people(332, n=3000), sign=False)
        filler = disk / "filler"
        # Fill the disk, then give back a little room: small files fit, a batch of Parquet does not.
        with open(filler, "wb") as f, contextlib.suppress(OSError):
            while True:
                f.write(b"\0" * (1 << 20))
        os.truncate(filler, max(0, os.path.getsize(filler) - 48 * 1024))
        with pytest.raises(StorageUnavailable, match="no space left on the device"):
            run_all_approved(PEOPLE)
        assert read_current(lake, PEOPLE) == before
        assert not [p for p in lake.list_entries("") if "/.tmp-" in p.path], "no half-written file"
        filler.unlink()
        assert run_all_approved(PEOPLE).ok
        assert len(curated(lake)) == 3004


@pytest.mark.skipif(not _root() or shutil.which("chattr") is None, reason="needs root and chattr")
def test_a_refused_write_fails_clearly_and_publishes_nothing(corpus_env, lake, spark):
    deliver(lake, contract(), "day1.csv", people(341, n=4), sign=False)
    assert run_all_approved(PEOPLE).ok
    before = read_current(lake, PEOPLE)
    deliver(lake, contract(), "day2.csv", people(342, n=3), sign=False)
    folder = lake.local_path(f"curated/{PEOPLE}/data")  # where the new version's files would go
    if subprocess.run(["chattr", "+i", folder], capture_output=True).returncode != 0:
        pytest.skip("this file system does not support immutable folders")
    try:
        with pytest.raises(StorageUnavailable, match=r"permission denied|a folder could not be created"):
            run_all_approved(PEOPLE)
        assert read_current(lake, PEOPLE) == before
    finally:
        subprocess.run(["chattr", "-i", folder], capture_output=True)
    assert run_all_approved(PEOPLE).ok
    assert_consistent(lake, 7)
