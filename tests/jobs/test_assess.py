"""The risk evaluation of a release (jobs/assess.py): a case for each grade, the sharing models'
thresholds, people counted once, the context risk, accumulation across datasets of one pseudonym
domain, and releases of different domains that cannot be joined."""

from pathlib import Path

import pytest

from govlake.classification import inventory
from govlake.contracts import parse_contract
from jobs.assess import accumulation_between, assess_audience


def contract(dataset="people", access=None, context=None, reviews=None, domain="shared", schema=None, qis=None,
             sensitive=("income",)):
    doc = {
        "dataset": dataset, "owner": {"department": "d", "level": "city", "region_code": "440300"},
        "source": {"format": "csv"}, "delivery": {"mode": "snapshot"},
        "schema": schema or [
            {"name": "pid", "personal": {"entity": "CN_RESIDENT_ID", "operator": "pseudonym"}},
            {"name": "name", "personal": {"entity": "PERSON", "operator": "redact"}},
            {"name": "gender"}, {"name": "district"}, {"name": "income", "type": "long"}, {"name": "note"},
        ],
        "quasi_identifiers": ["gender", "district"] if qis is None else qis,
        "risk": {"sensitive": list(sensitive), **({"context": context} if context else {})},
        "pseudonym_domain": domain,
        "access": access or [{"audience": "a", "grantees": ["g"], "purpose": "p"}],
    }
    if reviews:
        doc["classification"] = reviews
    return parse_contract(doc, Path(f"{dataset}.yaml"))


LOW_CONTEXT = {"deliberate_attack": {"value": 0.2, "set_by": "po", "reason": "agreement, audited"},
               "breach": {"value": 0.05, "set_by": "po", "reason": "keys per analyst"}}


def frame(spark, classes: list[tuple[str, str, int]], rows_per_person: int = 1):
    """People in (gender, district) classes of the given sizes."""
    rows, n = [], 0
    for gender, district, size in classes:
        for _ in range(size):
            n += 1
            rows += [(f"P{n}", "<PERSON>", gender, district, 1000 + n, "ok")] * rows_per_person
    return spark.createDataFrame(rows, "pid string, name string, gender string, district string, income long, note string")


def grade(c, df, audience=0, undeclared=None):
    classes = {x.column: x for x in inventory(c, undeclared)}
    return assess_audience(c, c.access[audience], df, classes)


def test_l1_a_direct_identifier_in_clear(spark):
    c = contract()
    result = grade(c, frame(spark, [("F", "A", 5)]), undeclared={"note": ["PHONE_NUMBER"]})
    assert result["grade"] == "L1" and "note" in result["reason"]


def test_l2_a_class_smaller_than_the_threshold(spark):
    result = grade(contract(context=LOW_CONTEXT), frame(spark, [("F", "A", 6), ("M", "A", 1)]))
    assert result["grade"] == "L2"
    assert result["risk"]["classes_over_threshold"] == 1 and result["risk"]["ratio_over_threshold"] == 0.5
    assert "R_a = 0.5000" in result["reason"]


def test_l3_every_class_at_least_the_threshold(spark):
    result = grade(contract(context=LOW_CONTEXT), frame(spark, [("F", "A", 5), ("M", "A", 7)]))
    # A class of exactly 5 is at the threshold (θ = τ = 1/5) and passes: govlake reads the formula's ">".
    assert result["grade"] == "L3" and result["risk"]["classes_over_threshold"] == 0
    assert result["dataset_risk"] == pytest.approx(2 / 12)  # mean θ: classes / people
    assert result["overall_risk"] == pytest.approx(2 / 12 * 0.2)


def test_l4_nothing_ties_a_record_to_a_person(spark):
    c = contract(access=[{"audience": "a", "grantees": ["g"], "purpose": "p", "columns": ["district", "note"]}])
    assert grade(c, frame(spark, [("F", "A", 1)]))["grade"] == "L4"


def test_l4_public_aggregates_at_the_public_class_size(spark):
    public = [{"audience": "open", "public": True, "purpose": "p", "aggregate": {"by": ["district"], "min_count": 20}}]
    assert grade(contract(access=public), frame(spark, [("F", "A", 1)]))["grade"] == "L4"
    public[0]["aggregate"]["min_count"] = 10
    result = grade(contract(access=public), frame(spark, [("F", "A", 1)]))
    assert result["grade"] == "L2" and "fewer than the public threshold's 20" in result["reason"]


def test_context_risk_not_estimated_is_taken_as_one(spark):
    """Classes of 5 pass R_a, but mean θ 0.2 × context 1 exceeds 0.05: the release is L2."""
    result = grade(contract(), frame(spark, [("F", "A", 5), ("M", "A", 5)]))
    assert result["grade"] == "L2" and "exceeds 0.05" in result["reason"]
    assert result["context_note"].startswith("not estimated")


def test_an_enclave_accepts_classes_of_three_controlled_sharing_does_not(spark):
    df = frame(spark, [("F", "A", 3), ("M", "A", 3), ("F", "B", 4)])
    controlled = grade(contract(context=LOW_CONTEXT), df)
    enclave_access = [{"audience": "a", "grantees": ["g"], "purpose": "p", "sharing_model": "enclave"}]
    enclave = grade(contract(access=enclave_access, context={"breach": {"value": 0.1, "set_by": "po", "reason": "r"}}), df)
    assert controlled["grade"] == "L2" and enclave["grade"] == "L3"
    assert enclave["threshold"] == pytest.approx(1 / 3) and enclave["dataset_risk_used"] == "mean"


