"""Detection quality on the labelled evaluation set (masking/evaluation.py), with the privacy issue's
targets: recall >= 0.99 on identifiers, >= 0.97 on names and addresses, fewer than 1% of look-alike
numbers flagged. A gold entity counts as found only when it is covered entirely.

The tuning and held-out splits must meet the targets. The sealed split is text no recognizer was
tuned against (bench/detection_eval.py never shows its misses): its identifiers and look-alikes
must meet the targets too; its names and addresses are guarded against regression at the figures
measured when it was written, and reported in the README.
"""

import pytest

from masking.evaluation import Example, build, evaluate, format_table
from masking.text import analyze

IDENTIFIERS = ("CN_RESIDENT_ID", "CN_USCC", "BANK_CARD", "PHONE_NUMBER", "EMAIL_ADDRESS", "PASSPORT", "CN_VEHICLE_PLATE")
SPLIT_SEEDS = {"tuning": 9001, "held_out": 9002, "sealed": 9003}


@pytest.fixture(scope="module", params=list(SPLIT_SEEDS))
def split_metrics(request):
    split = request.param
    result = evaluate(build(1200, seed=SPLIT_SEEDS[split], split=split), analyze)
    print(f"\n{split}\n" + format_table(result))
    return split, result


def test_every_entity_type_is_in_the_set():
    types = set()
    for split, seed in SPLIT_SEEDS.items():
        types |= {t for ex in build(600, seed=seed, split=split) for *_, t in ex.spans}
    assert types >= {*IDENTIFIERS, "HK_ID", "TW_ID", "IP_ADDRESS", "PERSON", "LOCATION"}


def test_identifiers(split_metrics):
    split, metrics = split_metrics
    low = {t: m["recall"] for t, m in metrics["per_type"].items() if t in IDENTIFIERS and m["recall"] < 0.99}
    assert not low, f"{split}: {low}"


def test_names_and_addresses(split_metrics):
    split, metrics = split_metrics
    floor = {"PERSON": 0.97, "LOCATION": 0.97}
    if split == "sealed":  # first sight (3,000 texts, 2026-11-22): PERSON 0.870, LOCATION 0.968
        floor = {"PERSON": 0.82, "LOCATION": 0.94}  # 1,200 texts vary by about ±0.02
    for entity, least in floor.items():
        assert metrics["per_type"][entity]["recall"] >= least, f"{split}: {format_table(metrics)}"


def test_precision(split_metrics):
    _split, metrics = split_metrics
    assert all(m["precision"] >= 0.9 for m in metrics["per_type"].values()), format_table(metrics)


def test_look_alikes(split_metrics):
    split, metrics = split_metrics
    assert metrics["decoy_rate"] < 0.01, f"{split}: {metrics['decoys_flagged']}/{metrics['decoys']}"


def test_a_name_found_in_part_is_a_miss():
    text = "参保人尚佳刚，请尽快处理。"
    example = Example(text, spans=[(3, 6, "PERSON")])

    class Found:
        def __init__(self, start, end):
            self.start, self.end, self.entity_type = start, end, "PERSON"

    assert evaluate([example], lambda _: [Found(3, 5)])["per_type"]["PERSON"]["recall"] == 0.0
    assert evaluate([example], lambda _: [Found(3, 5), Found(5, 6)])["per_type"]["PERSON"]["recall"] == 1.0


def test_titles_are_not_part_of_an_english_name():
    for ex in build(400, seed=5, split="tuning"):
        for start, end, entity in ex.spans:
            if entity == "PERSON" and ex.text[start:end][:1].isascii():
                assert not ex.text[start:end].startswith(("Mr ", "Mrs ", "Dr. ", "Ms "))
