"""The access model: principals of every kind, grants by audience and administrative scope, expiry."""

import datetime as dt
import json

from typer.testing import CliRunner

from entrypoints.cli import app
from govlake.access import AccessModel


def test_every_kind_of_principal_is_listed():
    model = AccessModel.load(today=dt.date(2026, 11, 22))
    kinds = {p.name: p.kind for p in model.principals()}
    assert kinds["tax"] == kinds["social_security"] == "department"
    assert kinds["govlake"] == "service" and kinds["public"] == "public"
    assert kinds["tax_sz_analyst"] == "analyst" and kinds["privacy_officer"] == "privacy_officer"


def test_views_follow_the_grantees_administrative_scope():
    model = AccessModel.load(today=dt.date(2026, 11, 22))
    views = {v.name for v in model.views("social_insured")}
    assert views == {"headcount__4403", "headcount__4401", "headcount__44", "public_statistics"}
    sz = model.principal("tax_sz_analyst")
    assert [(g.dataset, g.view) for g in model.grants(sz)] == [("business_registry", "tax_compliance__4403"),
                                                               ("social_insured", "headcount__4403")]
    national = model.principal("civil_national_analyst")
    assert [g.view for g in model.grants(national)] == ["service_quality__all"]
    public = model.principal("public")
    assert {g.view for g in model.grants(public)} == {"public_statistics"}
    assert model.grants(model.principal("privacy_officer")) == []


def test_expired_grants_give_nothing():
    model = AccessModel.load(today=dt.date(2028, 1, 1))
    assert model.grants(model.principal("tax_sz_analyst")) == []
    assert [g.view for g in model.grants(model.principal("tax_sz_analyst"), include_expired=True)]
    headcount = next(v for v in model.views("social_insured") if v.name == "headcount__4403")
    assert model.readers(headcount) == []


def test_principals_command_prints_json():
    result = CliRunner().invoke(app, ["principals", "--format", "json"])
    assert result.exit_code == 0, result.output
    found = {p["principal"]: p for p in json.loads(result.stdout)}
    grant = found["tax_gd_analyst"]["grants"][0]
    assert set(grant) >= {"dataset", "audience", "columns", "purpose", "expires"}
    assert found["tax"]["writes"] == ["landing/tax_filings/"]
