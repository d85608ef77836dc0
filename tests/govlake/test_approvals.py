"""When a release waits for a privacy officer, and who may decide (govlake.approvals)."""

import pytest

from govlake import approvals
from govlake.errors import ApprovalRequired, NotFound, Refusal


def _check(contract, lake, has_release=False, batches=()):
    return approvals.check(contract, lake, 1, "fp1", list(batches), has_release, "reports/x/risk/v1.json")


def test_first_release_waits_then_another_officer_approves(lake, contracts, monkeypatch):
    c = contracts["social_insured"]
    monkeypatch.setenv(approvals.RUN_BY_ENV, "privacy_officer")
    with pytest.raises(ApprovalRequired, match="first release of the dataset"):
        _check(c, lake)
    with pytest.raises(Refusal, match=r"ran this release .* cannot approve it"):
        approvals.decide(lake, "social_insured", "privacy_officer", approve=True)
    with pytest.raises(Refusal, match="is not a privacy officer"):
        approvals.decide(lake, "social_insured", "tax_sz_analyst", approve=True)
    record = approvals.decide(lake, "social_insured", "privacy_officer_gd", approve=True, comment="ok")
    assert record.status == "approved"
    assert _check(c, lake).decided_by == "privacy_officer_gd"  # approved: the release goes ahead
    with pytest.raises(NotFound):
        approvals.decide(lake, "social_insured", "privacy_officer_gd", approve=True)


def test_a_contract_change_to_grants_waits_again(lake, contracts, monkeypatch):
    import dataclasses

    c = contracts["social_insured"]
    monkeypatch.setenv(approvals.RUN_BY_ENV, "operator")
    with pytest.raises(ApprovalRequired):
        _check(c, lake)
    approvals.decide(lake, "social_insured", "privacy_officer", approve=True)
    wider = dataclasses.replace(c, access=(dataclasses.replace(c.access[0], columns=("*",)), *c.access[1:]))
    assert approvals.reasons_for(c, lake, [], has_release=True) == []
    assert approvals.reasons_for(wider, lake, [], has_release=True) == [
        "contract changed since the last approved release: grants"]


def test_a_rejection_blocks(lake, contracts, monkeypatch):
    from govlake.errors import PrivacyGateBlocked

    c = contracts["social_insured"]
    monkeypatch.setenv(approvals.RUN_BY_ENV, "operator")
    with pytest.raises(ApprovalRequired):
        _check(c, lake)
    approvals.decide(lake, "social_insured", "privacy_officer", approve=False, comment="too coarse")
    with pytest.raises(PrivacyGateBlocked, match=r"rejected by privacy_officer .*too coarse"):
        _check(c, lake)
