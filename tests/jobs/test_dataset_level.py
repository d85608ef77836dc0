"""One generalisation for the whole dataset: an increment dataset's batches are judged together, are
published at one level of generalisation, and a level that rises masks the earlier batches again."""

import json
import shutil

import pytest
import yaml

from govlake.config import REPO_ROOT
from govlake.records import iter_manifests, read_report
from govlake.tables import read_dataset
from masking.checksums import resident_id_check_char
from masking.risk import measure
from tests.approvals import run_all_approved

DATASET = "clinic_visits"
CONTRACT = {
    "dataset": DATASET,
    "title": "门诊就诊 (clinic visits)",
    "owner": {"department": "health", "level": "city", "region_code": "440300"},
    "source": {"format": "csv", "encoding": "utf-8", "file_pattern": "*.csv"},
    "delivery": {"mode": "increment", "signature": "optional"},
    "schema": [
        {"name": "visit_no", "type": "string", "nullable": False},
        {"name": "patient_id", "type": "string", "personal": {"entity": "CN_RESIDENT_ID", "operator": "pseudonym"}},
        {"name": "gender", "type": "string"},
        {"name": "birth_date", "type": "date", "formats": ["yyyyMMdd"]},
        {"name": "district", "type": "string"},
    ],
    "quasi_identifiers": ["gender", "birth_date", "district"],
    "risk": {"k": 5, "max_suppression": 0.05,
             "generalise": [{"column": "birth_date", "operator": "generalize_date",
                             "params": {"granularity": "band", "width": 5}}],
             "context": {"deliberate_attack": {"value": 0.2, "set_by": "privacy_officer",
                                               "reason": "analysts under a data-sharing agreement"}}},
    "pseudonym_domain": "health_services",
    "access": [{"audience": "statistics", "grantees": ["civil_affairs_analysts"], "purpose": "statistics",
                "columns": ["visit_no", "gender", "birth_date", "district"]}],
}
CLASSES = [(g, year, d) for g in ("M", "F") for year in (1980, 1990) for d in ("福田区", "南山区")]


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    """The shipped contracts and suites, and the clinic's."""
    contracts_dir, suites_dir = tmp_path / "contracts", tmp_path / "suites"
    shutil.copytree(REPO_ROOT / "contracts", contracts_dir)
    shutil.copytree(REPO_ROOT / "expectations", suites_dir)
    (contracts_dir / f"{DATASET}.yaml").write_text(yaml.safe_dump(CONTRACT, allow_unicode=True))
    (suites_dir / f"{DATASET}.json").write_text(json.dumps({"name": DATASET, "expectations": [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}, "severity": "critical"}]}))
    monkeypatch.setenv("GOVLAKE_CONTRACTS_DIR", str(contracts_dir))
    monkeypatch.setenv("GOVLAKE_EXPECTATIONS_DIR", str(suites_dir))


def deliver(lake, name: str, rows: list[tuple[str, str, str, str]], start: int) -> None:
    lines = ["visit_no,patient_id,gender,birth_date,district"]
    for i, (gender, birth, district, _) in enumerate(rows, start):
        base = f"440304{birth}{i % 1000:03d}"
        lines.append(f"V{i:05d},{base + resident_id_check_char(base)},{gender},{birth},{district}")
    lake.write_bytes(f"landing/{DATASET}/{name}", "\n".join(lines).encode())


def test_batches_share_one_level_and_a_rising_level_masks_earlier_batches_again(lake, spark, clinic):

    # Day 1: eight classes of five people born on the same day: k = 5 with exact birth dates.
    day1 = [(g, f"{year}0101", d, "") for g, year, d in CLASSES for _ in range(5)]
    deliver(lake, "day1.csv", day1, 1)
    assert run_all_approved(DATASET).ok
    (first,) = iter_manifests(lake, DATASET)
    assert first.masking.generalisation_level == 0 and first.masking.rows_suppressed == 0
    assert {r["birth_date"] for r in read_dataset(lake, DATASET).to_pylist()} == {"1980-01-01", "1990-01-01"}

    # Day 2: two people in each class's five-year band, each born on another day. Alone, or beside day 1
    # at exact dates, they are singled out (16 of 56 rows, far above 5% to suppress); at five-year
    # bands every class of the dataset holds seven. The level rises for the dataset, day 1 included.
    day2 = [(g, f"{year + 1 + n}0{3 + n}1{n}", d, "") for g, year, d in CLASSES for n in range(2)]
    deliver(lake, "day2.csv", day2, 100)
    outcome = run_all_approved(DATASET)
    assert outcome.ok, outcome.refused
    earlier, later = iter_manifests(lake, DATASET)
    assert earlier.batch_id == first.batch_id and earlier.masking.masked_at != first.masking.masked_at
    assert earlier.masking.generalisation_level == later.masking.generalisation_level == 1
    assert earlier.masking.overrides == later.masking.overrides
    risk = read_report(lake, later.masking.report)["risk"]
    assert (risk["level_before"], risk["level"], risk["masked_again"]) == (0, 1, [first.batch_id])
    assert risk["judged_with"]["batches"] == [first.batch_id] and risk["suppressed_rows"] == 0

    curated = read_dataset(lake, DATASET)
    assert curated.num_rows == 56 and str(curated.schema.field("birth_date").type) == "string"
    assert {r["birth_date"] for r in curated.to_pylist()} == {"1980-1984", "1990-1994"}
    whole = spark.createDataFrame(curated.select(["gender", "birth_date", "district"]).to_pylist())
    assert measure(whole, ["gender", "birth_date", "district"], k=5).k == 7  # k holds over the dataset


def test_a_small_batch_is_judged_with_the_rows_already_published(lake, spark, clinic):
    """Three new people, each in a class the dataset already holds: alone they are three classes of
    one (all suppressed, beyond the limit); beside the published rows they are kept."""

    deliver(lake, "day1.csv", [(g, f"{year}0101", d, "") for g, year, d in CLASSES for _ in range(5)], 1)
    assert run_all_approved(DATASET).ok
    deliver(lake, "day2.csv", [(g, f"{year}0101", d, "") for g, year, d in CLASSES[:3]], 200)
    assert run_all_approved(DATASET).ok
    later = iter_manifests(lake, DATASET)[-1]
    assert later.masking.rows == 3 and later.masking.rows_suppressed == 0
    assert later.masking.generalisation_level == 0
    assert read_dataset(lake, DATASET).num_rows == 43
