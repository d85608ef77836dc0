"""The landing zone: every entry gets an outcome and a reason; signed deliveries are checked;
a delivery is ingested once; refusals are not repeated until something changes."""

import datetime as dt
import os
import tempfile
from pathlib import Path

import pytest

from govlake.contracts import parse_contract
from govlake.deliveries import SigningKey, file_entry, key_id_for, manifest_name, signed_manifest
from govlake.records import Ledger
from govlake.signing import Keyring, new_private_key, registry_document
from govlake.storage import Lake
from jobs.landing import scan_landing
from tests.corpus import CANARIES, PEOPLE, SIGNED, SNAPSHOT, cases, contract_docs, people

LANDING_CASES = [c for c in cases() if c.where == "landing"]


def contract(dataset):
    return parse_contract(contract_docs()[dataset], Path(f"{dataset}.yaml"), sha256="c1")


def put(lake, dataset, files):
    for name, data in files.items():
        path = f"landing/{dataset}/{name}"
        if data == "FIFO":
            os.makedirs(os.path.dirname(lake.local_path(path)), exist_ok=True)
            os.mkfifo(lake.local_path(path))
        elif isinstance(data, str) and data.startswith("SYMLINK:"):
            os.makedirs(os.path.dirname(lake.local_path(path)), exist_ok=True)
            os.symlink(data[len("SYMLINK:"):], lake.local_path(path))
        else:
            lake.write_bytes(path, data)


@pytest.fixture
def keys(tmp_path):
    """A department key registered in a key registry of its own (valid from a year ago)."""
    private = new_private_key()
    key = SigningKey("corpus_department", key_id_for("corpus_department", private), private)
    folder = tmp_path / "keys"
    folder.mkdir()
    today = dt.date.today()
    (folder / "corpus_department.yaml").write_text(registry_document(
        "corpus_department", key.key_id, private.public_key(), today - dt.timedelta(days=365), None))
    return key, folder


def sign(lake, key, dataset, name, data, delivery_id=None, rows=None, created_at=None, tamper=None):
    lake.write_bytes(f"landing/{dataset}/{name}", data)
    delivery_id = delivery_id or name.split(".")[0]
    manifest, sig = signed_manifest(dataset, key, delivery_id, [file_entry(name, data, rows)], created_at)
    if tamper:
        manifest = tamper(manifest)
    path = f"landing/{dataset}/{manifest_name(delivery_id)}"
    lake.write_bytes(path, manifest)
    lake.write_bytes(path + ".sig", sig)
    return path


def outcomes(scan):
    return {o.path.rsplit("/", 1)[-1]: (o.outcome, o.reason) for o in scan.outcomes}


@pytest.mark.parametrize("case", LANDING_CASES, ids=lambda c: c.name)
def test_corpus_cases_decided_in_the_landing_zone(lake, case):
    put(lake, case.dataset, case.files)
    scan = scan_landing(lake, contract(case.dataset), Ledger(dataset=case.dataset), Keyring([], ""))
    found = outcomes(scan)
    assert set(found) == set(case.files), "every entry of the landing zone is reported"
    reasons = " | ".join(f"{o} {r}" for o, r in found.values())
    for expected in case.reasons:
        assert expected in reasons, reasons
    assert case.outcome in {o for o, _ in found.values()}, found
    if case.outcome != "refused":
        assert scan.refused == []
    assert not any(c in reasons for c in CANARIES)


def test_a_good_signed_delivery(lake, keys):
    key, folder = keys
    manifest = sign(lake, key, SIGNED, "a.csv", people(1), rows=5)
    scan = scan_landing(lake, contract(SIGNED), Ledger(dataset=SIGNED), Keyring.load([folder]))
    assert len(scan.new) == 1 and scan.refused == []
    delivery = scan.new[0]
    assert delivery.signed and delivery.signer == key.key_id and delivery.manifest == manifest
    assert delivery.files[0].declared_rows == 5
    assert {o for o, _ in outcomes(scan).values()} == {"new"}  # data file, manifest and signature


