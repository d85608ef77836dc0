"""The lake on a local folder and on a real S3-API server on loopback."""

import json
import threading

import pytest

from govlake.storage import Lake


def exercise(lake: Lake):
    lake.write_json("catalog/x.json", {"v": 1, "名称": "测试"})
    assert lake.read_json("catalog/x.json") == {"v": 1, "名称": "测试"}
    lake.write_bytes("landing/ds/a.csv", b"a\n")
    lake.write_bytes("landing/ds/sub/b.csv", b"b\n")
    lake.write_bytes("landing/ds/_ignored.csv", b"c\n")
    assert [f.path for f in lake.list_files("landing/ds", "*.csv")] == ["landing/ds/a.csv", "landing/ds/sub/b.csv"]
    assert lake.exists("landing/ds/a.csv") and not lake.exists("landing/ds/zzz.csv")
    lake.delete_dir("landing/ds/sub")
    assert [f.path for f in lake.list_files("landing/ds")] == ["landing/ds/a.csv"]
    assert lake.list_files("nowhere") == []


def test_local_lake(lake):
    exercise(lake)
    assert lake.spark_uri("raw/x") == lake.root + "/raw/x"
    assert lake.rel(lake.uri("reports/x/y.json")) == "reports/x/y.json"
    with pytest.raises(ValueError, match="is not in the lake"):
        lake.rel("/elsewhere/reports/x.json")


def test_local_writes_are_atomic(lake):
    """A reader polling a pointer while it is rewritten sees whole documents only."""
    lake.write_json("curated/ds/_current.json", {"version": 0, "pad": "x" * 100_000})
    seen, stop = [], threading.Event()

    def reader():
        while not stop.is_set():
            seen.append(json.loads(lake.read_bytes("curated/ds/_current.json"))["version"])

    t = threading.Thread(target=reader)
    t.start()
    for v in range(1, 200):
        lake.write_json("curated/ds/_current.json", {"version": v, "pad": "x" * 100_000})
    stop.set()
    t.join()
    assert seen and seen == sorted(seen)


@pytest.mark.s3
def test_s3_lake(s3_server, monkeypatch):
    for k, v in s3_server["env"].items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("GOVLAKE_LAKE_ROOT", f"s3://{s3_server['bucket']}/lake-unit")
    lake = Lake.from_settings()
    assert lake.is_s3 and lake.spark_uri("raw/x") == f"s3a://{s3_server['bucket']}/lake-unit/raw/x"
    exercise(lake)
    keys = [o["Key"] for o in s3_server["client"].list_objects_v2(Bucket=s3_server["bucket"])["Contents"]]
    assert "lake-unit/catalog/x.json" in keys
