"""The same jobs, unchanged, on a Spark standalone cluster: a master and two workers on loopback,
started with pyspark's own launcher (bin/spark-class), and a pipeline run with only
GOVLAKE_SPARK_MASTER pointing at it (no shared Connect server: the driver runs in the CLI)."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from govlake.config import REPO_ROOT
from tests.approvals import cli_run_approved
from tests.conftest import free_port
from tests.environment import temporary_environ

pytestmark = pytest.mark.e2e
DATASET = "tax_filings"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    import pyspark

    folder = tmp_path_factory.mktemp("spark-cluster")
    spark_class = str(Path(pyspark.__file__).parent / "bin" / "spark-class")
    env = {**os.environ, "SPARK_HOME": str(Path(pyspark.__file__).parent), "SPARK_LOCAL_IP": "127.0.0.1",
           "PYSPARK_PYTHON": sys.executable, "PYTHONPATH": str(REPO_ROOT), "SPARK_NO_DAEMONIZE": "1",
           "SPARK_WORKER_DIR": str(folder / "work")}
    port, ui = free_port(), free_port()
    master_url = f"spark://127.0.0.1:{port}"
    procs = []

    def launch(name, *args):
        log = open(folder / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
        procs.append((subprocess.Popen([spark_class, *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True), log))

    launch("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
           "--webui-port", str(ui))
    for i in (1, 2):
        launch(f"worker{i}", "org.apache.spark.deploy.worker.Worker", master_url, "--host", "127.0.0.1",
               "--cores", "1", "--memory", "1536m", "--webui-port", str(free_port()))
    try:
        deadline = time.monotonic() + 120
        alive = 0
        while time.monotonic() < deadline and alive < 2:
            time.sleep(2)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=5) as r:
                    alive = sum(1 for w in json.loads(r.read())["workers"] if w["state"] == "ALIVE")
            except OSError:
                pass
        assert alive == 2, (folder / "master.log").read_text()[-2000:]
        yield {"url": master_url, "ui": ui, "folder": folder}
    finally:
        for proc, _log in procs:
            os.killpg(proc.pid, 15)
        for proc, log in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
            log.close()


def test_a_pipeline_runs_unchanged_on_a_standalone_cluster(cluster, tmp_path):
    from govlake.records import read_catalog_entry
    from govlake.storage import Lake
    from govlake.synthetic import generate

    lake_env = {"GOVLAKE_HOME": str(tmp_path), "GOVLAKE_LAKE_ROOT": str(tmp_path / "lake")}
    with temporary_environ(lake_env):
        generate(Lake.from_settings(), rows=300, datasets=[DATASET])
    env = {**os.environ, **lake_env, "GOVLAKE_SPARK_MASTER": cluster["url"], "GOVLAKE_SPARK_REMOTE": "local",
           "GOVLAKE_SPARK_DRIVER_MEMORY": "1g"}
    run = cli_run_approved([sys.executable, "-m", "entrypoints.cli"], [DATASET], env=env, cwd=REPO_ROOT, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"started a local Spark engine ({cluster['url']})" in run.stderr
    with urllib.request.urlopen(f"http://127.0.0.1:{cluster['ui']}/json/", timeout=5) as r:
        state = json.loads(r.read())
    apps = state.get("completedapps", []) + state.get("activeapps", [])
    assert any(a["name"] == "govlake" for a in apps), apps  # the work ran on the cluster's executors
    with temporary_environ(lake_env):
        entry = read_catalog_entry(Lake.from_settings(), DATASET)
    assert entry is not None and entry.row_count > 0
