"""Adding a fifth department needs a contract, a suite and extracts: no code change."""

import json
import shutil

import yaml

from govlake.config import REPO_ROOT
from govlake.tables import read_dataset
from masking.checksums import resident_id_check_char
from tests.approvals import run_all_approved

CONTRACT = {
    "dataset": "civil_marriage_registrations",
    "title": "婚姻登记 (marriage registrations)",
    "owner": {"department": "civil_affairs", "level": "district", "region_code": "440304"},
    "source": {"format": "csv", "encoding": "gb18030", "delimiter": "|", "file_pattern": "*.txt"},
    "delivery": {"mode": "increment", "signature": "optional"},
    "schema": [
        {"name": "registration_no", "type": "string", "nullable": False, "aliases": ["登记编号"]},
        {"name": "applicant_id", "type": "string", "aliases": ["申请人身份证号"],
         "personal": {"entity": "CN_RESIDENT_ID", "operator": "pseudonym"}},
        {"name": "applicant_name", "type": "string", "aliases": ["申请人姓名"],
         "personal": {"entity": "PERSON", "operator": "redact"}},
        {"name": "registered_on", "type": "date", "aliases": ["登记日期"], "formats": ["yyyyMMdd"]},
        {"name": "note", "type": "string", "aliases": ["备注"]},
    ],
    "free_text": [{"column": "note", "operators": {"DEFAULT": "redact"}}],
    "quasi_identifiers": ["registered_on"],
    # The release's risk evaluation needs the context estimated, like any contract with a controlled audience.
    "risk": {"k": 5, "context": {"deliberate_attack": {"value": 0.2, "set_by": "privacy_officer",
                                                       "reason": "analysts under a data-sharing agreement"}}},
    "pseudonym_domain": "shared_services",
    "access": [{"audience": "statistics", "grantees": ["civil_affairs_analysts"], "purpose": "statistics"}],
}


def test_fifth_department_end_to_end(lake, spark, tmp_path, monkeypatch):
    contracts_dir, suites_dir = tmp_path / "contracts", tmp_path / "suites"
    shutil.copytree(REPO_ROOT / "contracts", contracts_dir)
    shutil.copytree(REPO_ROOT / "expectations", suites_dir)
    (contracts_dir / "civil_marriage_registrations.yaml").write_text(yaml.safe_dump(CONTRACT, allow_unicode=True))
    (suites_dir / "civil_marriage_registrations.json").write_text(json.dumps({
        "name": "civil_marriage_registrations",
        "expectations": [
            {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}, "severity": "critical"},
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "registration_no"}},
        ]}))
    monkeypatch.setenv("GOVLAKE_CONTRACTS_DIR", str(contracts_dir))
    monkeypatch.setenv("GOVLAKE_EXPECTATIONS_DIR", str(suites_dir))
    people = [f"4403041980010{i:02d}12" for i in range(1, 12)]
    rows = ["登记编号|申请人身份证号|申请人姓名|登记日期|备注",
            "M2026001|11010519491231002X|张伟|20261101|申请人张伟，电话13812345678",
            *[f"M20260{i + 2:02d}|{p + resident_id_check_char(p)}|李娜|2026110{1 + i % 2}|无" for i, p in enumerate(people)]]
    lake.write_bytes("landing/civil_marriage_registrations/drop.txt", "\n".join(rows).encode("gb18030"))
    outcome = run_all_approved("civil_marriage_registrations")
    assert outcome.ok, outcome.refused
    out = read_dataset(lake, "civil_marriage_registrations").to_pylist()
    assert outcome.published["version"] and len(out) == 12
    assert out[0]["applicant_name"] == "[REDACTED]" and out[0]["applicant_id"].startswith("pk1_")
    assert "张伟" not in out[0]["note"] and "13812345678" not in out[0]["note"]
