"""Typed records: the batch status machine, strict shapes, one place to read and write."""

import pytest

from govlake import paths
from govlake.errors import IllegalTransition, NotFound, StorageUnavailable
from govlake.records import (
    TRANSITIONS,
    BatchManifest,
    DeliveryRef,
    Ledger,
    Status,
    load_ledger,
    load_manifest,
    save_ledger,
    save_manifest,
)


def manifest() -> BatchManifest:
    m = BatchManifest(dataset="ds", batch_id="b1", mode="increment", ingest_date="2026-11-22",
                      delivery=DeliveryRef(key="k", delivery_id="d", sequence=1, signed=False),
                      raw_path=paths.raw_batch("ds", "2026-11-22", "b1"))
    m.advance(Status.DELIVERED)
    return m


def test_a_batch_moves_along_the_status_machine_only(lake):
    m = manifest()
    for status in (Status.INGESTED, Status.VALIDATED, Status.MASKED, Status.PUBLISHED, Status.SUPERSEDED):
        m.advance(status, note=status.value)
    assert [h.status for h in m.history] == [Status.DELIVERED, Status.INGESTED, Status.VALIDATED, Status.MASKED,
                                             Status.PUBLISHED, Status.SUPERSEDED]
    assert all(h.actor and h.at for h in m.history)
    with pytest.raises(IllegalTransition, match="status is 'superseded', which cannot become 'published'"):
        m.advance(Status.PUBLISHED)


@pytest.mark.parametrize("start,illegal", [(Status.DELIVERED, Status.MASKED), (Status.INGESTED, Status.PUBLISHED),
                                           (Status.QUARANTINED, Status.INGESTED), (Status.REJECTED, Status.MASKED)])
def test_illegal_moves_are_refused(start, illegal):
    assert illegal not in TRANSITIONS[start]
    m = manifest()
    m.status = start
    with pytest.raises(IllegalTransition):
        m.advance(illegal)


def test_every_status_has_its_transitions():
    assert set(TRANSITIONS) == set(Status)


def test_round_trip_and_strict_shape(lake):
    m = manifest()
    save_manifest(lake, m)
    assert load_manifest(lake, m.path) == m
    lake.write_bytes(m.path, lake.read_bytes(m.path).replace(b'"rows_landed"', b'"rows_landd"'))
    with pytest.raises(StorageUnavailable, match=r"is not a valid BatchManifest .*rows_landd: Extra inputs"):
        load_manifest(lake, m.path)
    with pytest.raises(NotFound):
        load_manifest(lake, paths.batch_manifest("ds", "nope"))


def test_ledger_round_trip(lake):
    ledger = load_ledger(lake, "ds")
    assert ledger == Ledger(dataset="ds") and ledger.take_sequence() == 1 and ledger.next_sequence == 2
    save_ledger(lake, ledger)
    assert load_ledger(lake, "ds").next_sequence == 2
