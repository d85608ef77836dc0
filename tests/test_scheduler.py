"""A DAG under the real scheduler, triggered the way a data engineer does it: through the REST API
(what the UI's "Trigger" button calls) with no logical date.

`airflow standalone` (scheduler, dag-processor, triggerer and API server, LocalExecutor) runs on
loopback with its own AIRFLOW_HOME; the tests unpause one dataset's DAG, trigger it, and wait for
every task to succeed; then a department drops a new delivery into the landing zone and the landing
watcher (in the triggerer) starts a run by itself. Tasks attach to the test run's shared Spark engine.
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from entrypoints.airflow_hitl import SETTLE_SECONDS
from tests.conftest import free_port
from tests.environment import temporary_environ

pytestmark = pytest.mark.e2e
DATASET = "tax_filings"


def _call(base: str, method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    from entrypoints.airflow_env import airflow_environ
    from govlake.storage import Lake
    from govlake.synthetic import generate

    home = tmp_path_factory.mktemp("scheduler-home")
    with temporary_environ({"GOVLAKE_HOME": str(home), "GOVLAKE_LAKE_ROOT": str(home / "lake")},
                           remove=("AIRFLOW_HOME",)):
        generate(Lake.from_settings(), rows=200, datasets=[DATASET])
        port = free_port()
        env = airflow_environ()
        env.update({"AIRFLOW__API__PORT": str(port), "AIRFLOW__API__HOST": "127.0.0.1",
                    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
                    "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                    "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                    "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
                    "GOVLAKE_LANDING_POLL_SECONDS": "3",
                    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5"})
        airflow_home = Path(env["AIRFLOW_HOME"])
        airflow_home.mkdir(parents=True, exist_ok=True)
        log = open(home / "standalone.log", "wb")  # noqa: SIM115 - lives as long as the process
        proc = subprocess.Popen([str(Path(sys.executable).parent / "airflow"), "standalone"], env=env, cwd=airflow_home,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            passwords = airflow_home / "simple_auth_manager_passwords.json.generated"
            deadline = time.monotonic() + 300
            tokens: dict[str, str] = {}
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    if passwords.exists():
                        # admin triggers runs; the privacy officers answer approvals (airflow_env's users)
                        tokens = {user: _call(base, "POST", "/auth/token", body={"username": user, "password": pw})[
                            "access_token"] for user, pw in json.loads(passwords.read_text()).items()}
                        _call(base, "GET", "/api/v2/dags/govlake__tax_filings", tokens["admin"])
                        break
                except Exception:
                    tokens = {}
                time.sleep(2)
            assert tokens, (home / "standalone.log").read_text()[-3000:]
            yield {"base": base, "token": tokens["admin"], "tokens": tokens, "home": home, "log": home / "standalone.log"}
        finally:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
            log.close()


def _answer_approvals(scheduler, dag_id: str) -> list[dict]:
    """What a privacy officer does in Required Actions: approve every release of ``dag_id`` that waits.
    The admin who triggered the runs is not a respondent: Airflow refuses them (403)."""
    base, tokens = scheduler["base"], scheduler["tokens"]
    waiting = _call(base, "GET", f"/api/v2/dags/{dag_id}/dagRuns/~/hitlDetails?response_received=false",
                    tokens["admin"])["hitl_details"]
    seen, answered = scheduler.setdefault("seen", {}), []
    for detail in waiting:
        ti = detail["task_instance"]
        # A person reads the request first: an answer before the scheduler has taken in that the
        # task parked races it (see entrypoints.airflow_hitl.SETTLE_SECONDS).
        if time.monotonic() - seen.setdefault(ti["id"], time.monotonic()) < SETTLE_SECONDS:
            continue
        path = (f"/api/v2/dags/{dag_id}/dagRuns/{ti['dag_run_id']}/taskInstances/{ti['task_id']}/"
                f"{ti['map_index']}/hitlDetails")
        answer = {"chosen_options": ["Approve"], "params_input": {}}
        with pytest.raises(urllib.error.HTTPError) as refused:
            _call(base, "PATCH", path, tokens["admin"], answer)
        assert refused.value.code == 403
        assert {u["name"] for u in detail["assigned_users"]} == {"privacy_officer", "privacy_officer_gd"}
        assert "first release of the dataset" in detail["body"] and "risk evaluation" in detail["body"]
        _call(base, "PATCH", path, tokens["privacy_officer"], answer)
        answered.append(detail)
    return answered


def _wait_for(scheduler, dag_id: str, run: dict) -> dict:
    base, token = scheduler["base"], scheduler["token"]
    deadline = time.monotonic() + 900
    state = run["state"]
    while state not in ("success", "failed") and time.monotonic() < deadline:
        time.sleep(5)
        scheduler.setdefault("answered", []).extend(_answer_approvals(scheduler, dag_id))
        state = _call(base, "GET", f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}", token)["state"]
    tasks = _call(base, "GET", f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances", token)
    summary = {t["task_id"] + (f"[{t['map_index']}]" if t["map_index"] >= 0 else ""): t["state"]
               for t in tasks["task_instances"]}
    assert state == "success", (summary, scheduler["log"].read_text()[-3000:])
    assert {"ingest", "policy_sync", "publish", "outcome"} <= set(summary)
    assert all(s in ("success", "skipped") for s in summary.values()), summary
    return summary


def test_a_rest_trigger_without_a_logical_date_runs_to_success(scheduler):
    base, token = scheduler["base"], scheduler["token"]
    dag_id = f"govlake__{DATASET}"
    _call(base, "PATCH", f"/api/v2/dags/{dag_id}", token, {"is_paused": False})
    run = _call(base, "POST", f"/api/v2/dags/{dag_id}/dagRuns", token, {"logical_date": None})
    assert run.get("logical_date") is None
    _wait_for(scheduler, dag_id, run)

    from govlake.records import iter_approvals, read_catalog_entry
    from govlake.storage import Lake

    with temporary_environ({"GOVLAKE_HOME": str(scheduler["home"]),
                            "GOVLAKE_LAKE_ROOT": str(scheduler["home"] / "lake")}):
        entry = read_catalog_entry(Lake.from_settings(), DATASET)
        records = iter_approvals(Lake.from_settings(), DATASET)
    assert entry is not None and entry.row_count > 0
    # The first release waited in Required Actions until a privacy officer approved it there.
    assert len(scheduler["answered"]) == 1, scheduler["answered"]
    assert [(r.status, r.decided_by, r.channel) for r in records] == [("approved", "privacy_officer", "airflow")]


def test_a_complete_delivery_starts_a_run_by_itself(scheduler):
    """The landing watcher: a new delivery (file, then manifest and signature) starts one run."""
    from govlake.records import read_catalog_entry
    from govlake.storage import Lake
    from govlake.synthetic import generate

    base, token = scheduler["base"], scheduler["token"]
    dag_id = f"govlake__{DATASET}"
    lake_env = {"GOVLAKE_HOME": str(scheduler["home"]), "GOVLAKE_LAKE_ROOT": str(scheduler["home"] / "lake")}
    _call(base, "PATCH", f"/api/v2/dags/{dag_id}", token, {"is_paused": False})

    def runs() -> dict[str, dict]:
        found = _call(base, "GET", f"/api/v2/dags/{dag_id}/dagRuns?run_type=asset_triggered", token)["dag_runs"]
        return {r["dag_run_id"]: r for r in found}

    deadline = time.monotonic() + 600
    while any(r["state"] not in ("success", "failed") for r in runs().values()) and time.monotonic() < deadline:
        time.sleep(3)  # the first delivery may have started a run of its own when the DAG was unpaused
    before = runs()
    with temporary_environ(lake_env):
        generate(Lake.from_settings(), rows=150, seed=7, datasets=[DATASET], drop_date="2026-11-22")
    deadline = time.monotonic() + 300
    new: list = []
    while not new and time.monotonic() < deadline:
        time.sleep(3)
        new = [r for k, r in runs().items() if k not in before]
    assert new, ("no run was started by the delivery", scheduler["log"].read_text()[-3000:])
    _wait_for(scheduler, dag_id, new[0])
    time.sleep(10)
    assert len(set(runs()) - set(before)) == 1, "the watcher announces a delivery once"
    with temporary_environ(lake_env):
        entry = read_catalog_entry(Lake.from_settings(), DATASET)
    assert any("20261122" in str(b) for b in entry.source_batches), entry.source_batches
