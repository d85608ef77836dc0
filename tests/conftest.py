"""Shared fixtures: a throwaway GOVLAKE_HOME, one Spark session, a fresh local lake per test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TEST_KEY = "test-only-pseudonym-key-3f9a1c7e5b2d"


@pytest.fixture(scope="session", autouse=True)
def govlake_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("govlake-home")
    os.environ["GOVLAKE_HOME"] = str(home)
    os.environ["GOVLAKE_LAKE_ROOT"] = str(home / "lake")
    os.environ["GOVLAKE_PSEUDONYM_KEY"] = TEST_KEY
    os.environ["GOVLAKE_PSEUDONYM_KEY_VERSION"] = "1"
    os.environ.setdefault("GOVLAKE_SPARK_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
    os.environ["GOVLAKE_SPARK_DRIVER_MEMORY"] = "2g"
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    os.environ["GOVLAKE_LOCK_WAIT"] = "60"
    # Checksum headers newer AWS SDKs add by default are not understood by every S3 server.
    os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "WHEN_REQUIRED")
    os.environ.setdefault("AWS_RESPONSE_CHECKSUM_VALIDATION", "WHEN_REQUIRED")
    from govlake.signing import RELEASE_KEY_ENV, ensure_private_key

    ensure_private_key(home / "secrets" / "release-signing.pem")
    os.environ[RELEASE_KEY_ENV] = str(home / "secrets" / "release-signing.pem")
    # Airflow imported by the tests must not touch ~/airflow.
    os.environ["AIRFLOW_HOME"] = str(home / "airflow")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
    for var in ("GOVLAKE_S3_ENDPOINT", "GOVLAKE_CONTRACTS_DIR", "GOVLAKE_EXPECTATIONS_DIR", "GOVLAKE_KEYS_DIR",
                "GOVLAKE_FAILPOINTS"):
        os.environ.pop(var, None)
    return home


@pytest.fixture
def lake(tmp_path, monkeypatch):
    """A fresh, empty local lake for one test."""
    from govlake.storage import Lake

    monkeypatch.setenv("GOVLAKE_LAKE_ROOT", str(tmp_path / "lake"))
    return Lake.from_settings()


@pytest.fixture(scope="session", autouse=True)
def spark_engine(govlake_home):
    """One shared Spark engine for the whole run, as in production: a Spark Connect server that
    this process and every pipeline the tests start in a subprocess (CLI, Airflow) attach to."""
    from govlake import spark_server

    os.environ.pop(spark_server.REMOTE_ENV, None)
    os.environ[spark_server.PORT_ENV] = str(free_port())
    record = spark_server.start()
    # Pipelines the tests start with a GOVLAKE_HOME of their own attach to it too (S3 ones opt out:
    # they need an engine with S3A settings for their server).
    os.environ[spark_server.REMOTE_ENV] = record.url
    yield record
    spark_server.stop()


@pytest.fixture(scope="session")
def spark(spark_engine):
    from govlake.spark import get_spark, stop_spark

    session = get_spark()
    yield session
    stop_spark()


@pytest.fixture(scope="session")
def contracts():
    from govlake.contracts import load_contracts

    return load_contracts()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def rgw(tmp_path_factory):
    """A real RADOS Gateway for this test session (its own folder and ports), that enforces users
    and bucket policies. Started once; stopped at the end."""
    import json
    import shutil

    if shutil.which("radosgw") is None:
        pytest.skip("Ceph's radosgw is not installed: `make s3-packages` (make test runs it)")
    folder = tmp_path_factory.mktemp("rgw")
    env = {**os.environ, "GOVLAKE_RGW_DIR": str(folder), "GOVLAKE_RGW_PORT": str(free_port()),
           "GOVLAKE_RGW_MON_PORT": str(free_port()), "GOVLAKE_RGW_OSD_PORTS": "41000-41300"}
    script = str(REPO / "infra" / "rgw.sh")
    started = subprocess.run([script, "up"], env=env, capture_output=True, text=True, timeout=300)
    assert started.returncode == 0, started.stderr
    admin = json.loads((folder / "admin.json").read_text())
    yield {**admin, "dir": folder, "env": env}
    subprocess.run([script, "down"], env=env, capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3-API server process on loopback (moto's server), with one bucket.

    It is for the store's faults (stopping it mid-run); moto does not enforce users, so the lake's
    access runs as GOVLAKE_S3_ACCESS=external here, and enforcement is tested on the RADOS Gateway.
    """
    import boto3

    port = free_port()
    log = open(tmp_path_factory.mktemp("s3") / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    creds = {"aws_access_key_id": "govlake-test", "aws_secret_access_key": "govlake-test-secret"}
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **creds)
    for _ in range(100):
        try:
            client.list_buckets()
            break
        except Exception:
            time.sleep(0.1)
    client.create_bucket(Bucket="govlake-test")
    yield {"endpoint": endpoint, "bucket": "govlake-test", "client": client, "process": proc,
           "env": {"AWS_ACCESS_KEY_ID": creds["aws_access_key_id"],
                   "AWS_SECRET_ACCESS_KEY": creds["aws_secret_access_key"],
                   "AWS_DEFAULT_REGION": "us-east-1", "GOVLAKE_S3_ENDPOINT": endpoint,
                   "GOVLAKE_S3_ACCESS": "external"}}
    proc.terminate()
    proc.wait(timeout=10)
