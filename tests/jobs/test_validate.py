"""Validate: GX suites on Spark; row quarantine; critical failures stop; nothing raw is stored."""

import json

import pytest

from govlake.errors import CheckFailed, ContractError
from govlake.records import Status, load_manifest
from govlake.synthetic import deliver, generate
from jobs.ingest import ingest
from jobs.validate import load_suite_config, validate
from tests.leakscan import find_canaries


def ingested(contract, lake, spark):
    result = ingest(contract, lake, spark)
    assert len(result.batches) == 1, result
    return result.batches[0]


def test_failing_rows_are_quarantined_with_the_expectation(lake, spark, contracts):
    generate(lake, rows=30, datasets=["social_insured"])
    c = contracts["social_insured"]
    ref = validate(c, lake, spark, ingested(c, lake, spark))
    m = load_manifest(lake, ref)
    assert m.status == Status.VALIDATED
    assert m.validation.quarantined_rows == 1 and [e.model_dump() for e in m.validation.examples] == [{
        "file": "landing/social_insured/social_insured_20261121.csv", "line": 7,
        "failed": ["expect_column_values_to_be_in_set on column gender"]}]
    rows = spark.read.parquet(lake.spark_uri(f"quarantine/social_insured/batch_id={ref.batch_id}/stage=validate")).collect()
    assert len(rows) == 1 and "expect_column_values_to_be_in_set on column gender" in rows[0]["_reason"]
    report = lake.read_json(m.validation.report)
    assert report["statistics"]["evaluated_expectations"] == 9 and report["success"] is True
    assert lake.read_bytes(m.validation.data_docs).startswith(b"<!DOCTYPE html>") or \
        b"<html" in lake.read_bytes(m.validation.data_docs)[:500]


def test_results_and_data_docs_hold_no_raw_values(lake, spark, contracts):
    """GX keeps unexpected values (issue #8780): a malformed ID must not reach the report or docs."""
    path = generate(lake, rows=30, datasets=["social_insured"], messy=False, sign=False)["social_insured"]
    c = contracts["social_insured"]
    text = lake.read_bytes(path).decode("gbk")
    lake.delete_file(path)
    lines = text.split("\r\n")
    planted = "99999CANARY00001X"
    lines[3] = planted + lines[3][18:]
    deliver(lake, c, path.rsplit("/", 1)[-1], "\r\n".join(lines).encode("gbk"))
    m = load_manifest(lake, validate(c, lake, spark, ingested(c, lake, spark)))
    assert m.rows_quarantined_validate == 1
    root = lake.local_path("reports")
    assert find_canaries([root], [planted, "CANARY"]) == []
    report = json.loads(lake.read_bytes(m.validation.report))
    failing = [r for r in report["results"] if not r["success"]]
    assert failing and "unexpected_list" not in json.dumps(report) and "partial_unexpected_list" not in json.dumps(report)
    assert failing[0]["result"]["failing_rows"] == ["landing/social_insured/social_insured_20261121.csv:4"]


def test_critical_failure_rejects_the_batch(lake, spark, contracts, tmp_path, monkeypatch):
    suites = tmp_path / "suites"
    suites.mkdir()
    doc = load_suite_config(contracts["tax_filings"])
    doc["expectations"].append({"type": "expect_table_row_count_to_be_between",
                                "kwargs": {"min_value": 1_000_000}, "severity": "critical"})
    (suites / "tax_filings.json").write_text(json.dumps(doc))
    monkeypatch.setenv("GOVLAKE_EXPECTATIONS_DIR", str(suites))
    generate(lake, rows=20, datasets=["tax_filings"])
    c = contracts["tax_filings"]
    ref = ingested(c, lake, spark)
    with pytest.raises(CheckFailed, match=r"critical expectation.*expect_table_row_count_to_be_between"):
        validate(c, lake, spark, ref)
    m = load_manifest(lake, ref)
    assert m.status == Status.REJECTED
    assert lake.exists(f"quarantine/tax_filings/batch_id={ref.batch_id}/_REJECTED.json")


def test_suite_naming_an_unknown_column_is_refused(contracts, tmp_path, monkeypatch):
    (tmp_path / "tax_filings.json").write_text(json.dumps({"name": "tax_filings", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "nope"}}]}))
    monkeypatch.setenv("GOVLAKE_EXPECTATIONS_DIR", str(tmp_path))
    with pytest.raises(ContractError, match="names column 'nope'"):
        load_suite_config(contracts["tax_filings"])