def test_people_are_counted_once_not_per_row(spark):
    """Ten rows about each of three people make classes of three people, not thirty rows."""
    result = grade(contract(context=LOW_CONTEXT), frame(spark, [("F", "A", 3)], rows_per_person=10))
    assert result["grade"] == "L2" and result["risk"]["records"] == 3


# -- accumulation -------------------------------------------------------------------------------------

REGISTRY_SCHEMA = [
    {"name": "credit_code", "personal": {"entity": "CN_USCC", "operator": "pseudonym"}},
    {"name": "company_name"},
    {"name": "rep_id", "personal": {"entity": "CN_RESIDENT_ID", "operator": "pseudonym"}},
]
REGISTER_FACT = {"company_name": {"class": "quasi_identifier", "reviewer": "po",
                                  "reason": "the public register names each company's legal representative"}}


def registry(spark, reps: list[str], domain="shared", columns=("*",)):
    c = contract("registry", schema=REGISTRY_SCHEMA, qis=[], sensitive=(), reviews=REGISTER_FACT, domain=domain,
                 context=LOW_CONTEXT,
                 access=[{"audience": "b", "grantees": ["g"], "purpose": "p", "columns": list(columns)}])
    df = spark.createDataFrame([(f"C{i}", f"Company {i}", rep) for i, rep in enumerate(reps)],
                               "credit_code string, company_name string, rep_id string")
    return c, df


def test_a_legal_representative_joined_by_pseudonym_is_singled_out(spark):
    """The demo's case: people who pass k = 5 alone are re-identified through the register."""
    people = contract(context=LOW_CONTEXT)
    people_df = frame(spark, [("F", "A", 10), ("M", "A", 10)])
    reg, reg_df = registry(spark, ["P1", "P2", "P3", "P15"])
    assert grade(people, people_df)["grade"] == "L3"  # alone, the release passes
    results = accumulation_between(people, people_df, reg, reg_df)
    mine = next(r for r in results if r["people_of"] == "people")
    assert not mine["passed"] and mine["people_singled_out"] == 4 and mine["people_linked"] == 4
    assert "4 of 20 people of people fall in classes smaller than 5 once joined with registry" in mine["reason"]


def test_no_accumulation_when_the_register_releases_no_pseudonym(spark):
    people, people_df = contract(context=LOW_CONTEXT), frame(spark, [("F", "A", 10)])
    reg, reg_df = registry(spark, ["P1"], columns=("credit_code", "company_name"))
    assert accumulation_between(people, people_df, reg, reg_df) == []


def test_releases_of_different_domains_are_never_joined(spark):
    people, people_df = contract(context=LOW_CONTEXT), frame(spark, [("F", "A", 10)])
    reg, reg_df = registry(spark, ["P1"], domain="tax_only")
    assert accumulation_between(people, people_df, reg, reg_df) == []


def test_recipients_in_different_domains_cannot_join_their_releases(spark, monkeypatch):
    """The same resident IDs pseudonymised for two sharing domains have no token in common, so no
    join between the two releases finds anyone."""
    from pyspark.sql import functions as F

    from masking.keys import domain_key
    from masking.operators import OPERATORS
    from masking.operators.base import MaskContext
    from tests.canary import CANARY_ID

    monkeypatch.setenv("GOVLAKE_PSEUDONYM_KEY", "a-long-enough-test-secret-0123456789")
    ids = spark.createDataFrame([(CANARY_ID,), ("11010519491231002X",), ("440304198001011230",)], "rid string")
    pseudonym = OPERATORS["pseudonym"]

    def release(domain):
        ctx = MaskContext(key=domain_key(domain))
        return ids.select(pseudonym.column(F.col("rid"), "CN_RESIDENT_ID", {}, ctx).alias("pid"))

    social, tax = release("shared_services"), release("tax_only")
    assert social.join(social.alias("again"), "pid").count() == 3  # within a domain the same people join
    assert social.join(tax, "pid").count() == 0
    assert not {r.pid for r in social.collect()} & {r.pid for r in tax.collect()}


def test_a_row_filter_that_splits_classes_is_graded_on_the_rows_it_lets_through(spark):
    """Each view is graded on what it shows: a filter keeping half of every class of 6 leaves
    classes of 3, below controlled sharing's 5, although the whole dataset passes."""
    from govlake.access import View

    access = [{"audience": "a", "grantees": ["g"], "purpose": "p", "row_filter": "income % 2 = 0"}]
    c = contract(access=access, context=LOW_CONTEXT)
    df = frame(spark, [("F", "A", 6), ("M", "A", 6)])
    assert grade(c, df)["grade"] == "L3"  # the whole frame
    classes = {x.column: x for x in inventory(c)}
    result = assess_audience(c, c.access[0], df, classes, [View("people", c.access[0], "")])
    assert result["grade"] == "L2" and result["worst_view"] == "a__all"
    assert result["risk"]["records"] == 6
