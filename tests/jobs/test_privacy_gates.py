"""The gates between masking and publication: discovery of undeclared personal data, the
re-identification risk gate, and post-mask verification. Each must stop publication, and say why."""

import json
import shutil
from pathlib import Path

import pytest
import yaml

from govlake.config import REPO_ROOT
from govlake.errors import PrivacyGateBlocked
from govlake.records import Status, load_manifest, read_catalog_entry
from govlake.synthetic import generate
from jobs.pipeline import run_ingest, run_mask, run_publish, run_validate
from tests.approvals import publish_approved
from tests.leakscan import find_canaries


def validated(dataset):
    refs = run_ingest(dataset)["batches"]
    assert len(refs) == 1
    return run_validate(refs[0])


def published(dataset):
    run_mask(validated(dataset))
    return publish_approved(dataset)


@pytest.fixture
def contracts_copy(tmp_path, monkeypatch):
    """A private copy of the contracts that a test may edit."""
    target = tmp_path / "contracts"
    shutil.copytree(REPO_ROOT / "contracts", target)
    monkeypatch.setenv("GOVLAKE_CONTRACTS_DIR", str(target))

    def edit(dataset, change):
        path = target / f"{dataset}.yaml"
        doc = yaml.safe_load(path.read_text())
        change(doc)
        path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return edit


def _undeclare_mobile(doc):
    for col in doc["schema"]:
        if col["name"] == "contact_phone":
            col.pop("personal")


def test_undeclared_personal_data_blocks_publication(lake, spark, contracts_copy):
    contracts_copy("tax_filings", _undeclare_mobile)
    generate(lake, rows=60, datasets=["tax_filings"])
    ref = validated("tax_filings")
    with pytest.raises(PrivacyGateBlocked, match=r"undeclared personal data in column\(s\) contact_phone \(PHONE_NUMBER\)"):
        run_mask(ref)
    m = load_manifest(lake, ref["manifest"])
    assert m.status == Status.BLOCKED and not lake.exists("catalog/tax_filings.json")
    report = lake.read_json(m.masking.report)
    assert report["discovery"]["undeclared"][0]["column"] == "contact_phone"
    phones = [line.split(",")[6] for line in
              lake.read_bytes("landing/tax_filings/tax_filings_20261121.csv").decode("utf-8-sig").splitlines()[1:]]
    assert find_canaries([lake.local_path("reports")], phones) == []  # the report names no value


def test_undeclared_personal_data_can_be_allowed_with_a_warning(lake, spark, contracts_copy):
    def change(doc):
        _undeclare_mobile(doc)
        doc["discovery"] = {"on_undeclared": "warn"}
    contracts_copy("tax_filings", change)
    generate(lake, rows=60, datasets=["tax_filings"])
    pointer = published("tax_filings")
    assert pointer["version"]
    report = lake.read_json(lake.rel(read_catalog_entry(lake, "tax_filings").reports["masking"][0]))
    assert report["discovery"]["undeclared"][0]["column"] == "contact_phone"


def test_risk_gate_blocks_when_k_cannot_be_reached(lake, spark, contracts_copy):
    def change(doc):
        doc["risk"]["max_suppression"] = 0.0
        doc["risk"]["generalise"] = []
    contracts_copy("social_insured", change)
    generate(lake, rows=100, datasets=["social_insured"])
    ref = validated("social_insured")
    with pytest.raises(PrivacyGateBlocked, match=r"re-identification risk: k=1 \(need 5\)"):
        run_mask(ref)
    report = lake.read_json(load_manifest(lake, ref["manifest"]).masking.report)
    assert report["risk"]["passed"] is False and report["risk"]["before"]["k"] == 1


def test_risk_gate_generalises_then_suppresses(lake, spark):
    generate(lake, rows=1200, datasets=["social_insured"])
    published("social_insured")
    entry = read_catalog_entry(lake, "social_insured")
    report = lake.read_json(lake.rel(entry.reports["masking"][0]))
    risk = report["risk"]
    assert risk["passed"] and risk["after"]["k"] >= 5 and risk["after"]["l"] >= 2
    assert risk["steps"], "birth years should have been coarsened"
    assert risk["suppressed_rows"] <= 0.05 * risk["before"]["rows"]
    assert entry.row_count == risk["before"]["rows"] - risk["suppressed_rows"]
    assert entry.source_batches[0]["rows_suppressed"] == risk["suppressed_rows"]


def test_verification_stops_a_broken_operator(lake, spark, monkeypatch):
    """Inject a defect (redaction that does nothing): verification must catch it before publishing."""
    from masking.operators.redact import Redact

    monkeypatch.setattr(Redact, "column", lambda self, col, entity, params, ctx: col)
    generate(lake, rows=60, datasets=["tax_filings"])
    ref = validated("tax_filings")
    with pytest.raises(PrivacyGateBlocked, match="post-mask verification failed: contact_name"):
        run_mask(ref)
    m = load_manifest(lake, ref["manifest"])
    assert m.status == Status.BLOCKED and m.verification.passed is False
    assert "contact_name" in m.verification.summary
    assert run_publish("tax_filings") is None
    assert not lake.exists("catalog/tax_filings.json") and not lake.exists("curated/tax_filings/_current.json")


