"""The same pipeline with the lake on a real S3-API server on loopback, swapped by configuration only."""

import os
import subprocess
import sys

import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pytest

from govlake.config import REPO_ROOT
from govlake.spark import s3a_jars

pytestmark = pytest.mark.s3


@pytest.mark.skipif(not s3a_jars(), reason="S3A jars missing: `make s3-jars` (make test runs it)")
def test_pipeline_on_s3(s3_server, tmp_path):
    env = {**os.environ, **s3_server["env"],
           "GOVLAKE_LAKE_ROOT": f"s3://{s3_server['bucket']}/lake-e2e", "GOVLAKE_HOME": str(tmp_path)}
    govlake = [sys.executable, "-m", "entrypoints.cli"]
    gen = subprocess.run([*govlake, "generate", "--rows", "200", "--dataset", "tax_filings"], env=env,
                         cwd=REPO_ROOT, capture_output=True, text=True)
    assert gen.returncode == 0, gen.stderr
    run = subprocess.run([*govlake, "run", "tax_filings"], env=env, cwd=REPO_ROOT, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    fs = pafs.S3FileSystem(endpoint_override=s3_server["endpoint"].split("//")[1], scheme="http",
                           access_key=env["AWS_ACCESS_KEY_ID"], secret_key=env["AWS_SECRET_ACCESS_KEY"],
                           region="us-east-1")
    import json

    with fs.open_input_stream(f"{s3_server['bucket']}/lake-e2e/catalog/tax_filings.json") as f:
        entry = json.loads(f.read())
    assert entry["path"].startswith(f"s3://{s3_server['bucket']}/lake-e2e/curated/tax_filings/version=")
    table = pads.dataset(entry["path"][len("s3://"):], filesystem=fs, format="parquet").to_table()
    assert table.num_rows == entry["row_count"] == 119  # 40 companies x 3 quarters, 1 bad row
    verify = subprocess.run([*govlake, "verify-release", "tax_filings"], env=env, cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0 and "OK: every file matches" in verify.stdout, verify.stdout + verify.stderr
    assert all(v.startswith("pk1_") for v in table.column("credit_code").to_pylist())