@pytest.mark.parametrize("problem,expected", [
    ("missing signature", "the signature file a.delivery.json.sig is missing"),
    ("tampered manifest", "the signature does not match the manifest"),
    ("other key", "signed with key 'corpus_department-"),
    ("changed file", "a.csv: its SHA-256 digest differs from the delivery manifest"),
    ("expired key", "stale signature: key corpus_department-"),
    ("old manifest", "stale signature: made on 2020-01-01, more than 30 days ago"),
    ("future manifest", "in the future"),
    ("unsigned", "unsigned: no signed delivery manifest lists this file"),
    ("missing file", "lists b.csv, which is not in the landing zone"),
    ("wrong dataset", "the manifest is for dataset 'corpus_people'"),
])
def test_bad_signed_deliveries_are_refused_with_the_reason(lake, keys, tmp_path, problem, expected):
    key, folder = keys
    ds = SIGNED
    data = people(2)
    if problem == "missing signature":
        lake.delete_file(sign(lake, key, ds, "a.csv", data) + ".sig")
    elif problem == "tampered manifest":
        sign(lake, key, ds, "a.csv", data, tamper=lambda m: m.replace(b'"rows": null', b'"rows": 9'))
    elif problem == "other key":
        other = new_private_key()
        sign(lake, SigningKey("corpus_department", key_id_for("corpus_department", other), other), ds, "a.csv", data)
    elif problem == "changed file":
        sign(lake, key, ds, "a.csv", data)
        lake.write_bytes(f"landing/{ds}/a.csv", people(3))
    elif problem == "expired key":
        sign(lake, key, ds, "a.csv", data)
        yesterday = dt.date.today() - dt.timedelta(days=1)
        (folder / "corpus_department.yaml").write_text(registry_document(
            "corpus_department", key.key_id, key.private.public_key(), yesterday - dt.timedelta(days=400), yesterday))
    elif problem == "old manifest":
        sign(lake, key, ds, "a.csv", data, created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    elif problem == "future manifest":
        sign(lake, key, ds, "a.csv", data, created_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    elif problem == "unsigned":
        lake.write_bytes(f"landing/{ds}/a.csv", data)
    elif problem == "missing file":
        manifest, sig = signed_manifest(ds, key, "a", [file_entry("b.csv", data, None)])
        lake.write_bytes(f"landing/{ds}/a.delivery.json", manifest)
        lake.write_bytes(f"landing/{ds}/a.delivery.json.sig", sig)
    elif problem == "wrong dataset":
        lake.write_bytes(f"landing/{ds}/a.csv", data)
        manifest, sig = signed_manifest(PEOPLE, key, "a", [file_entry("a.csv", data, None)])
        lake.write_bytes(f"landing/{ds}/a.delivery.json", manifest)
        lake.write_bytes(f"landing/{ds}/a.delivery.json.sig", sig)
    scan = scan_landing(lake, contract(ds), Ledger(dataset=ds), Keyring.load([folder]))
    assert scan.new == [] and len(scan.refused) == 1, outcomes(scan)
    assert expected in scan.refused[0].reason
    assert scan.refused[0].reason.startswith("landing/corpus_signed/")
    assert not any(c in scan.refused[0].reason for c in CANARIES)


def test_two_deliveries_claiming_one_delivery_id(lake, keys, spark):
    from jobs.ingest import ingest

    key, folder = keys
    sign(lake, key, SIGNED, "a.csv", people(4), delivery_id="2026-11-21")
    first = ingest(contract(SIGNED), lake, spark, Keyring.load([folder]))
    assert len(first.batches) == 1
    lake.write_bytes("landing/corpus_signed/b.csv", people(5))
    manifest, sig = signed_manifest(SIGNED, key, "2026-11-21", [file_entry("b.csv", people(5), None)])
    lake.write_bytes("landing/corpus_signed/b.delivery.json", manifest)
    lake.write_bytes("landing/corpus_signed/b.delivery.json.sig", sig)
    second = ingest(contract(SIGNED), lake, spark, Keyring.load([folder]))
    assert second.refused == ["landing/corpus_signed/b.delivery.json: delivery '2026-11-21' was already delivered "
                              f"with other content (batch {first.batches[0].batch_id}); a correction needs a new "
                              "delivery_id"]


def test_a_changed_file_in_an_increment_is_refused_and_in_a_snapshot_is_a_new_delivery(lake, spark):
    from jobs.ingest import ingest

    for dataset in (PEOPLE, SNAPSHOT):
        lake.write_bytes(f"landing/{dataset}/daily.csv", people(6))
        assert len(ingest(contract(dataset), lake, spark, Keyring([], "")).batches) == 1
        lake.write_bytes(f"landing/{dataset}/daily.csv", people(7))
    increment = ingest(contract(PEOPLE), lake, spark, Keyring([], ""))
    assert len(increment.refused) == 1 and "changed since it was ingested as batch" in increment.refused[0]
    snapshot = ingest(contract(SNAPSHOT), lake, spark, Keyring([], ""))
    assert snapshot.refused == [] and len(snapshot.batches) == 2  # the new snapshot beside the unfinished old one


def test_a_refusal_is_not_repeated_until_something_changes(lake, spark, tmp_path):
    from jobs.ingest import ingest

    c = contract(PEOPLE)
    lake.write_bytes("landing/corpus_people/bad.csv", b"")
    assert len(ingest(c, lake, spark, Keyring([], "")).refused) == 1
    again = ingest(c, lake, spark, Keyring([], ""))
    assert again.refused == [] and again.landing == ["landing/corpus_people/bad.csv: refused earlier: "
                                                     "landing/corpus_people/bad.csv: empty file (0 bytes): nothing to read"]
    changed_contract = parse_contract(contract_docs()[PEOPLE], Path("corpus_people.yaml"), sha256="c2")
    assert len(ingest(changed_contract, lake, spark, Keyring([], "")).refused) == 1  # looked at again


def test_a_file_that_cannot_be_read(spark):
    """A real permission error: the scan runs as an unprivileged user when the tests run as root."""
    folder = tempfile.mkdtemp(prefix="govlake-unreadable-")
    os.chmod(folder, 0o755)
    try:
        lake = Lake.open(folder)
        lake.write_bytes("landing/corpus_people/secret.csv", people(8))
        lake.write_bytes("landing/corpus_people/fine.csv", people(9))
        os.chmod(lake.local_path("landing/corpus_people/secret.csv"), 0o000)
        for d in ("", "landing", "landing/corpus_people"):
            os.chmod(lake.local_path(d) if d else folder, 0o755)
        root = os.geteuid() == 0
        if root:
            os.setegid(65534)
            os.seteuid(65534)
        try:
            scan = scan_landing(lake, contract(PEOPLE), Ledger(dataset=PEOPLE), Keyring([], ""))
        finally:
            if root:
                os.seteuid(0)
                os.setegid(0)
        assert [d.delivery_id for d in scan.new] == ["fine.csv"]
        assert [r.reason for r in scan.refused] == [
            "landing/corpus_people/secret.csv: the file cannot be read: permission denied"]
    finally:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def test_unchanged_files_are_not_hashed_again(lake, spark, monkeypatch):
    from jobs import landing
    from jobs.ingest import ingest

    lake.write_bytes("landing/corpus_people/once.csv", people(10))
    ingest(contract(PEOPLE), lake, spark, Keyring([], ""))
    hashed = []
    real = landing._sha256
    monkeypatch.setattr(landing, "_sha256", lambda lk, path: hashed.append(path) or real(lk, path))
    result = ingest(contract(PEOPLE), lake, spark, Keyring([], ""))
    assert hashed == [] and result.landing[0].endswith("ingested earlier: batch "
                                                       f"{result.batches[0].batch_id}, delivery once.csv")


def test_the_watcher_sees_a_delivery_only_when_it_is_complete_and_new(lake, keys, spark):
    """What the landing watcher polls: a manifest whose files are still arriving, a file without
    its marker, and anything a run has already looked at start nothing."""
    from govlake.records import load_ledger
    from jobs.ingest import ingest
    from jobs.landing import complete_deliveries

    key, folder = keys
    signed, unsigned = contract(SIGNED), contract(PEOPLE)

    def waiting(c):
        return [d.name.rsplit("/", 1)[-1] for d in complete_deliveries(lake, c, load_ledger(lake, c.dataset))]

    data = people(11)
    manifest, sig = signed_manifest(SIGNED, key, "d1", [file_entry("d1.csv", data, 5)])
    lake.write_bytes(f"landing/{SIGNED}/d1.csv", data[: len(data) // 2])  # still being written
    lake.write_bytes(f"landing/{SIGNED}/{manifest_name('d1')}", manifest)
    lake.write_bytes(f"landing/{SIGNED}/{manifest_name('d1')}.sig", sig)
    assert waiting(signed) == []
    lake.write_bytes(f"landing/{SIGNED}/d1.csv", data)
    assert waiting(signed) == [manifest_name("d1")]

    lake.write_bytes(f"landing/{PEOPLE}/u1.csv", people(12))
    assert waiting(unsigned) == []  # no marker yet
    lake.write_bytes(f"landing/{PEOPLE}/u1.csv.done", b"")
    assert waiting(unsigned) == ["u1.csv"]

    assert len(ingest(signed, lake, spark, Keyring.load([folder])).batches) == 1
    scan = ingest(unsigned, lake, spark, Keyring([], ""))
    assert len(scan.batches) == 1
    assert "landing/corpus_people/u1.csv.done: not ingested: the completion marker of u1.csv" in scan.landing
    assert waiting(signed) == [] and waiting(unsigned) == []  # ingested: nothing new
