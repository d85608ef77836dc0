import pytest
import yaml

from govlake.contracts import ContractError, load_contract_file, load_contracts


def test_every_shipped_contract_loads(contracts):
    assert set(contracts) == {"business_registry", "tax_filings", "social_insured", "hotline_tickets"}
    for c in contracts.values():
        assert c.department and c.level in ("national", "provincial", "city", "district") and c.region_code
        assert c.personal_columns, f"{c.dataset} declares no personal data"
        assert c.access, f"{c.dataset} grants nobody access"


def test_departments_share_entities(contracts):
    entities = {(c.dataset, col.personal.entity) for c in contracts.values() for col in c.personal_columns}
    ids = {ds for ds, e in entities if e == "CN_RESIDENT_ID"}
    codes = {ds for ds, e in entities if e == "CN_USCC"}
    assert {"social_insured", "business_registry", "hotline_tickets"} <= ids
    assert {"social_insured", "business_registry", "tax_filings"} <= codes
    assert len({c.pseudonym_domain for c in contracts.values()}) == 1


def _write(tmp_path, doc):
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return path


BASE = {"dataset": "x", "owner": {"department": "d", "level": "city", "region_code": "1"},
        "source": {"format": "csv"}, "delivery": {"mode": "increment"}, "schema": [{"name": "a", "type": "string"}]}


