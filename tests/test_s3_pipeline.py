"""The same pipeline with the lake on a real S3-API server on loopback, swapped by configuration only,
and what happens when that server stops answering in the middle of a run."""

import json
import os
import signal
import subprocess
import sys
import time

import pyarrow.fs as pafs
import pytest

from govlake.config import REPO_ROOT
from govlake.spark import s3a_jars

pytestmark = pytest.mark.s3


@pytest.mark.skipif(not s3a_jars(), reason="S3A jars missing: `make s3-jars` (make test runs it)")
def test_pipeline_on_s3_survives_the_store_stopping_mid_publish(s3_server, tmp_path):
    env = {**os.environ, **s3_server["env"],
           "GOVLAKE_LAKE_ROOT": f"s3://{s3_server['bucket']}/lake-e2e", "GOVLAKE_HOME": str(tmp_path),
           "GOVLAKE_SPARK_REMOTE": "local",  # its engine needs S3A settings for this server
           # bounded retries, so a stopped store fails the run in seconds, not minutes
           "GOVLAKE_S3_ATTEMPTS": "2", "GOVLAKE_S3_TIMEOUT": "3", "GOVLAKE_LOCK_WAIT": "30"}
    govlake = [sys.executable, "-m", "entrypoints.cli"]
    gen = subprocess.run([*govlake, "generate", "--rows", "200", "--dataset", "tax_filings"], env=env,
                         cwd=REPO_ROOT, capture_output=True, text=True)
    assert gen.returncode == 0, gen.stderr
    fs = pafs.S3FileSystem(endpoint_override=s3_server["endpoint"].split("//")[1], scheme="http",
                           access_key=env["AWS_ACCESS_KEY_ID"], secret_key=env["AWS_SECRET_ACCESS_KEY"],
                           region="us-east-1")
    # what makes a version visible: its catalog entry and its signed release manifest
    visible = [f"{s3_server['bucket']}/lake-e2e/catalog/tax_filings.json",
               f"{s3_server['bucket']}/lake-e2e/curated/tax_filings/releases/1.json"]

    # 0. The first release waits for a privacy officer, who approves it on the command line.
    waiting = subprocess.run([*govlake, "run", "tax_filings"], env=env, cwd=REPO_ROOT, capture_output=True, text=True,
                             timeout=600)
    assert waiting.returncode == 3 and "waiting: tax_filings: release v1" in waiting.stderr, waiting.stderr[-3000:]
    assert all(info.type == pafs.FileType.NotFound for info in fs.get_file_info(visible)), "nothing published yet"
    approved = subprocess.run([*govlake, "approve", "tax_filings", "--as", "privacy_officer"], env=env, cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=120)
    assert approved.returncode == 0, approved.stdout + approved.stderr

    # 1. The store stops answering right after the curated data is written, before the release is signed.
    pause = tmp_path / "pause"
    first = subprocess.Popen([*govlake, "run", "tax_filings"], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             env={**env, "GOVLAKE_FAILPOINTS": f"publish.data_written=pause:{pause}"})
    reached = pause.with_name("pause.reached")
    deadline = time.monotonic() + 400
    while not reached.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert reached.exists(), first.communicate()[1][-3000:]
    s3_server["process"].send_signal(signal.SIGSTOP)
    try:
        stopped = time.monotonic()
        pause.with_name("pause.release").write_text("go")
        _, err = first.communicate(timeout=240)
        waited = time.monotonic() - stopped
    finally:
        s3_server["process"].send_signal(signal.SIGCONT)
    assert first.returncode == 1, err[-3000:]
    assert "error: " in err and "s3://govlake-test/lake-e2e/curated/tax_filings/" in err
    assert "the object store did not answer" in err and "Traceback" not in err
    assert waited < 120, f"bounded retries, then a clear failure (took {waited:.0f}s)"
    assert all(info.type == pafs.FileType.NotFound for info in fs.get_file_info(visible)), "nothing half-published"

    # 2. With the store back, the next run finishes the work.
    run = subprocess.run([*govlake, "run", "tax_filings"], env=env, cwd=REPO_ROOT, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    with fs.open_input_stream(f"{s3_server['bucket']}/lake-e2e/catalog/tax_filings.json") as f:
        entry = json.loads(f.read())
    assert entry["metadata"].startswith(f"s3://{s3_server['bucket']}/lake-e2e/curated/tax_filings/metadata/")
    from pyiceberg.table import StaticTable  # read the current version with nothing of govlake's

    table = StaticTable.from_metadata(entry["metadata"], {
        "s3.endpoint": s3_server["endpoint"], "s3.access-key-id": env["AWS_ACCESS_KEY_ID"],
        "s3.secret-access-key": env["AWS_SECRET_ACCESS_KEY"], "s3.region": "us-east-1"}).scan().to_arrow()
    assert table.num_rows == entry["row_count"] == 119  # 40 companies x 3 quarters, 1 bad row
    assert all(v.startswith("pk1_") for v in table.column("credit_code").to_pylist())
    verify = subprocess.run([*govlake, "verify-release", "tax_filings"], env=env, cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0 and "OK: every file matches" in verify.stdout, verify.stdout + verify.stderr
