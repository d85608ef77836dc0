"""Ingest: encodings, header drift, bad rows quarantined with file/line/column, each delivery once."""

from govlake.records import Status, load_ledger, load_manifest
from govlake.synthetic import deliver, generate
from jobs.ingest import ingest

SOCIAL_HEADER = "公民身份号码,姓名,性别,出生日期,参保区县,户籍地址,单位统一社会信用代码,缴费基数,手机号码,参保日期\n"
SOCIAL_ROW = "11010519491231002X,张三,男,1949-12-31,福田区,广东省深圳市福田区,91110000802100433B,5000,13812345678,2000-01-01\n"


def only_batch(lake, result):
    assert len(result.batches) == 1, result
    return load_manifest(lake, result.batches[0])


def test_messy_extracts_are_typed_and_bad_rows_quarantined(lake, spark, contracts):
    generate(lake, rows=30, datasets=["social_insured"])
    m = only_batch(lake, ingest(contracts["social_insured"], lake, spark))
    assert m.status == Status.INGESTED and m.delivery.signed and m.mode == "snapshot"
    assert m.rows_landed == 30 and m.rows_ingested == 28 and m.rows_quarantined_ingest == 2
    assert m.quarantine_reasons == [
        "landing/social_insured/social_insured_20261121.csv: line 5: column birth_date: not a valid date",
        "landing/social_insured/social_insured_20261121.csv: line 9: 8 fields where the header has 10 "
        "(no value for mobile, insured_since)",
    ]
    raw = spark.read.parquet(lake.spark_uri(m.raw_path))
    types = dict(raw.dtypes)
    assert types["birth_date"] == "date" and types["contribution_base"] == "decimal(12,2)"
    assert {"_batch_id", "_source_file", "_source_row", "_ingest_time"} <= set(types)
    # Nothing is lost: every landed row is either in raw or in quarantine, and the raw line is kept.
    bad = spark.read.parquet(lake.spark_uri(m.quarantine_paths[0])).collect()
    assert sorted(r["_source_row"] for r in bad) == [5, 9]
    assert all(r["_raw"] for r in bad)
    assert raw.count() + len(bad) == m.rows_landed
    assert m.files[0].encoding == "gbk" and m.files[0].rows == 30
    assert [h.status for h in m.history] == [Status.DELIVERED, Status.INGESTED]


def test_reasons_never_hold_the_value(lake, spark, contracts):
    generate(lake, rows=30, datasets=["social_insured"])
    m = only_batch(lake, ingest(contracts["social_insured"], lake, spark))
    assert not any("1990-13-45" in r for r in m.quarantine_reasons)


def test_bom_and_chinese_headers_map_to_contract_columns(lake, spark, contracts):
    generate(lake, rows=20, datasets=["tax_filings"])
    assert lake.read_bytes("landing/tax_filings/tax_filings_20261121.csv").startswith(b"\xef\xbb\xbf")
    m = only_batch(lake, ingest(contracts["tax_filings"], lake, spark))
    assert m.files[0].extra_columns == ["column 9 (备注)"]  # schema drift is recorded
    assert m.rows_quarantined_ingest == 1  # "一百万" is not a number
    df = spark.read.parquet(lake.spark_uri(m.raw_path))
    assert df.where("credit_code is null").count() == 0


def test_gb18030_and_jsonl_extracts(lake, spark, contracts):
    generate(lake, rows=20, datasets=["business_registry", "hotline_tickets"])
    reg = only_batch(lake, ingest(contracts["business_registry"], lake, spark))
    assert reg.rows_quarantined_ingest == 0
    names = [r[0] for r in spark.read.parquet(lake.spark_uri(reg.raw_path)).select("company_name").collect()]
    assert all("公司" in n for n in names)
    hot = only_batch(lake, ingest(contracts["hotline_tickets"], lake, spark))
    assert len(hot.quarantine_reasons) == 1
    assert hot.quarantine_reasons[0].startswith(
        "landing/hotline_tickets/hotline_tickets_20261121.jsonl: line 5: not valid JSON: Unterminated string")
    df = spark.read.parquet(lake.spark_uri(hot.raw_path))
    assert df.select("created_at").first()[0].year == 2026 and dict(df.dtypes)["created_at"] == "timestamp_ntz"


def test_a_delivery_is_ingested_once(lake, spark, contracts):
    generate(lake, rows=20, datasets=["social_insured"])
    c = contracts["social_insured"]
    first = ingest(c, lake, spark)
    again = ingest(c, lake, spark)
    assert again.batches == first.batches  # still waiting for validation, not ingested a second time
    assert all(line.split(": ")[1] == "ingested earlier" for line in again.landing)
    assert len(load_ledger(lake, "social_insured").entries) == 1
    assert [d for d in lake.list_dirs("raw/social_insured") if "ingest_date" in d] == [
        f"raw/social_insured/ingest_date={only_batch(lake, first).ingest_date}"]


def test_missing_required_column_refuses_the_delivery(lake, spark, contracts):
    c = contracts["social_insured"]
    deliver(lake, c, "broken.csv", "姓名,性别\n张三,男\n".encode("gbk"))
    result = ingest(c, lake, spark)
    assert result.batches == [] and len(result.refused) == 1
    assert "broken.csv: line 1: the header lacks required column(s) resident_id (公民身份号码)" in result.refused[0]
    assert "张三" not in result.refused[0]
    assert lake.exists("landing/social_insured/broken.csv")  # the delivered file is kept
    assert not lake.list_files("raw/social_insured", "*.parquet")
    # Not refused again on every run: only when the contract, the keys or the files change.
    assert ingest(c, lake, spark).refused == []


def test_undecodable_line_is_quarantined_naming_the_column(lake, spark, contracts):
    data = SOCIAL_HEADER.encode("gbk") + SOCIAL_ROW.encode("gbk") + SOCIAL_ROW.replace("张三", "XX").encode(
        "gbk").replace(b"XX", b"\xff\xfe")
    deliver(lake, contracts["social_insured"], "bytes.csv", data)
    m = only_batch(lake, ingest(contracts["social_insured"], lake, spark))
    assert m.rows_ingested == 1
    assert m.quarantine_reasons == ["landing/social_insured/bytes.csv: line 3: column name: not valid gbk text"]


def test_nothing_delivered_is_not_an_error(lake, spark, contracts):
    result = ingest(contracts["tax_filings"], lake, spark)
    assert result.batches == [] and result.refused == [] and result.summary == "empty"
