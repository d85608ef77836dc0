"""Evidence (reports, approvals, the audit log) is kept at least three years: the lake refuses to
delete it earlier, whatever asks."""

import os
import time

import pytest

from govlake.errors import ConfigError
from govlake.retention import MINIMUM_DAYS, EvidenceRetained, retention_days


def test_fresh_evidence_cannot_be_deleted(lake):
    lake.write_json("reports/x/masking/b1.json", {"ok": True})
    lake.write_json("audit/log/000001.json", {"seq": 1})
    with pytest.raises(EvidenceRetained, match="evidence is kept for 1096 days"):
        lake.delete_file("reports/x/masking/b1.json")
    with pytest.raises(EvidenceRetained):
        lake.delete_dir("reports/x")
    with pytest.raises(EvidenceRetained):
        lake.delete_dir("audit")
    assert lake.exists("reports/x/masking/b1.json") and lake.exists("audit/log/000001.json")


def test_evidence_older_than_the_retention_can_go(lake):
    lake.write_json("approvals/x/r1.json", {"status": "approved"})
    four_years_ago = time.time() - 4 * 365 * 86400
    os.utime(lake.local_path("approvals/x/r1.json"), (four_years_ago, four_years_ago))
    lake.delete_file("approvals/x/r1.json")
    assert not lake.exists("approvals/x/r1.json")


def test_other_files_are_not_evidence(lake):
    lake.write_json("work/x/b1/part.json", {})
    lake.delete_dir("work/x")
    assert not lake.exists("work/x/b1/part.json")


def test_retention_cannot_be_shortened(monkeypatch):
    monkeypatch.setenv("GOVLAKE_EVIDENCE_RETENTION_DAYS", "365")
    with pytest.raises(ConfigError, match="at least three years"):
        retention_days()
    monkeypatch.setenv("GOVLAKE_EVIDENCE_RETENTION_DAYS", str(7 * 365))
    assert retention_days() == 7 * 365 > MINIMUM_DAYS