@pytest.mark.parametrize("change,message", [
    ({"owner": {"department": "d", "level": "galactic", "region_code": "1"}}, "owner.level 'galactic'"),
    ({"source": {"format": "xlsx"}}, "source.format 'xlsx'"),
    ({"source": {"format": "csv", "encoding": "klingon"}}, "source.encoding 'klingon' is unknown"),
    ({"schema": [{"name": "a", "type": "money"}]}, "unsupported type 'money'"),
    ({"schema": [{"name": "A b"}]}, "must be lower_snake_case"),
    ({"quasi_identifiers": ["zz"]}, "quasi-identifier 'zz' is not in the schema"),
    ({"risk": {"max_suppression": "lots"}}, "risk.max_suppression: must be a share of rows between 0 and 1"),
    ({"risk": {"max_suppression": 0.05, "routine_suppression": 0.2}}, "0.2 is above max_suppression 0.05"),
    ({"free_text": [{"column": "zz"}]}, "free_text column 'zz'"),
    ({"schema": [{"name": "a", "personal": {"entity": "PERSON"}}]}, "missing required field 'operator'"),
    ({"delivery": {"mode": "sometimes"}}, "delivery.mode 'sometimes' is not one of snapshot, increment"),
    ({"delivery": None}, "missing required field 'delivery'"),
    ({"delivery": {"mode": "snapshot", "signature": "maybe"}}, "delivery.signature 'maybe'"),
    ({"sheme": []}, "unknown key 'sheme'"),
    ({"owner": {"department": "d", "level": "city", "region_code": "1", "emial": "x"}}, "owner: unknown key 'emial'"),
    ({"schema": [{"name": "a", "nulable": False}]}, "schema[0]: unknown key 'nulable'"),
    ({"schema": [{"name": "a", "personal": {"entity": "PERSON", "operator": "shred"}}]},
     "schema[0].personal: unknown masking operator 'shred'"),
    ({"schema": [{"name": "a", "personal": {"entity": "PHONE_NUMBER", "operator": "partial_mask",
                                            "params": {"keep_frist": 3}}}]},
     "schema[0].personal.params: partial_mask: unknown parameter 'keep_frist'"),
    ({"schema": [{"name": "a", "personal": {"entity": "DATE", "operator": "generalize_date",
                                            "params": {"granularity": "decade"}}}]}, "granularity must be one of"),
    ({"schema": [{"name": "a", "personal": {"entity": "DATE", "operator": "date_shift"}}]},
     "parameter 'person_column' is required"),
    ({"free_text": [{"column": "a", "operators": {"PERSON": "shred"}}]},
     "free_text[0].operators.PERSON: unknown masking operator 'shred'"),
    ({"source": {"format": "csv", "delimiter": ";;"}}, "delimiter must be one character"),
    ({"source": {"format": "csv", "missing_columns": "ignore"}}, "source.missing_columns 'ignore'"),
    ({"access": [{"audience": "x", "purpose": "p"}]}, "access[0]: an audience names its grantees"),
    ({"access": [{"audience": "x", "grantees": ["g"], "purpose": "p", "columns": ["zz"]}]}, "column 'zz' is not in"),
    ({"access": [{"audience": "x", "grantees": ["g"], "purpose": "p", "expires": "soon"}]}, "expires 'soon'"),
    ({"access": [{"audience": "x", "public": True, "purpose": "p"}]}, "needs aggregate.by columns"),
    ({"schema": [{"name": "a", "personal": {"entity": "PERSON", "operator": "redact"}}],
      "access": [{"audience": "x", "public": True, "purpose": "p", "aggregate": {"by": ["a"]}}]},
     "'a' is personal data: a public table cannot be broken down by it"),
    ({"access": [{"audience": "x", "grantees": ["g"], "purpose": "p", "sharing_model": "open"}]},
     "access[0].sharing_model 'open' is not one of public, controlled, enclave"),
    ({"access": [{"audience": "x", "grantees": ["g"], "purpose": "p", "sharing_model": "public"}]},
     "a public audience is a public release (sharing_model: public), and only a public audience is"),
    ({"risk": {"context": {"breach": {"value": 1.5, "set_by": "po", "reason": "r"}}}}, "value must be a probability"),
    ({"risk": {"context": {"breach": {"value": 0.1, "reason": "r"}}}}, "risk.context.breach: missing required field 'set_by'"),
    ({"risk": {"context": {"meteor": {"value": 0.1, "set_by": "po", "reason": "r"}}}}, "risk.context: unknown key 'meteor'"),
    ({"classification": {"zz": {"class": "other", "reviewer": "po", "reason": "r"}}}, "column 'zz' is not in the schema"),
    ({"classification": {"a": {"class": "harmless", "reviewer": "po", "reason": "r"}}}, "classification.a.class 'harmless'"),
    ({"classification": {"a": {"class": "other", "reviewer": "po"}}}, "missing required field 'reason'"),
    ({"region": {"column": "zz"}}, "region: column 'zz' is not in the schema"),
    ({"region": {"column": "a", "codes": {"x": "4403"}}}, "which is not a six-digit region code"),
])
def test_errors_name_the_file_and_field(tmp_path, change, message):
    path = _write(tmp_path, {**BASE, **change})
    with pytest.raises(ContractError) as err:
        load_contract_file(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_grantees_must_be_known_principals(tmp_path):
    doc = {**BASE, "access": [{"audience": "x", "grantees": ["nobody_we_know"], "purpose": "p"}]}
    _write(tmp_path, doc)
    (tmp_path / "principals.yaml").write_text("analysts:\n  - {name: ann, level: city, region_code: '440300', "
                                             "groups: [readers]}\n")
    with pytest.raises(ContractError, match=r"grantee.s. nobody_we_know are neither analysts nor groups"):
        load_contracts(tmp_path)
    doc["access"][0]["grantees"] = ["readers"]
    _write(tmp_path, doc)
    assert load_contracts(tmp_path)["x"].access[0].grantees == ("readers",)


def test_duplicate_dataset_is_refused(tmp_path):
    _write(tmp_path, BASE)
    (tmp_path / "y.yaml").write_text(yaml.safe_dump(BASE))
    with pytest.raises(ContractError, match="already defined"):
        load_contracts(tmp_path)


def test_sharing_models_default_by_audience_kind(contracts):
    models = {(c.dataset, a.name): a.sharing_model for c in contracts.values() for a in c.access}
    assert models[("social_insured", "public_statistics")] == "public"
    assert models[("social_insured", "headcount")] == "controlled"


def test_context_risk_and_reviews_carry_who_and_why(contracts):
    registry = contracts["business_registry"]
    assert {r.column for r in registry.reviews} == {"company_name", "registration_date", "registered_capital"}
    assert all(r.reviewer and r.reason for r in registry.reviews)
    assert {c.name for c in registry.risk.context} == {"deliberate_attack", "inadvertent_recognition", "breach"}
    assert all(c.set_by and c.reason and 0 <= c.value <= 1 for c in registry.risk.context)
