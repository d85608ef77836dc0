"""Ingest: encodings, header drift, bad rows quarantined with file/line/column, reruns replace."""

import pytest

from govlake.synthetic import generate
from jobs.common import PipelineError
from jobs.ingest import ingest


def test_messy_extracts_are_typed_and_bad_rows_quarantined(lake, spark, contracts):
    generate(lake, rows=30, datasets=["social_insured"])
    ref = ingest(contracts["social_insured"], lake, spark, ingest_date="2026-11-21")
    m = lake.read_json(ref.manifest)
    assert m["rows_landed"] == 30 and m["rows_ingested"] == 28 and m["rows_quarantined_ingest"] == 2
    reasons = m["quarantine_reasons"]
    assert reasons == [
        "landing/social_insured/social_insured_20261121.csv: line 5: column birth_date: not a valid date",
        "landing/social_insured/social_insured_20261121.csv: line 9: expected 10 fields, found 8",
    ]
    raw = spark.read.parquet(lake.spark_uri(m["raw_path"]))
    types = dict(raw.dtypes)
    assert types["birth_date"] == "date" and types["contribution_base"] == "decimal(12,2)"
    assert {"_batch_id", "_source_file", "_source_row", "_ingest_time"} <= set(types)
    # Nothing is lost: every landed row is either in raw or in quarantine, and the raw line is kept.
    bad = spark.read.parquet(lake.spark_uri(m["quarantine_paths"][0])).collect()
    assert sorted(r["_source_row"] for r in bad) == [5, 9]
    assert all(r["_raw"] for r in bad)
    assert raw.count() + len(bad) == m["rows_landed"]


def test_reasons_never_hold_the_value(lake, spark, contracts):
    generate(lake, rows=30, datasets=["social_insured"])
    m = lake.read_json(ingest(contracts["social_insured"], lake, spark).manifest)
    assert not any("1990-13-45" in r for r in m["quarantine_reasons"])


def test_bom_and_chinese_headers_map_to_contract_columns(lake, spark, contracts):
    generate(lake, rows=20, datasets=["tax_filings"])
    assert lake.read_bytes("landing/tax_filings/tax_filings_20261121.csv").startswith(b"\xef\xbb\xbf")
    m = lake.read_json(ingest(contracts["tax_filings"], lake, spark).manifest)
    assert m["files"][0]["extra_columns"] == ["备注"]  # schema drift is recorded
    assert m["rows_quarantined_ingest"] == 1  # "一百万" is not a number
    df = spark.read.parquet(lake.spark_uri(m["raw_path"]))
    assert df.where("credit_code is null").count() == 0


def test_gb18030_and_jsonl_extracts(lake, spark, contracts):
    generate(lake, rows=20, datasets=["business_registry", "hotline_tickets"])
    reg = lake.read_json(ingest(contracts["business_registry"], lake, spark).manifest)
    assert reg["rows_quarantined_ingest"] == 0
    names = [r[0] for r in spark.read.parquet(lake.spark_uri(reg["raw_path"])).select("company_name").collect()]
    assert all("有限公司" in n or "公司" in n for n in names)
    hot = lake.read_json(ingest(contracts["hotline_tickets"], lake, spark).manifest)
    assert hot["quarantine_reasons"] == ["landing/hotline_tickets/hotline_tickets_20261121.jsonl: line 5: not a valid JSON object"]
    ts = spark.read.parquet(lake.spark_uri(hot["raw_path"])).select("created_at").first()[0]
    assert ts.year == 2026 and dict(spark.read.parquet(lake.spark_uri(hot["raw_path"])).dtypes)["created_at"] == "timestamp_ntz"


def test_rerun_replaces_the_batch(lake, spark, contracts):
    generate(lake, rows=20, datasets=["social_insured"])
    c = contracts["social_insured"]
    first = ingest(c, lake, spark, ingest_date="2026-11-20")
    second = ingest(c, lake, spark, ingest_date="2026-11-21")
    assert first.batch_id == second.batch_id
    assert [d for d in lake.list_dirs("raw/social_insured") if "ingest_date" in d] == [
        "raw/social_insured/ingest_date=2026-11-21"]
    df = spark.read.parquet(lake.spark_uri("raw/social_insured"))
    assert df.count() == lake.read_json(second.manifest)["rows_ingested"]


def test_missing_required_column_names_file_and_column(lake, spark, contracts):
    lake.write_bytes("landing/social_insured/broken.csv", "姓名,性别\n张三,男\n".encode("gbk"))
    with pytest.raises(PipelineError, match=r"broken.csv: line 1: header lacks required column\(s\) resident_id"):
        ingest(contracts["social_insured"], lake, spark)
    assert lake.exists("landing/social_insured/broken.csv")  # the raw extract is kept
    assert not lake.list_files("raw/social_insured")


def test_undecodable_line_is_quarantined(lake, spark, contracts):
    good = "公民身份号码,姓名,性别,出生日期,参保区县,户籍地址,单位统一社会信用代码,缴费基数,手机号码,参保日期\n".encode("gbk")
    row = "11010519491231002X,张三,男,1949-12-31,福田区,广东省深圳市福田区,91110000802100433B,5000,13812345678,2000-01-01\n"
    data = good + row.encode("gbk") + b"\xff\xfe\xfd,bad\n"
    lake.write_bytes("landing/social_insured/bytes.csv", data)
    m = lake.read_json(ingest(contracts["social_insured"], lake, spark).manifest)
    assert m["rows_ingested"] == 1
    assert m["quarantine_reasons"] == ["landing/social_insured/bytes.csv: line 3: not valid gbk text"]


def test_no_extract_is_a_clear_error(lake, spark, contracts):
    with pytest.raises(PipelineError, match="no extract matching"):
        ingest(contracts["tax_filings"], lake, spark)
