"""Detection quality on the labelled evaluation set (masking/evaluation.py), with the targets
of the detection issue: recall >= 0.99 on checksummed identifiers, >= 0.95 on names, addresses
and phones, and fewer than 2% of look-alike numbers flagged."""

import pytest

from masking.evaluation import build, evaluate, format_table
from masking.text import analyze

CHECKSUMMED = ("CN_RESIDENT_ID", "CN_USCC", "BANK_CARD", "HK_ID", "TW_ID")


@pytest.fixture(scope="module")
def metrics():
    result = evaluate(build(800, seed=9001), analyze)
    print("\n" + format_table(result))
    return result


def test_every_entity_type_is_in_the_set(metrics):
    assert set(metrics["per_type"]) >= {*CHECKSUMMED, "PERSON", "LOCATION", "PHONE_NUMBER", "EMAIL_ADDRESS",
                                        "IP_ADDRESS", "PASSPORT", "CN_VEHICLE_PLATE"}


@pytest.mark.parametrize("entity", CHECKSUMMED)
def test_checksummed_identifiers(metrics, entity):
    assert metrics["per_type"][entity]["recall"] >= 0.99


@pytest.mark.parametrize("entity", ["PERSON", "LOCATION", "PHONE_NUMBER"])
def test_names_addresses_phones(metrics, entity):
    assert metrics["per_type"][entity]["recall"] >= 0.95


def test_precision(metrics):
    assert all(m["precision"] >= 0.95 for m in metrics["per_type"].values()), format_table(metrics)


def test_look_alikes(metrics):
    assert metrics["decoy_rate"] < 0.02
