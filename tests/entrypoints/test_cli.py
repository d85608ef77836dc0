from typer.testing import CliRunner

from entrypoints.cli import app

runner = CliRunner()


def test_contracts_command_checks_everything():
    result = runner.invoke(app, ["contracts"])
    assert result.exit_code == 0, result.output
    assert "social_insured" in result.output and "9 expectations" in result.output
    assert "snapshot, signature required" in result.output


def test_generate_then_summary(lake):
    result = runner.invoke(app, ["generate", "--rows", "20"])
    assert result.exit_code == 0, result.output
    assert "landing/hotline_tickets/hotline_tickets_20261121.jsonl" in result.output
    summary = runner.invoke(app, ["summary"])
    assert summary.exit_code == 0 and "social_insured: not published" in summary.output


def test_unknown_dataset_is_a_clear_error(lake):
    result = runner.invoke(app, ["run", "no_such_dataset"])
    assert result.exit_code == 2
    assert "error: no contract for dataset 'no_such_dataset'" in result.output


def test_catalog_of_unpublished_dataset(lake):
    result = runner.invoke(app, ["catalog", "tax_filings"])
    assert result.exit_code == 2 and "has not been published" in result.output


def test_contracts_command_rejects_unknown_operator(tmp_path, monkeypatch):
    import shutil

    from govlake.config import REPO_ROOT

    shutil.copytree(REPO_ROOT / "contracts", tmp_path / "c")
    path = tmp_path / "c" / "tax_filings.yaml"
    path.write_text(path.read_text().replace("operator: redact", "operator: shred"))
    monkeypatch.setenv("GOVLAKE_CONTRACTS_DIR", str(tmp_path / "c"))
    result = runner.invoke(app, ["contracts"])
    assert result.exit_code == 2 and "unknown masking operator 'shred'" in result.output
    assert "tax_filings.yaml: schema[5].personal" in result.output


def test_keygen_sign_and_a_signed_delivery_is_accepted(lake, spark, tmp_path, monkeypatch):
    """A department's whole routine from the command line: a key pair, its registration, a signed delivery."""
    from govlake.records import load_manifest
    from govlake.synthetic import Population, render_csv, tax_rows
    from jobs.ingest import ingest

    keys = tmp_path / "registry"
    monkeypatch.setenv("GOVLAKE_KEYS_DIR", str(keys))
    made = runner.invoke(app, ["keygen", "tax", "--out", str(tmp_path / "dept")])
    assert made.exit_code == 0, made.output
    keys.mkdir()
    (tmp_path / "dept" / "tax.yaml").rename(keys / "tax.yaml")
    assert oct((tmp_path / "dept" / "tax.pem").stat().st_mode & 0o777) == "0o600"

    from govlake.contracts import load_contracts

    contract = load_contracts()["tax_filings"]
    out = tmp_path / "out"
    out.mkdir()
    data = render_csv(contract, tax_rows(Population(20, 1), messy=True)) + b"x,y\r\n"
    (out / "filings.csv").write_bytes(data)
    signed = runner.invoke(app, ["sign", "tax_filings", str(out / "filings.csv"), "--key",
                                 str(tmp_path / "dept" / "tax.pem"), "--delivery-id", "2026-11-21"])
    assert signed.exit_code == 0, signed.output
    assert "1 of 16 rows will be quarantined (first: line 17: 2 fields" in signed.stderr  # seen before delivering
    for f in out.iterdir():
        lake.write_bytes(f"landing/tax_filings/{f.name}", f.read_bytes())
    result = ingest(contract, lake, spark)
    assert result.refused == [] and len(result.batches) == 1
    m = load_manifest(lake, result.batches[0])
    assert m.delivery.signed and m.delivery.delivery_id == "2026-11-21" and m.files[0].declared_rows == 16