def test_masking_report_html_is_self_contained_and_holds_no_raw_value(lake, spark):
    from tests.canary import CANARIES, write_canary_extracts

    write_canary_extracts(lake)
    published("hotline_tickets")
    entry = read_catalog_entry(lake, "hotline_tickets")
    html_path = entry.reports["masking_html"][0]
    text = Path(html_path).read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "<script" not in text
    for section in ("Post-mask verification", "Discovery", "Re-identification risk", "Free text"):
        assert section in text
    report = json.loads(Path(html_path[:-5] + ".json").read_text(encoding="utf-8"))
    assert report["verification"]["passed"]
    assert find_canaries([html_path, html_path[:-5] + ".json"], CANARIES) == []


def test_report_command_prints_the_latest_report(lake, spark):
    from typer.testing import CliRunner

    from entrypoints.cli import app

    generate(lake, rows=60, datasets=["tax_filings"])
    published("tax_filings")
    result = CliRunner().invoke(app, ["report", "tax_filings"])
    assert result.exit_code == 0, result.output
    assert "verification: passed" in result.output and "HTML: " in result.output
    assert "contact_phone" in result.output and "partial_mask" in result.output
    as_json = CliRunner().invoke(app, ["report", "tax_filings", "--json"])
    assert json.loads(as_json.stdout)["dataset"] == "tax_filings"


def test_risk_evaluation_blocks_a_release_that_re_identifies_through_another_dataset(lake, spark, contracts_copy):
    """The demo's business_registry once gave one audience every column, the legal representative's
    pseudonymised ID among them, next to the company facts the public register ties to that person.
    Joined with social_insured on the pseudonym, insured persons who pass k = 5 alone are singled out:
    the release is blocked, says why, writes nothing, and is audited. The shipped contract passes."""
    from typer.testing import CliRunner

    from entrypoints.cli import app
    from govlake import paths
    from govlake.records import load_audit_event

    generate(lake, rows=1200, datasets=["social_insured", "business_registry"])
    assert published("social_insured")["version"]
    evaluation = lake.read_json("reports/social_insured/risk/v1.json")
    assert evaluation["passed"] and {a["grade"] for a in evaluation["audiences"]} <= {"L3", "L4"}
    assert {c["column"]: c["decided_by"] for c in evaluation["inventory"]}["resident_id"] == "contract"

    def everything_to_employer_status(doc):
        for a in doc["access"]:
            if a["audience"] == "employer_status":
                a["columns"] = ["*"]
    contracts_copy("business_registry", everything_to_employer_status)
    ref = validated("business_registry")
    run_mask(ref)
    with pytest.raises(PrivacyGateBlocked, match=r"people of social_insured fall in classes smaller than 5 once "
                                                 r"joined with business_registry"):
        run_publish("business_registry")
    blocked = lake.read_json("reports/business_registry/risk/v1.json")
    assert not blocked["passed"] and blocked["grade"] == "L2"
    singled_out = next(x for x in blocked["accumulation"] if x["people_of"] == "social_insured")
    assert 0 < singled_out["people_singled_out"] <= singled_out["people_linked"]
    assert not lake.exists("catalog/business_registry.json")
    events = [load_audit_event(lake, f.path) for f in lake.list_files(paths.audit_log(), "*.json", recursive=False)]
    assert any(e.action == "release_blocked" and e.dataset == "business_registry" for e in events)
    shown = CliRunner().invoke(app, ["risk", "business_registry"])
    assert shown.exit_code == 0, shown.output
    assert "grade L2" in shown.output and "BLOCKED" in shown.output and "audience employer_status" in shown.output

    contracts_copy("business_registry", lambda doc: doc.update(
        access=yaml.safe_load((REPO_ROOT / "contracts" / "business_registry.yaml").read_text())["access"]))
    assert publish_approved("business_registry")["version"]
    passed = lake.read_json("reports/business_registry/risk/v1.json")
    history = lake.list_files("reports/business_registry/risk/history")  # the blocked evaluation is kept
    assert len(history) == 1 and not lake.read_json(history[0].path)["passed"]
    assert passed["passed"] and passed["grade"] == "L4" and passed["accumulation"] == []
    assert read_catalog_entry(lake, "business_registry").reports["risk"][0].endswith("reports/business_registry/risk/v1.json")
    reviewed = {c["column"]: c for c in passed["inventory"]}["company_name"]
    assert reviewed["column_class"] == "quasi_identifier" and reviewed["decided_by"] == "reviewer: privacy_officer"
