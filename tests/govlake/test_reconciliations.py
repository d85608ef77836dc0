"""Reconciliations are data: each file is checked once, when loaded, and names what is wrong."""

import shutil

import pytest

from govlake.config import REPO_ROOT
from govlake.errors import ContractError
from govlake.reconciliations import load_reconciliations


@pytest.fixture()
def folder(tmp_path):
    shutil.copytree(REPO_ROOT / "contracts", tmp_path / "c")
    return tmp_path / "c"


def _write(folder, text):
    (folder / "reconciliations" / "employer_registration.yaml").write_text(text, encoding="utf-8")


def test_the_shipped_reconciliation_loads(folder):
    rec = load_reconciliations(folder)["employer_registration"]
    assert (rec.left.dataset, rec.left.key, rec.right.dataset, rec.right.key) == \
        ("social_insured", "employer_credit_code", "business_registry", "credit_code")
    assert rec.dag_id == "govlake_reconcile__employer_registration"


@pytest.mark.parametrize("left,message", [
    ("{dataset: nowhere, key: credit_code}", r"left.dataset: no contract for dataset 'nowhere'"),
    ("{dataset: social_insured, key: employer}", r"left.key: social_insured has no column 'employer'"),
    ("{dataset: social_insured, key: district}", r"is not a pseudonymised column"),
    ("{dataset: social_insured}", r"left: give exactly 'dataset' and 'key'"),
])
def test_a_bad_side_is_named(folder, left, message):
    _write(folder, f"name: x\nleft: {left}\nright: {{dataset: business_registry, key: credit_code}}\n")
    with pytest.raises(ContractError, match=message):
        load_reconciliations(folder)


def test_different_pseudonym_domains_never_match(folder):
    path = folder / "business_registry.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("pseudonym_domain: shared_services",
                                                             "pseudonym_domain: market_only"), encoding="utf-8")
    with pytest.raises(ContractError, match=r"different pseudonym domains"):
        load_reconciliations(folder)
