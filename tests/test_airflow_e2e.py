"""End to end through real Airflow (`airflow dags test`), with planted canary values.

Three departments' DAGs run on extracts that carry known personal values; afterwards none of
them may appear in anything that leaves the pipeline (curated data, reports, catalog, audit
log) or in the task logs, and a planted ID gets the same pseudonym in every department.
"""

import datetime as dt
from pathlib import Path

import pytest

from govlake.records import read_catalog_entry
from govlake.tables import read_dataset
from masking.keys import TOKEN_PATTERN, domain_key, token
from tests.canary import CANARIES, CANARY_ID, write_canary_extracts
from tests.environment import temporary_environ
from tests.leakscan import find_canaries

pytestmark = pytest.mark.e2e
DATASETS = ("social_insured", "business_registry", "hotline_tickets")


@pytest.fixture(scope="module")
def airflow_run(tmp_path_factory):
    from entrypoints.demo import run_dags
    from govlake.config import settings
    from govlake.contracts import load_contracts
    from govlake.storage import Lake

    home = tmp_path_factory.mktemp("e2e-home")
    with temporary_environ({"GOVLAKE_HOME": str(home), "GOVLAKE_LAKE_ROOT": str(home / "lake")},
                           remove=("AIRFLOW_HOME",)):
        lake = Lake.from_settings()
        write_canary_extracts(lake)
        contracts = load_contracts()
        codes = run_dags([contracts[d].dag_id for d in DATASETS], dt.date.today().isoformat(), echo=lambda *_: None,
                         approve_as="privacy_officer")
        yield {"lake": lake, "codes": codes, "home": home, "settings": settings()}


def curated(lake, ds):
    entry = read_catalog_entry(lake, ds)
    return entry, read_dataset(lake, ds)


def test_every_dag_run_succeeds(airflow_run):
    assert airflow_run["codes"] == {f"govlake__{d}": 0 for d in DATASETS}, \
        f"see logs in {airflow_run['home'] / 'logs'}"


def test_each_first_release_waited_in_airflow_for_a_privacy_officer(airflow_run):
    """The approval task parked the run (Required Actions) until `govlake approve` answered it as a
    privacy officer other than the runner; the decision is govlake's record and in the task's log."""
    from govlake.records import iter_approvals

    lake, home = airflow_run["lake"], airflow_run["home"]
    for ds in DATASETS:
        (record,) = iter_approvals(lake, ds)
        assert (record.status, record.decided_by, record.version) == ("approved", "privacy_officer", 1)
        assert record.requested_by != "privacy_officer" and "first release of the dataset" in record.reasons
        batch = read_catalog_entry(lake, ds).source_batches[0]
        suppressed = batch["rows_suppressed"] / (batch["rows_suppressed"] + batch["rows_published"])
        assert any("above the routine 1%" in r for r in record.reasons) == (suppressed > 0.01), (suppressed, record)
        log = (home / "logs" / f"govlake__{ds}.log").read_text()
        assert "Waiting for Human-in-the-loop input for tasks: ['privacy_approval']" in log
        assert log.index("Waiting for Human-in-the-loop") < log.index(f"release v1 of {ds} approved by privacy_officer")


def test_curated_rows_schema_and_masking(airflow_run):
    lake = airflow_run["lake"]
    entry, table = curated(lake, "social_insured")
    batch = entry.source_batches[0]
    assert table.num_rows == entry.row_count == 1000 - batch["rows_suppressed"] == batch["rows_published"]
    assert batch["rows_suppressed"] <= 50  # the risk gate may suppress at most 5%
    assert table.schema.names == [c["name"] for c in entry.schema_]
    assert str(table.schema.field("birth_date").type) == "string"  # birth-year bands chosen by the risk gate
    rows = table.to_pylist()
    assert all(TOKEN_PATTERN.match(r["resident_id"]) and TOKEN_PATTERN.match(r["employer_credit_code"]) for r in rows)
    assert all(r["name"] == "[REDACTED]" and "****" in r["mobile"] for r in rows)
    assert all(r["_batch_id"] == entry.source_batches[0]["batch_id"] for r in rows)


def test_pseudonym_of_a_planted_id_is_equal_across_departments(airflow_run):
    lake = airflow_run["lake"]
    expected = token(domain_key("shared_services"), "CN_RESIDENT_ID", CANARY_ID)
    assert expected in curated(lake, "social_insured")[1].column("resident_id").to_pylist()
    assert expected in curated(lake, "business_registry")[1].column("legal_rep_id").to_pylist()
    assert expected in curated(lake, "hotline_tickets")[1].column("caller_id").to_pylist()


def test_no_canary_in_outputs_or_task_logs(airflow_run):
    lake, home = airflow_run["lake"], airflow_run["home"]
    outputs = [lake.local_path(z) for z in ("curated", "reports", "catalog", "audit")]
    logs = [home / "logs", home / "airflow" / "logs"]
    assert any(Path(p).rglob("*.log") for p in logs)
    assert "publish" in (home / "logs" / "govlake__hotline_tickets.log").read_text()
    assert find_canaries(outputs + logs, CANARIES) == []


def test_a_refused_delivery_fails_the_run_without_retries_or_traceback(tmp_path, monkeypatch):
    """An unsigned delivery where the contract requires signatures, beside a good one: the good one
    is published, the run fails at once, and the log says which file and why, with no traceback."""
    from entrypoints.demo import run_dags
    from govlake.contracts import load_contracts
    from govlake.storage import Lake
    from govlake.synthetic import deliver, generate

    monkeypatch.setenv("GOVLAKE_HOME", str(tmp_path))
    monkeypatch.setenv("GOVLAKE_LAKE_ROOT", str(tmp_path / "lake"))
    monkeypatch.delenv("AIRFLOW_HOME", raising=False)
    lake = Lake.from_settings()
    generate(lake, rows=60, datasets=["tax_filings"])
    deliver(lake, load_contracts()["tax_filings"], "unsigned.csv", "纳税人识别号\n1\n".encode(), sign=False)
    codes = run_dags(["govlake__tax_filings"], dt.date.today().isoformat(), echo=lambda *_: None,
                     approve_as="privacy_officer")
    assert codes["govlake__tax_filings"] != 0
    log = (tmp_path / "logs" / "govlake__tax_filings.log").read_text()
    assert "landing/tax_filings/unsigned.csv: unsigned: no signed delivery manifest lists this file" in log
    assert "up_for_retry" not in log.lower()
    task_logs = "".join(p.read_text() for p in (tmp_path / "airflow" / "logs").rglob("*.log"))
    assert "Traceback" not in log + task_logs
    entry = read_catalog_entry(lake, "tax_filings")
    assert entry is not None and [b["delivery"] for b in entry.source_batches] == ["tax_filings_20261121"]
