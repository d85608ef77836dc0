"""Mask and publish: masked columns, cross-department pseudonyms, report without raw values,
atomic curated versions readable with plain pyarrow and DuckDB."""

import re

import duckdb
import pytest

from govlake.errors import IllegalTransition
from govlake.records import BatchRef, read_catalog_entry
from govlake.tables import read_current, read_dataset
from masking.keys import TOKEN_PATTERN, domain_key, token
from tests.approvals import run_all_approved
from tests.canary import CANARIES, CANARY_ID, write_canary_extracts
from tests.environment import temporary_environ
from tests.leakscan import find_canaries


@pytest.fixture(scope="module")
def published(tmp_path_factory, spark):
    from govlake.storage import Lake

    with temporary_environ({"GOVLAKE_LAKE_ROOT": str(tmp_path_factory.mktemp("lake-mp"))}):
        lake = Lake.from_settings()
        write_canary_extracts(lake)
        outcomes = {ds: run_all_approved(ds) for ds in ("social_insured", "business_registry", "hotline_tickets")}
        assert all(o.ok for o in outcomes.values()), {ds: o.refused for ds, o in outcomes.items()}
        yield lake, {ds: o.published for ds, o in outcomes.items()}


def curated(lake, ds):
    return read_dataset(lake, ds).to_pylist()


def test_declared_columns_are_masked(published):
    lake, _ = published
    rows = curated(lake, "social_insured")
    assert all(TOKEN_PATTERN.match(r["resident_id"]) for r in rows)
    assert all(r["name"] == "[REDACTED]" for r in rows)
    # The risk gate coarsened birth years into bands to reach k=5 (see the catalog's schema).
    assert all(re.fullmatch(r"\d{4}-\d{4}", r["birth_date"]) for r in rows)
    assert all(r["mobile"][3:7] == "****" for r in rows)
    assert all(r["home_address"].endswith(("区", "县")) for r in rows)


def test_pseudonyms_join_across_departments(published):
    lake, _ = published
    expected = token(domain_key("shared_services"), "CN_RESIDENT_ID", CANARY_ID)
    social = {r["resident_id"] for r in curated(lake, "social_insured")}
    reps = {r["legal_rep_id"] for r in curated(lake, "business_registry")}
    callers = {r["caller_id"] for r in curated(lake, "hotline_tickets")}
    assert expected in social and expected in reps and expected in callers
    complaints = " ".join(r["complaint"] for r in curated(lake, "hotline_tickets"))
    assert expected in complaints  # the ID in free text gets the same token


def test_no_canary_leaves_the_pipeline(published):
    lake, _ = published
    roots = [lake.local_path(z) for z in ("curated", "reports", "catalog", "audit", "work")]
    assert find_canaries(roots, CANARIES) == []


def test_masking_report_counts(published):
    lake, _ = published
    entry = read_catalog_entry(lake, "hotline_tickets")
    report = lake.read_json(lake.rel(entry.reports["masking"][0]))
    ft = report["free_text"][0]
    assert ft["column"] == "complaint" and ft["rows_with_findings"] == report["rows"]
    assert {"PERSON", "PHONE_NUMBER", "CN_RESIDENT_ID", "LOCATION", "EMAIL_ADDRESS"} <= set(ft["entities_found"])
    assert {c["column"] for c in report["columns"]} == {"caller_name", "caller_phone", "caller_id"}
    assert report["key_version"] == "1" and report["totals"]["entities_masked"] > report["rows"]


def test_catalog_and_readers(published):
    lake, pointers = published
    entry = read_catalog_entry(lake, "social_insured")
    assert entry.version == pointers["social_insured"]["version"] and entry.mode == "snapshot"
    assert entry.owner == {"department": "social_security", "level": "provincial", "region_code": "440000"}
    birth = {c["name"]: c for c in entry.schema_}["birth_date"]
    assert birth["type"] == "string" and birth["masking"]["reason"] == "risk gate"
    assert entry.source_batches[0]["files"][0].endswith("landing/social_insured/canary.csv")
    assert entry.source_batches[0]["signed"] and entry.release_manifest.endswith("/releases/1.json")
    n = duckdb.sql(f"select count(*) from read_parquet({read_current(lake, 'social_insured').files!r})").fetchone()[0]
    assert n == entry.row_count == len(curated(lake, "social_insured"))


