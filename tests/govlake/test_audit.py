"""The audit chain: every edit, deletion, reordering, truncation or rewrite of a record is detected."""

import hashlib
import json
import threading
from pathlib import Path

import pytest

from govlake import audit as chain
from govlake.records import audit
from govlake.storage import Lake


@pytest.fixture()
def lake(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVLAKE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(chain.AUDIT_KEY_ENV, raising=False)
    lake = Lake.open(str(tmp_path / "lake"))
    for i in range(1, 7):
        audit(lake, "query", "social_insured", principal="tax_sz_analyst", purpose=["tax"], rows=i)
    return lake


def _record(lake: Lake, seq: int) -> Path:
    return Path(lake.local_path(f"audit/log/{seq:012d}.json"))


def _first_problem(lake: Lake) -> str:
    result = chain.verify(lake)
    assert not result.ok
    return result.problems[0]


def test_an_untouched_chain_verifies_and_every_record_is_signed(lake):
    result = chain.verify(lake)
    assert result.ok, result.problems
    assert (result.records, result.checkpoints) == (6, 6)
    events = chain.records(lake)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    assert all(b.prev == a.hash for a, b in zip(events, events[1:], strict=False))
    assert events[0].prev == chain.GENESIS and events[-1].details["rows"] == 6


def test_an_edited_record_is_named(lake):
    path = _record(lake, 3)
    doc = json.loads(path.read_text())
    doc["details"]["rows"] = 3000
    path.write_text(json.dumps(doc))
    assert _first_problem(lake).startswith("record 3 ") and "edited" in _first_problem(lake)


def test_an_edited_record_with_a_fresh_hash_breaks_the_next_link(lake):
    path = _record(lake, 3)
    doc = json.loads(path.read_text())
    doc["details"]["purpose"] = ["nothing to see"]
    event = chain.AuditEvent(**{k: v for k, v in doc.items() if k != "hash"})
    doc["hash"] = hashlib.sha256(event.body()).hexdigest()
    path.write_text(json.dumps(doc))
    problem = _first_problem(lake)
    assert problem.startswith("record 3 differs from the checkpoint"), problem


def test_a_rewritten_chain_disagrees_with_the_signed_checkpoints(lake):
    """Whoever edits a record and re-hashes every record after it still cannot re-sign the checkpoints."""
    events = chain.records(lake)
    prev = chain.GENESIS
    for e in events:
        if e.seq == 2:
            e.details = {**e.details, "principal": "someone_else"}
        e.prev = prev
        e.hash = hashlib.sha256(e.body()).hexdigest()
        prev = e.hash
        _record(lake, e.seq).write_text(e.model_dump_json())
    assert _first_problem(lake).startswith("record 2 differs from the checkpoint")


def test_a_deleted_record_is_named(lake):
    _record(lake, 4).unlink()
    assert _first_problem(lake).startswith("record 4 is missing")


def test_reordered_records_are_named(lake):
    a, b = _record(lake, 2), _record(lake, 5)
    text_a, text_b = a.read_text(), b.read_text()
    a.write_text(text_b)
    b.write_text(text_a)
    assert _first_problem(lake).startswith("record 2 ") and "reordered" in _first_problem(lake)


def test_a_truncated_chain_is_detected(lake):
    _record(lake, 6).unlink()
    _record(lake, 5).unlink()
    problem = _first_problem(lake)
    assert "records 5-6 were removed" in problem, problem


def test_a_forged_checkpoint_is_detected(lake):
    folder = chain.LocalCheckpoints(lake).folder / "checkpoints"
    path = folder / f"{6:012d}.json"
    doc = json.loads(path.read_text())
    doc["seq"] = 9
    path.chmod(0o644)
    path.write_text(json.dumps(doc))
    assert any("not signed by a registered audit key" in p for p in chain.verify(lake).problems)


def test_concurrent_writers_never_share_a_number(lake):
    def write(n):
        for _ in range(4):
            audit(lake, "publish", f"dataset_{n}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = chain.verify(lake)
    assert result.ok and result.records == 6 + 12, result.problems


def test_a_writer_that_stopped_before_moving_the_head_is_continued(lake):
    Path(lake.local_path("audit/_head.json")).write_text(json.dumps({"seq": 4, "hash": chain.records(lake)[3].hash}))
    audit(lake, "publish", "tax_filings")
    assert chain.verify(lake).ok and chain.records(lake)[-1].seq == 7


def test_the_signing_key_lives_outside_the_lake(lake, tmp_path):
    keys = list((tmp_path / "home" / "secrets").glob("audit-signing.pem"))
    assert keys and oct(keys[0].stat().st_mode & 0o777) == "0o600"
    assert not [p for p in Path(lake.local_path("")).rglob("*") if p.is_file() and b"PRIVATE KEY" in p.read_bytes()]


def test_who_read_lists_govlake_queries(lake):
    uses = chain.who_read(lake, "social_insured")
    assert len(uses) == 6 and {u.principal for u in uses} == {"tax_sz_analyst"}
    assert uses[0].via == "govlake query" and uses[0].purpose == "tax" and uses[-1].rows == 6
    assert chain.who_read(lake, "tax_filings") == []
