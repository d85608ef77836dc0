"""The whole corpus through the whole pipeline, and the daily flow.

For every case: the outcome its contract asks for, a reason naming file, line and column, no
personal value in any message or output, the delivered file kept byte for byte, rows delivered
= published + quarantined + suppressed, nothing of a refused or rejected delivery in curated
data, and a rerun that changes nothing.
"""

import logging
import os
from pathlib import Path

import pyarrow.dataset as pads
import pytest

from govlake import paths
from govlake.records import LedgerState, Status, iter_manifests, load_ledger
from govlake.synthetic import deliver
from govlake.tables import read_current, read_dataset
from tests.approvals import run_all_approved
from tests.corpus import CANARIES, EVENTS, PEOPLE, SIGNED, SNAPSHOT, cases, corpus_config, people
from tests.environment import temporary_environ
from tests.leakscan import find_canaries


@pytest.fixture(scope="module")
def corpus_env(tmp_path_factory):
    """Contracts and suites: the shipped ones plus the corpus's own."""
    with corpus_config(tmp_path_factory.mktemp("corpus-config")) as folder:
        yield folder


def put(lake, dataset, files):
    for name, data in files.items():
        path = lake.local_path(f"landing/{dataset}/{name}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if data == "FIFO":
            os.mkfifo(path)
        elif isinstance(data, str) and data.startswith("SYMLINK:"):
            os.symlink(data[len("SYMLINK:"):], path)
        else:
            lake.write_bytes(f"landing/{dataset}/{name}", data)


def curated_rows(lake, dataset):
    return read_dataset(lake, dataset).to_pylist() if read_current(lake, dataset) else []


def quarantined_rows(lake, manifest):
    found = 0
    for stage in ("ingest", "validate"):
        rel = paths.quarantine_rows(manifest.dataset, manifest.batch_id, stage)
        if lake.exists(rel) and lake.list_files(rel, "*.parquet"):
            found += pads.dataset(lake.local_path(rel), format="parquet").count_rows()
    return found


@pytest.fixture(scope="module")
def corpus_run(corpus_env, tmp_path_factory, spark):
    from govlake.storage import Lake

    root = tmp_path_factory.mktemp("corpus-lake")
    handler = _Collect()
    logging.getLogger("govlake").addHandler(handler)
    try:
        with temporary_environ({"GOVLAKE_LAKE_ROOT": str(root)}):
            lake = Lake.from_settings()
            all_cases = cases()
            for case in all_cases:
                put(lake, case.dataset, case.files)
            first = {ds: run_all_approved(ds) for ds in (PEOPLE, EVENTS)}
            state = {ds: (read_current(lake, ds), load_ledger(lake, ds)) for ds in (PEOPLE, EVENTS)}
            again = {ds: run_all_approved(ds) for ds in (PEOPLE, EVENTS)}
            yield {"lake": lake, "cases": all_cases, "first": first, "again": again, "state": state,
                   "logs": handler.lines}
    finally:
        logging.getLogger("govlake").removeHandler(handler)


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def by_file(lake, dataset):
    """lake path of a delivered file -> its batch manifest."""
    return {f.path: m for m in iter_manifests(lake, dataset) for f in m.files}


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_case_outcome_and_accounting(corpus_run, case):
    lake = corpus_run["lake"]
    files = [f"landing/{case.dataset}/{n}" for n in case.files]
    manifests = by_file(lake, case.dataset)
    ledger = load_ledger(lake, case.dataset)
    curated = curated_rows(lake, case.dataset)
    from_case = [r for r in curated if r["_source_file"].split("!")[0] in files]
    landing = corpus_run["first"][case.dataset].landing
    reported = [line for line in landing if any(line.startswith(f + ":") for f in files)]
    assert len(reported) == len(files), "every file is reported with what happened to it"
    messages = reported + corpus_run["first"][case.dataset].refused
    assert not find_in(messages, CANARIES)

    if case.outcome in ("published", "rows quarantined"):
        m = manifests[files[0]]
        assert m.status == Status.PUBLISHED, (m.status, m.refused_reason, m.rejected_reason, m.blocked_reason)
        assert m.rows_landed == case.rows
        assert m.rows_landed == len(from_case) + quarantined_rows(lake, m) + m.rows_suppressed
        assert m.rows_quarantined == case.quarantined == quarantined_rows(lake, m)
        reasons = m.quarantine_reasons + [f"{e.file}: line {e.line}: failed {e.failed}" for e in m.validation.examples]
        for expected in case.reasons:
            assert any(expected in r for r in reasons), (expected, reasons)
        assert not find_in(reasons, CANARIES)
        if case.check:
            case.check(from_case)
    elif case.outcome == "refused":
        refused = [e for e in ledger.entries if e.state == LedgerState.REFUSED and any(f in e.files for f in files)]
        assert len(refused) == 1, ledger.entries
        for expected in case.reasons:
            assert expected in refused[0].reason
        assert lake.exists(paths.refused_delivery(case.dataset, refused[0].key))
        assert from_case == []
    elif case.outcome == "rejected":
        m = manifests[files[0]]
        assert m.status == Status.REJECTED and from_case == []
        assert all(any(e in r for r in corpus_run["first"][case.dataset].refused) for e in case.reasons)
        assert lake.exists(paths.rejected_marker(case.dataset, m.batch_id))
    else:  # not ingested, duplicate: reported, never read as a delivery of its own
        assert case.outcome in " ".join(reported)
        accepted = [f for f in files if f in manifests]
        assert len(accepted) <= (1 if case.outcome == "duplicate" else 0)
        assert len({r["_source_row"] for r in from_case}) == len(from_case)  # the duplicate did not add rows
    for name, data in case.files.items():  # the delivered file is kept byte for byte
        path = lake.local_path(f"landing/{case.dataset}/{name}")
        if isinstance(data, bytes):
            assert Path(path).read_bytes() == data


def find_in(texts, canaries):
    return [c for c in canaries for t in texts if c in t]


def test_a_rerun_changes_nothing(corpus_run):
    lake = corpus_run["lake"]
    for ds in (PEOPLE, EVENTS):
        again = corpus_run["again"][ds]
        current, ledger = corpus_run["state"][ds]
        assert again.batches == [] and again.refused == []
        assert read_current(lake, ds).version == current.version
        assert load_ledger(lake, ds) == ledger
        assert all(": ingested earlier" in line or ": refused earlier" in line or ": not ingested" in line
                   or ": duplicate" in line for line in again.landing), again.landing


def test_the_run_says_what_was_refused(corpus_run):
    first = corpus_run["first"][PEOPLE]
    assert not first.ok
    refused = [c for c in corpus_run["cases"] if c.dataset == PEOPLE and c.outcome in ("refused", "rejected")]
    assert len(first.refused) == len(refused)


def test_no_personal_value_in_outputs_or_logs(corpus_run):
    lake = corpus_run["lake"]
    outputs = [lake.local_path(z) for z in ("curated", "reports", "catalog", "audit")]
    assert find_canaries(outputs, CANARIES) == []
    assert find_in(corpus_run["logs"], CANARIES) == []
    assert any("quarantined at ingest" in line for line in corpus_run["logs"])


# -- the daily flow ----------------------------------------------------------------------------------

def daily(lake, dataset, day):
    return deliver(lake, contract_for(dataset), f"day{day:02d}.csv", people(100 + day, n=3 + day % 4), sign=False)


def contract_for(dataset):
    from govlake.contracts import load_contract

    return load_contract(dataset)


@pytest.mark.parametrize("dataset", [SNAPSHOT, PEOPLE], ids=["snapshot", "increment"])
def test_the_daily_flow(corpus_env, lake, spark, dataset):
    delivered = {}
    for days in ([1], [2], [3], list(range(4, 11))):  # the second, third and tenth delivery beside the earlier
        for day in days:
            path = daily(lake, dataset, day)
            delivered[path] = 3 + day % 4
        outcome = run_all_approved(dataset)
        assert outcome.ok, outcome.refused
        rows = curated_rows(lake, dataset)
        keys = [(r["_source_file"], r["_source_row"]) for r in rows]
        assert len(keys) == len(set(keys)), "no row is published twice"
        files = {r["_source_file"] for r in rows}
        newest = max(delivered)
        if dataset == SNAPSHOT:
            assert files == {newest} and len(rows) == delivered[newest]
        else:
            assert files == set(delivered) and len(rows) == sum(delivered.values())
    manifests = iter_manifests(lake, dataset)
    assert len(manifests) == 10 and len(load_ledger(lake, dataset).entries) == 10
    statuses = [m.status for m in manifests]
    if dataset == SNAPSHOT:
        assert statuses == [Status.SUPERSEDED] * 9 + [Status.PUBLISHED]
    else:
        assert statuses == [Status.PUBLISHED] * 10

    # A rejected or refused delivery changes nothing that readers see.
    before = read_current(lake, dataset)
    deliver(lake, contract_for(dataset), "day11.csv", people(111, n=0), sign=False)  # header only: rejected
    deliver(lake, contract_for(dataset), "day12.csv", b"", sign=False)  # empty: refused
    outcome = run_all_approved(dataset)
    assert not outcome.ok and len(outcome.refused) == 2
    assert read_current(lake, dataset) == before


def test_signed_deliveries_through_the_pipeline(corpus_env, lake, spark):
    c = contract_for(SIGNED)
    deliver(lake, c, "good.csv", people(200), rows=5)
    deliver(lake, c, "wrong_count.csv", people(201), rows=7)  # the manifest declares 7, the file holds 5
    deliver(lake, c, "unsigned.csv", people(202), sign=False)
    outcome = run_all_approved(SIGNED)
    assert len(outcome.refused) == 2
    assert any("wrong_count.csv: the signed delivery manifest declares 7 rows, the file holds 5 records" in r
               for r in outcome.refused)
    assert any("unsigned.csv: unsigned" in r for r in outcome.refused)
    rows = curated_rows(lake, SIGNED)
    assert {r["_source_file"] for r in rows} == {"landing/corpus_signed/good.csv"} and len(rows) == 5
    statuses = {m.files[0].path.rsplit("/", 1)[-1]: m.status for m in iter_manifests(lake, SIGNED)}
    assert statuses == {"good.csv": Status.PUBLISHED, "wrong_count.csv": Status.QUARANTINED}