def test_every_stage_is_timed_in_the_batch_manifest(published):
    from govlake.records import iter_manifests

    lake, _ = published
    for ds in ("social_insured", "hotline_tickets"):
        (manifest,) = iter_manifests(lake, ds)
        assert set(manifest.timings) >= {"ingest", "validate", "mask", "publish"}
        assert all(seconds > 0 for seconds in manifest.timings.values()), manifest.timings


def test_republish_is_idempotent_and_versions_swap_atomically(published, spark, contracts):
    from jobs.mask import mask
    from jobs.publish import publish

    lake, pointers = published
    c = contracts["social_insured"]
    ref = BatchRef.for_batch("social_insured", read_catalog_entry(lake, "social_insured").source_batches[0]["batch_id"])
    same = publish(c, lake, spark)
    assert same.version == pointers["social_insured"]["version"]  # nothing changed, nothing rewritten
    mask(c, lake, spark, ref)
    new = publish(c, lake, spark)
    assert new.version != pointers["social_insured"]["version"]
    assert read_current(lake, "social_insured").version == new.version
    entry = read_catalog_entry(lake, "social_insured")
    assert [v["version"] for v in entry.versions][-2:] == [pointers["social_insured"]["version"], new.version]
    old = read_dataset(lake, "social_insured", version=int(pointers["social_insured"]["version"]))
    assert old.num_rows == entry.row_count  # the previous version can still be read


def test_time_travel_through_govlake_query(published):
    """After the republish above, social_insured has two versions; an analyst reads either."""
    import datetime as dt

    from govlake import tables
    from govlake.errors import NotFound
    from govlake.querying import query

    lake, _ = published
    vt = tables.load(lake, tables.view_name("social_insured", "headcount__4403"))
    first, second = tables.versions(vt)[-2:]
    sql = "select count(*) as n from social_insured"
    now = query(sql, "tax_sz_analyst")
    assert now.views["social_insured"]["version"] == second.label
    old = query(sql, "tax_sz_analyst", version=first.number)
    assert old.views["social_insured"]["version"] == first.label
    assert old.table.column("n")[0].as_py() == sum(f.record_count for f in tables.data_files(vt, first.snapshot_id))
    between = query(sql, "tax_sz_analyst", as_of=first.committed_at + (second.committed_at - first.committed_at) / 2)
    assert between.views["social_insured"]["version"] == first.label
    with pytest.raises(NotFound, match=r"has no version 99"):
        query(sql, "tax_sz_analyst", version=99)
    with pytest.raises(NotFound, match=r"had no version yet"):
        query(sql, "tax_sz_analyst", as_of=first.committed_at - dt.timedelta(days=1))


def test_unvalidated_batch_is_not_masked(lake, spark, contracts):
    from govlake.synthetic import generate
    from jobs.ingest import ingest
    from jobs.mask import mask

    generate(lake, rows=20, datasets=["tax_filings"])
    c = contracts["tax_filings"]
    ref = ingest(c, lake, spark).batches[0]
    with pytest.raises(IllegalTransition, match="only validated batches are masked"):
        mask(c, lake, spark, ref)


def test_catalog_audit_and_query_from_the_command_line(published):
    from typer.testing import CliRunner

    from entrypoints.cli import app

    runner = CliRunner()
    listing = runner.invoke(app, ["catalog"])
    assert listing.exit_code == 0, listing.output
    assert "social_insured: " in listing.output and "view       headcount__4403" in listing.output
    assert "owner      social_security (provincial" in listing.output and "lineage    1 batch(es)" in listing.output
    asked = runner.invoke(app, ["query", "--as", "tax_sz_analyst", "--purpose", "employer headcount reconciliation",
                                "--format", "json",
                                "select count(*) as n from social_insured"])
    assert asked.exit_code == 0, asked.output
    refused = runner.invoke(app, ["query", "--as", "tax_sz_analyst", "select name from social_insured"])
    assert refused.exit_code != 0 and "name" in refused.output and "Traceback" not in refused.output
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0 and "OK: every record matches" in verified.output, verified.output
    who = runner.invoke(app, ["audit", "who-read", "social_insured"])
    assert who.exit_code == 0, who.output
    assert "tax_sz_analyst (analyst)  govlake query: purpose: employer headcount reconciliation" in who.output


