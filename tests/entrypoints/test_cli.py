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
