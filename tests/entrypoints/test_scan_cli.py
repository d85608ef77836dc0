"""`govlake scan`: one finding per line, offsets into the cell's Python string, summary on stderr."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from entrypoints.cli import app

runner = CliRunner()
RID = "11010519491231002X"


def findings(result):
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_csv_in_gbk(tmp_path):
    path = tmp_path / "extract.csv"
    path.write_bytes(f"编号,姓名,备注\n1,张伟,身份证{RID}，手机138-1234-5678\n2,市容环境,无\n".encode("gbk"))
    result = runner.invoke(app, ["scan", str(path)])
    assert result.exit_code == 0, result.output
    found = findings(result)
    assert {"row": 0, "column": "姓名", "start": 0, "end": 2, "entity_type": "PERSON"} in \
        [{k: f[k] for k in ("row", "column", "start", "end", "entity_type")} for f in found]
    note = f"身份证{RID}，手机138-1234-5678"
    by_type = {f["entity_type"]: f for f in found if f["column"] == "备注"}
    assert note[by_type["CN_RESIDENT_ID"]["start"]:by_type["CN_RESIDENT_ID"]["end"]] == RID
    assert note[by_type["PHONE_NUMBER"]["start"]:by_type["PHONE_NUMBER"]["end"]] == "138-1234-5678"
    assert all(set(f) == {"row", "column", "start", "end", "entity_type", "score"} and 0 <= f["score"] <= 1
               for f in found)
    assert not any(f["row"] == 1 for f in found)  # "市容环境" is a category, not a name
    assert "scanned 6 cells" in result.stderr and "备注: CN_RESIDENT_ID x1" in result.stderr


def test_jsonl_with_column_filter_and_table(tmp_path):
    path = tmp_path / "tickets.jsonl"
    rows = [{"id": "T1", "text": "Call John Smith on +86 138 1234 5678", "email": "a@example.com"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", str(path), "--column", "text"])
    assert {f["column"] for f in findings(result)} == {"text"}
    assert {f["entity_type"] for f in findings(result)} == {"PERSON", "PHONE_NUMBER"}
    table = runner.invoke(app, ["scan", str(path), "--format", "table"])
    assert table.exit_code == 0 and "EMAIL_ADDRESS" in table.stdout and "entity_type" in table.stdout.splitlines()[0]


def test_parquet(tmp_path):
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"phone": ["13812345678", None], "n": [1, 2]}), path)
    found = findings(runner.invoke(app, ["scan", str(path)]))
    assert [(f["row"], f["column"], f["entity_type"]) for f in found] == [(0, "phone", "PHONE_NUMBER")]


def test_errors(tmp_path):
    assert runner.invoke(app, ["scan", str(tmp_path / "missing.csv")]).exit_code == 2
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a\n\xff\xfe\xff\n")
    result = runner.invoke(app, ["scan", str(bad), "--encoding", "utf-8"])
    assert result.exit_code == 2 and "not valid text in utf-8" in result.stderr