def test_verify_release_finds_a_tampered_file(lake, spark, tmp_path):
    from govlake.synthetic import generate
    from tests.approvals import run_all_approved

    generate(lake, rows=60, datasets=["tax_filings"])
    assert run_all_approved("tax_filings").ok
    ok = runner.invoke(app, ["verify-release", "tax_filings"])
    assert ok.exit_code == 0 and "signature: valid" in ok.output and "OK: every file matches" in ok.output
    folder = lake.local_path("curated/tax_filings")
    deliveries = runner.invoke(app, ["deliveries", "tax_filings"])
    assert deliveries.exit_code == 0 and "accepted, batch b" in deliveries.output and ": published" in deliveries.output
    import pathlib

    part = next(pathlib.Path(folder).rglob("*.parquet"))
    part.write_bytes(part.read_bytes()[:-10] + b"tampered!!")
    bad = runner.invoke(app, ["verify-release", folder])
    assert bad.exit_code == 2 and "FAILED: " in bad.output and "differs from the signed manifest" in bad.output
    stranger = tmp_path / "other.pub"
    from govlake.signing import new_private_key, public_b64

    stranger.write_text(public_b64(new_private_key().public_key()))
    forged = runner.invoke(app, ["verify-release", folder, "--public-key", str(stranger)])
    assert forged.exit_code == 2 and "the signature does not match" in forged.output


def test_run_reports_refusals_and_exits_2(lake):
    from govlake.contracts import load_contracts
    from govlake.synthetic import deliver

    deliver(lake, load_contracts()["tax_filings"], "unsigned.csv", b"x\n", sign=False)
    result = runner.invoke(app, ["run", "tax_filings", "--no-verbose"])
    assert result.exit_code == 2
    assert "refused: landing/tax_filings/unsigned.csv: unsigned" in result.stderr
    assert "Traceback" not in result.output


def test_a_first_release_waits_for_another_privacy_officer(lake, spark, monkeypatch):
    """`govlake run` stops before publishing (exit 3); the officer who ran it, and anyone who is not a
    privacy officer, cannot approve; another officer can, and the next run publishes. All audited."""
    from govlake import paths
    from govlake.records import iter_approvals, load_audit_event, read_catalog_entry
    from govlake.synthetic import generate

    generate(lake, rows=60, datasets=["tax_filings"])
    monkeypatch.setenv("GOVLAKE_RUN_BY", "")  # `--as` sets it for the rest of the process; put it back after
    waiting = runner.invoke(app, ["run", "tax_filings", "--as", "privacy_officer", "--no-verbose"])
    assert waiting.exit_code == 3, waiting.output
    assert "waiting: tax_filings: release v1 waits for a privacy officer's approval (first release" in waiting.stderr
    assert read_catalog_entry(lake, "tax_filings") is None  # nothing published while it waits
    own = runner.invoke(app, ["approve", "tax_filings", "--as", "privacy_officer"])
    assert own.exit_code == 2 and "privacy_officer ran this release of tax_filings and cannot approve it" in own.output
    analyst = runner.invoke(app, ["approve", "tax_filings", "--as", "tax_sz_analyst"])
    assert analyst.exit_code == 2 and "'tax_sz_analyst' is not a privacy officer" in analyst.output
    approved = runner.invoke(app, ["approve", "tax_filings", "--as", "privacy_officer_gd", "--comment", "k ok"])
    assert approved.exit_code == 0, approved.output
    assert "tax_filings release v1: approved by privacy_officer_gd" in approved.output
    assert "no Airflow run was waiting" in approved.output
    published = runner.invoke(app, ["run", "tax_filings", "--no-verbose"])
    assert published.exit_code == 0, published.output
    assert read_catalog_entry(lake, "tax_filings").version == "1"
    (record,) = iter_approvals(lake, "tax_filings")
    assert (record.requested_by, record.decided_by, record.status, record.comment) == (
        "privacy_officer", "privacy_officer_gd", "approved", "k ok")
    assert record.evaluation == paths.risk_evaluation("tax_filings", 1) and record.masking_reports
    actions = [load_audit_event(lake, f.path).action for f in lake.list_files(paths.audit_log(), "*.json", recursive=False)]
    assert {"approval_requested", "approval_refused", "release_approved"} <= set(actions)
    evidence = runner.invoke(app, ["risk", "tax_filings"])  # the approval is part of the evaluation's record
    assert "approval: approved by privacy_officer_gd" in evidence.output and "run by privacy_officer" in evidence.output
    again = runner.invoke(app, ["approve", "tax_filings", "--as", "privacy_officer_gd"])
    assert again.exit_code != 0 and "no release of 'tax_filings' waits for approval" in again.output
