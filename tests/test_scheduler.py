"""A DAG under the real scheduler, triggered the way a data engineer does it: through the REST API
(what the UI's "Trigger" button calls) with no logical date.

`airflow standalone` (scheduler, dag-processor, triggerer and API server, LocalExecutor) runs on
loopback with its own AIRFLOW_HOME; the test unpauses one dataset's DAG, triggers it, and waits for
every task to succeed.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

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
            token = None
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    if passwords.exists():
                        user, password = next(iter(json.loads(passwords.read_text()).items()))
                        token = _call(base, "POST", "/auth/token", body={"username": user, "password": password})[
                            "access_token"]
                        _call(base, "GET", "/api/v2/dags/govlake__tax_filings", token)
                        break
                except Exception:
                    pass
                time.sleep(2)
            assert token, (home / "standalone.log").read_text()[-3000:]
            yield {"base": base, "token": token, "home": home, "log": home / "standalone.log"}
        finally:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
            log.close()


def test_a_rest_trigger_without_a_logical_date_runs_to_success(scheduler):
    base, token = scheduler["base"], scheduler["token"]
    dag_id = f"govlake__{DATASET}"
    _call(base, "PATCH", f"/api/v2/dags/{dag_id}", token, {"is_paused": False})
    run = _call(base, "POST", f"/api/v2/dags/{dag_id}/dagRuns", token, {"logical_date": None})
    assert run.get("logical_date") is None
    deadline = time.monotonic() + 900
    state = run["state"]
    while state not in ("success", "failed") and time.monotonic() < deadline:
        time.sleep(5)
        state = _call(base, "GET", f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}", token)["state"]
    tasks = _call(base, "GET", f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances", token)
    summary = {t["task_id"] + (f"[{t['map_index']}]" if t["map_index"] >= 0 else ""): t["state"]
               for t in tasks["task_instances"]}
    assert state == "success", (summary, scheduler["log"].read_text()[-3000:])
    assert {"ingest", "policy_sync", "publish", "outcome"} <= set(summary)
    assert all(s in ("success", "skipped") for s in summary.values()), summary

    from govlake.records import read_catalog_entry
    from govlake.storage import Lake

    with temporary_environ({"GOVLAKE_HOME": str(scheduler["home"]),
                            "GOVLAKE_LAKE_ROOT": str(scheduler["home"] / "lake")}):
        entry = read_catalog_entry(Lake.from_settings(), DATASET)
    assert entry is not None and entry.row_count > 0