def test_reconciliation_joins_two_departments_by_pseudonym_and_reports_counts_only(published):
    from govlake.reconciliations import load_reconciliations
    from jobs.reconcile import reconcile

    lake, _ = published
    rec = load_reconciliations()["employer_registration"]
    report = reconcile(rec, lake)
    employers = {r["employer_credit_code"] for r in curated(lake, "social_insured")} - {None}
    registered = {r["credit_code"] for r in curated(lake, "business_registry")} - {None}
    assert report["matched_keys"] == len(employers & registered) > 0
    assert report["left_keys_without_match"] == len(employers - registered)
    assert report["right_keys_without_match"] == len(registered - employers)
    text = str(report)
    assert not any(token in text for token in employers | registered)  # counts, never a key
    assert reconcile(rec, lake) == report  # the same versions are reconciled once


def test_erasure_removes_the_subject_everywhere_and_for_good(published, spark, contracts, caplog):
    """Runs last in this module: it changes the published lake."""
    import pyarrow.parquet as pq

    from govlake import tables
    from govlake.access import AccessModel
    from govlake.audit import records
    from jobs.erase import erase
    from jobs.publish import publish

    lake, _ = published
    subject = token(domain_key("shared_services"), "CN_RESIDENT_ID", CANARY_ID)
    before = {ds: read_dataset(lake, ds).num_rows for ds in ("social_insured", "business_registry", "hotline_tickets")}
    own_rows = sum(r["resident_id"] == subject for r in curated(lake, "social_insured"))
    assert own_rows and any(r["legal_rep_id"] == subject for r in curated(lake, "business_registry"))

    report = erase("resident_id", CANARY_ID, lake, spark, reason="request 2026-0042")
    assert report.residual_mentions == 0 and report.rescanned_files > 0
    by_ds = {d["dataset"]: d for d in report.datasets}
    assert by_ds["social_insured"]["rows_removed"] == own_rows
    assert by_ds["business_registry"]["rows_removed"] == 0 and by_ds["business_registry"]["cells_cleared"] >= 1

    # The rows about the subject are gone; rows about others that named them keep everything else.
    assert read_dataset(lake, "social_insured").num_rows == before["social_insured"] - own_rows
    assert read_dataset(lake, "business_registry").num_rows == before["business_registry"]
    assert all(r["legal_rep_id"] != subject for r in curated(lake, "business_registry"))
    assert all(subject not in (r["complaint"] or "") for r in curated(lake, "hotline_tickets"))

    # Not in any file left in the lake's curated tables and views, history included.
    for zone in ("curated", "views"):
        for info in lake.list_files(zone, "*.parquet"):
            with lake.open_random(info.path) as f:
                text = " ".join(str(v) for col in pq.read_table(f).columns for v in col.to_pylist())
            assert subject not in text, info.path
    table = tables.load(lake, tables.curated_name("social_insured"))
    assert len(tables.versions(table)) == 1, "versions from before the erasure are gone"
    for view in AccessModel.load().views("social_insured"):
        vt = tables.load(lake, tables.view_name("social_insured", view.name))
        assert len(vt.snapshots()) == 1

    # Audited without the identifier or the pseudonym; the register stops a republish bringing it back.
    event = [e for e in records(lake) if e.action == "erasure"][-1]
    assert CANARY_ID not in event.model_dump_json() and subject not in event.model_dump_json()
    assert CANARY_ID not in caplog.text
    from jobs.mask import mask

    ref = BatchRef.for_batch("social_insured", read_catalog_entry(lake, "social_insured").source_batches[0]["batch_id"])
    mask(contracts["social_insured"], lake, spark, ref)  # the batch is masked again from raw: the subject is in it
    publish(contracts["social_insured"], lake, spark)
    assert all(r["resident_id"] != subject for r in curated(lake, "social_insured"))


def test_erasure_refuses_a_malformed_identifier_without_repeating_it(published, spark):
    from jobs.erase import ErasureRefused, erase

    lake, _ = published
    with pytest.raises(ErasureRefused) as exc:
        erase("resident_id", "44030119900101123", lake, spark)
    assert "44030119900101123" not in str(exc.value)
