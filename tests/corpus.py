"""The corpus of bad deliveries: what departments really send, and what govlake must do with each.

Every case is a small file (or a few) built here, the dataset it is delivered to, and the
outcome its contract asks for:

- ``published``: every row reaches curated data;
- ``rows quarantined``: the bad rows go to quarantine with a reason naming file, line and
  column, the others are published;
- ``refused``: the delivery is refused as a whole, with the reason; nothing of it is published;
- ``rejected``: ingested, but a critical expectation rejects the batch;
- ``not ingested`` / ``duplicate``: the file is reported, never read as a delivery.

``where`` says which layer decides: the reader (``jobs.readers``, no Spark), the landing scan
(``jobs.landing``) or validation. Tests check each case where it is decided, and all of them
together through the whole pipeline.

Personal values in the corpus come from :data:`CANARIES`; none may ever appear in a message.
"""

from __future__ import annotations

import bz2
import contextlib
import datetime as dt
import decimal
import gzip
import io
import json
import random
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from masking.checksums import resident_id_check_char
from tests.environment import temporary_environ

PEOPLE = "corpus_people"  # CSV, GBK, increment, unsigned deliveries accepted
EVENTS = "corpus_events"  # JSON Lines, UTF-8, increment, unsigned deliveries accepted
SIGNED = "corpus_signed"  # CSV, GBK, increment, signed deliveries required
SNAPSHOT = "corpus_snapshot"  # CSV, GBK, snapshot, unsigned accepted: the daily flow

NAMES = ["欧阳青衫", "司徒墨砚", "上官雪棠", "慕容听澜", "诸葛晚晴", "皇甫云舒", "令狐星河", "夏侯清秋",
         "公孙明月", "尉迟飞鸿", "长孙若兰", "宇文修远", "东方既白", "端木凌霜", "独孤静姝", "南宫望舒"]
HEADER = ["证件号码", "姓名", "邮编", "金额", "出生日期", "备注"]
EVENT_KEYS = ["event_id", "person_id", "name", "kind", "amount", "at"]


def resident_id(n: int) -> str:
    first = f"440304{1950 + n % 50}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first + resident_id_check_char(first)


CANARIES = NAMES + [resident_id(n) for n in range(5000)]


def contract_docs() -> dict[str, dict]:
    """The corpus's own contracts (small, so they do not need the demo's risk gate)."""
    people_schema = [
        {"name": "person_id", "type": "string", "nullable": False, "aliases": ["证件号码"],
         "personal": {"entity": "CN_RESIDENT_ID", "operator": "pseudonym"}},
        {"name": "name", "type": "string", "aliases": ["姓名"], "personal": {"entity": "PERSON", "operator": "redact"}},
        {"name": "post_code", "type": "string", "aliases": ["邮编"]},
        {"name": "amount", "type": "decimal(12,2)", "aliases": ["金额"]},
        {"name": "born", "type": "date", "aliases": ["出生日期"]},
        {"name": "note", "type": "string", "aliases": ["备注"]},
    ]

    def people(dataset, mode, signature):
        return {"dataset": dataset, "title": dataset,
                "owner": {"department": "corpus_department", "level": "city", "region_code": "440300"},
                "delivery": {"mode": mode, "signature": signature},
                "source": {"format": "csv", "encoding": "gbk", "delimiter": ",", "file_pattern": "*.csv"},
                "schema": people_schema, "quasi_identifiers": [], "risk": {"k": 1},
                "discovery": {"ignore_columns": ["note"]},
                "expectations": "corpus_people", "pseudonym_domain": "corpus"}

    events = {"dataset": EVENTS, "title": EVENTS,
              "owner": {"department": "corpus_department", "level": "city", "region_code": "440300"},
              "delivery": {"mode": "increment", "signature": "optional"},
              "source": {"format": "jsonl", "encoding": "utf-8", "file_pattern": "*.jsonl"},
              "schema": [
                  {"name": "event_id", "type": "string", "nullable": False},
                  {"name": "person_id", "type": "string", "personal": {"entity": "CN_RESIDENT_ID", "operator": "pseudonym"}},
                  {"name": "name", "type": "string", "personal": {"entity": "PERSON", "operator": "redact"}},
                  {"name": "kind", "type": "string"},
                  {"name": "amount", "type": "decimal(12,2)"},
                  {"name": "at", "type": "timestamp"}],
              "quasi_identifiers": [], "risk": {"k": 1}, "expectations": "corpus_events", "pseudonym_domain": "corpus"}
    return {PEOPLE: people(PEOPLE, "increment", "optional"), SIGNED: people(SIGNED, "increment", "required"),
            SNAPSHOT: people(SNAPSHOT, "snapshot", "optional"), EVENTS: events}


SUITES = {
    "corpus_people": {"name": "corpus_people", "expectations": [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}, "severity": "critical"},
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "person_id", "regex": "^[1-8][0-9]{16}[0-9X]$"}},
    ]},
    "corpus_events": {"name": "corpus_events", "expectations": [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}, "severity": "critical"},
    ]},
}


@contextlib.contextmanager
def corpus_config(folder: Path) -> Iterator[Path]:
    """Contracts and suites for a test: the shipped ones plus the corpus's own, set in the environment."""
    import yaml

    from govlake.config import REPO_ROOT

    shutil.copytree(REPO_ROOT / "contracts", folder / "contracts")
    shutil.copytree(REPO_ROOT / "expectations", folder / "suites")
    for name, doc in contract_docs().items():
        (folder / "contracts" / f"{name}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    for name, doc in SUITES.items():
        (folder / "suites" / f"{name}.json").write_text(json.dumps(doc, ensure_ascii=False))
    with temporary_environ({"GOVLAKE_CONTRACTS_DIR": str(folder / "contracts"),
                            "GOVLAKE_EXPECTATIONS_DIR": str(folder / "suites")}):
        yield folder


# -- builders --------------------------------------------------------------------------------------

def people_rows(seed: int, n: int) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        k = seed * 37 + i
        rows.append([resident_id(k % 5000), rng.choice(NAMES), f"{rng.randrange(1000):06d}",
                     f"{rng.randrange(100, 99999)}.{rng.randrange(100):02d}",
                     (dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000))).isoformat(), "普通记录"])
    return rows


def csv_text(rows: list[list[str]], header: list[str] | None = HEADER, sep: str = ",", eol: str = "\r\n") -> str:
    def field(v: str) -> str:
        return f'"{v.replace(chr(34), chr(34) * 2)}"' if any(c in v for c in (sep, '"', "\n", "\r")) else v
    lines = ([sep.join(header)] if header else []) + [sep.join(field(v) for v in r) for r in rows]
    return eol.join(lines) + eol


def people(seed: int, n: int = 5, encoding: str = "gbk", **kw) -> bytes:
    return csv_text(people_rows(seed, n), **kw).encode(encoding)


def events_lines(seed: int, n: int = 5) -> list[dict]:
    rng = random.Random(seed)
    return [{"event_id": f"E{seed:03d}{i:04d}", "person_id": resident_id((seed * 41 + i) % 5000),
             "name": rng.choice(NAMES), "kind": rng.choice(["apply", "renew", "close"]),
             "amount": round(rng.uniform(1, 9999), 2), "at": f"2026-11-{1 + i % 28:02d} 08:{i % 60:02d}:00"}
            for i in range(n)]


def jsonl(records: list, encoding: str = "utf-8") -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records).encode(encoding)


def zipped(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 11, 21, 8, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


# -- the cases ---------------------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    kind: str
    dataset: str
    files: dict[str, bytes | str]  # file name -> content; "FIFO" or "SYMLINK:<target>" for special entries
    rows: int  # data rows delivered
    outcome: str
    reasons: list[str] = field(default_factory=list)  # expected in the reason(s), by substring
    quarantined: int = 0
    where: str = "reader"  # reader, landing or validate
    check: Callable[[list[dict]], None] | None = None  # on the curated rows of this case
    signed: bool = False  # deliver with a signed manifest (SIGNED dataset)

    @property
    def data_file(self) -> str:
        return next(iter(self.files))


def _big_note_row(seed: int) -> list[list[str]]:
    rows = people_rows(seed, 3)
    rows[1][5] = "长" * (700_000)  # 2.1 MB in GBK: over the 1 MiB record limit
    return rows


def _with_line(seed: int, n: int, index: int, line: str, encoding: str = "gbk") -> bytes:
    lines = csv_text(people_rows(seed, n)).split("\r\n")
    lines[index] = line
    return "\r\n".join(lines).encode(encoding)


def _equals(column: str, value) -> Callable[[list[dict]], None]:
    def check(rows: list[dict]) -> None:
        assert [r[column] for r in rows] and all(r[column] == value for r in rows[:1]), (column, rows[:1])
    return check


def _has_multiline_note(rows: list[dict]) -> None:
    assert any("\n" in (r["note"] or "") and '"' in (r["note"] or "") for r in rows), rows


def cases() -> list[Case]:
    p = people
    c: list[Case] = []
    # encodings
    c.append(Case("utf8_declared_gbk", "encodings", PEOPLE, {"utf8_declared_gbk.csv": p(1, encoding="utf-8")}, 5,
                  "refused", ["utf8_declared_gbk.csv: the bytes are UTF-8 but the contract says gbk"]))
    c.append(Case("utf8_bom_declared_gbk", "encodings", PEOPLE,
                  {"utf8_bom_declared_gbk.csv": b"\xef\xbb\xbf" + p(2, encoding="utf-8")}, 5, "published"))
    c.append(Case("utf16_bom", "encodings", PEOPLE, {"utf16_bom.csv": p(3, encoding="utf-16")}, 5, "published"))
    c.append(Case("utf16_excel_unicode_text", "encodings", PEOPLE,
                  {"utf16_excel_unicode_text.csv": csv_text(people_rows(4, 5), sep="\t").encode("utf-16")}, 5,
                  "refused", ["line 1: the first line matches none of the contract's columns",
                              "is the file tab-delimited?"]))
    c.append(Case("utf16_without_bom", "encodings", PEOPLE, {"utf16_without_bom.csv": p(5, encoding="utf-16-le")}, 5,
                  "refused", ["UTF-16 text without a byte-order mark"]))
    foreign = _with_line(6, 5, 2, f"{resident_id(601)},XX,000001,1.00,1980-01-01,x").replace(b",XX,", b",\xff\xfe,")
    c.append(Case("foreign_bytes", "encodings", PEOPLE, {"foreign_bytes.csv": foreign}, 5, "rows quarantined",
                  ["foreign_bytes.csv: line 3: column name: not valid gbk text"], quarantined=1))
    c.append(Case("gb18030_declared_utf8", "encodings", EVENTS,
                  {"gb18030_declared_utf8.jsonl": jsonl(events_lines(7), encoding="gb18030")}, 5, "refused",
                  ["not valid UTF-8 but read as GB18030/GBK"]))
    # line endings
    for i, (name, eol) in enumerate((("crlf", "\r\n"), ("lf", "\n"), ("cr", "\r"))):
        c.append(Case(f"line_endings_{name}", "line endings", PEOPLE, {f"line_endings_{name}.csv": p(10 + i, eol=eol)},
                      5, "published"))
    mixed = csv_text(people_rows(13, 6)).split("\r\n")
    c.append(Case("line_endings_mixed", "line endings", PEOPLE,
                  {"line_endings_mixed.csv": (mixed[0] + "\n" + mixed[1] + "\r" + mixed[2] + "\r\n" + "\n".join(mixed[3:]))
                   .encode("gbk")}, 6, "published"))
    # quoting
    quoted = people_rows(14, 4)
    quoted[1][5] = '第一行\n第二行 "引号"'
    c.append(Case("embedded_newlines_and_quotes", "quoting", PEOPLE,
                  {"embedded_newlines_and_quotes.csv": csv_text(quoted).encode("gbk")}, 4, "published",
                  check=_has_multiline_note))
    rows = people_rows(15, 8)
    lines = csv_text(rows).split("\r\n")
    lines[3] = lines[3].rsplit(",", 1)[0] + ',"没有结束的引号'
    c.append(Case("unterminated_quote", "quoting", PEOPLE, {"unterminated_quote.csv": "\r\n".join(lines).encode("gbk")},
                  8, "rows quarantined",
                  ["unterminated_quote.csv: line 4: column note: a quote opens here and is never closed"], quarantined=1))
    lines = csv_text(people_rows(16, 4)).rstrip("\r\n").split("\r\n")
    lines[-1] = lines[-1].rsplit(",", 1)[0] + ',"到文件末尾'
    c.append(Case("unterminated_quote_last_line", "quoting", PEOPLE,
                  {"unterminated_quote_last_line.csv": "\r\n".join(lines).encode("gbk")}, 4, "rows quarantined",
                  ["line 5: column note: a quote opens here and is never closed"], quarantined=1))
    # shape
    c.append(Case("empty_file", "shape", PEOPLE, {"empty_file.csv": b""}, 0, "refused", ["empty_file.csv: empty file"]))
    c.append(Case("header_only", "shape", PEOPLE, {"header_only.csv": p(17, n=0)}, 0, "rejected",
                  ["critical expectation(s) failed: expect_table_row_count_to_be_between"], where="validate"))
    dup = HEADER[:] + ["姓名"]
    c.append(Case("duplicate_column", "shape", PEOPLE,
                  {"duplicate_column.csv": csv_text([r + [r[1]] for r in people_rows(18, 3)], header=dup).encode("gbk")},
                  3, "refused", ["line 1: columns 2 and 7 of the header both hold name (姓名)"]))
    c.append(Case("missing_column", "shape", PEOPLE,
                  {"missing_column.csv": csv_text([r[:5] for r in people_rows(19, 3)], header=HEADER[:5]).encode("gbk")},
                  3, "refused", ["line 1: the header lacks column(s) note (备注)"]))
    c.append(Case("renamed_column", "shape", PEOPLE,
                  {"renamed_column.csv": csv_text(people_rows(20, 3), header=HEADER[:5] + ["说明"]).encode("gbk")},
                  3, "refused", ["the header lacks column(s) note (备注)", "column 6 (说明)", "renamed?"]))
    c.append(Case("extra_column", "shape", PEOPLE,
                  {"extra_column.csv": csv_text([r + ["x"] for r in people_rows(21, 3)], header=HEADER + ["备用"])
                   .encode("gbk")}, 3, "published"))
    lines = csv_text(people_rows(22, 5)).split("\r\n")
    lines[2] = ",".join(lines[2].split(",")[:4])
    c.append(Case("too_few_fields", "shape", PEOPLE, {"too_few_fields.csv": "\r\n".join(lines).encode("gbk")}, 5,
                  "rows quarantined", ["too_few_fields.csv: line 3: 4 fields where the header has 6 (no value for born, note)"],
                  quarantined=1))
    lines = csv_text(people_rows(23, 5)).split("\r\n")
    lines[4] = lines[4] + ",多余,字段"
    c.append(Case("too_many_fields", "shape", PEOPLE, {"too_many_fields.csv": "\r\n".join(lines).encode("gbk")}, 5,
                  "rows quarantined", ["too_many_fields.csv: line 5: 8 fields where the header has 6"], quarantined=1))
    wide = HEADER + [f"extra_{i}" for i in range(5000)]
    c.append(Case("thousands_of_columns", "shape", PEOPLE,
                  {"thousands_of_columns.csv": csv_text([r + [""] * 5000 for r in people_rows(24, 3)], header=wide)
                   .encode("gbk")}, 3, "published"))
    c.append(Case("very_long_line", "shape", PEOPLE, {"very_long_line.csv": csv_text(_big_note_row(25)).encode("gbk")},
                  3, "rows quarantined", ["very_long_line.csv: line 3: longer than the limit of 1048576 bytes"],
                  quarantined=1))
    c.append(Case("missing_header", "shape", PEOPLE, {"missing_header.csv": p(26, header=None)}, 5, "refused",
                  ["missing_header.csv: line 1: the first line matches none of the contract's columns",
                   "is the header row missing?"]))
    # values
    c.append(Case("text_in_number", "values", PEOPLE,
                  {"text_in_number.csv": _with_line(27, 4, 2, f"{resident_id(2701)},{NAMES[1]},000001,一百元,1980-01-01,x")},
                  4, "rows quarantined", ["text_in_number.csv: line 3: column amount: not a valid decimal(12,2)"],
                  quarantined=1, where="ingest"))
    c.append(Case("impossible_date", "values", PEOPLE,
                  {"impossible_date.csv": _with_line(28, 4, 3, f"{resident_id(2801)},{NAMES[2]},000002,1.00,1990-13-45,x")},
                  4, "rows quarantined", ["impossible_date.csv: line 4: column born: not a valid date"], quarantined=1,
                  where="ingest"))
    c.append(Case("thousands_separators", "values", PEOPLE,
                  {"thousands_separators.csv": csv_text([[resident_id(2901), NAMES[3], "000003", "12,345.60", "1980-01-01",
                                                          "x"]]).encode("gbk")}, 1, "published",
                  check=_equals("amount", decimal.Decimal("12345.60"))))
    c.append(Case("fullwidth_digits", "values", PEOPLE,
                  {"fullwidth_digits.csv": csv_text([[resident_id(3001), NAMES[4], "000004", "１２３４．５０",
                                                      "１９８０－０２－０３", "x"]]).encode("gbk")}, 1, "published",
                  check=_equals("amount", decimal.Decimal("1234.50"))))
    c.append(Case("leading_zeros", "values", PEOPLE,
                  {"leading_zeros.csv": csv_text([[resident_id(3101), NAMES[5], "000123", "1.00", "1980-01-01", "x"]])
                   .encode("gbk")}, 1, "published", check=_equals("post_code", "000123")))
    c.append(Case("nul_byte", "values", PEOPLE,
                  {"nul_byte.csv": _with_line(32, 4, 2, f"{resident_id(3201)},{NAMES[6]},000005,1.00,1980-01-01,a\x00b")},
                  4, "rows quarantined", ["nul_byte.csv: line 3: column note: holds a control character (U+0000)"],
                  quarantined=1))
    c.append(Case("control_characters", "values", PEOPLE,
                  {"control_characters.csv": _with_line(33, 4, 4,
                                                        f"{resident_id(3301)},{NAMES[7]}\x07,000006,1.00,1980-01-01,x")},
                  4, "rows quarantined", ["line 5: column name: holds a control character (U+0007)"], quarantined=1))
    # files
    lines = csv_text(people_rows(34, 5)).split("\r\n")[:-1]
    last = lines[-1]
    lines[-1] = last[: last.index(",", last.index(",") + 1) + 3]  # cut inside the post code; no line end
    c.append(Case("truncated_mid_row", "files", PEOPLE, {"truncated_mid_row.csv": "\r\n".join(lines).encode("gbk")}, 5,
                  "rows quarantined", ["truncated_mid_row.csv: line 6: 3 fields where the header has 6 "
                                       "(no value for amount, born, note)"], quarantined=1))
    c.append(Case("gzip_compressed", "files", PEOPLE, {"gzip_compressed.csv.gz": gzip.compress(p(35), mtime=0)}, 5, "published"))
    c.append(Case("bzip2_compressed", "files", PEOPLE, {"bzip2_compressed.csv.bz2": bz2.compress(p(36))}, 5, "published"))
    c.append(Case("zip_archive", "files", PEOPLE, {"zip_archive.zip": zipped("inner.csv", p(37))}, 5, "published"))
    c.append(Case("corrupt_gzip", "files", PEOPLE, {"corrupt_gzip.csv.gz": gzip.compress(p(38, n=50), mtime=0)[:-40]}, 50,
                  "refused", ["corrupt_gzip.csv.gz: the gzip archive is corrupt or truncated"], where="landing"))
    broken_zip = bytearray(zipped("inner.csv", p(39, n=50)))
    broken_zip[60:90] = b"\x00" * 30
    c.append(Case("corrupt_zip", "files", PEOPLE, {"corrupt_zip.zip": bytes(broken_zip)}, 50, "refused",
                  ["corrupt_zip.zip"], where="landing"))
    twice = p(40)
    c.append(Case("same_file_twice", "files", PEOPLE, {"same_file_twice_a.csv": twice, "same_file_twice_b.csv": twice},
                  5, "duplicate", ["identical"], where="landing"))
    c.append(Case("other_format_beside", "files", PEOPLE,
                  {"other_format_beside.xlsx": zipped("xl/workbook.xml", b"<workbook/>"),
                   "other_format_beside.csv.7z": b"7z\xbc\xaf\x27\x1c" + b"\x00" * 20},
                  0, "not ingested", ["does not match the contract's pattern '*.csv'", "a 7z archive"], where="landing"))
    c.append(Case("name_not_matching", "files", PEOPLE, {"name_not_matching.txt": p(41)}, 0, "not ingested",
                  ["does not match the contract's pattern '*.csv'"], where="landing"))
    c.append(Case("not_a_regular_file", "files", PEOPLE,
                  {"not_a_regular_file.csv": "FIFO", "not_a_regular_link.csv": "SYMLINK:/etc/hostname"}, 0,
                  "not ingested", ["not a regular file (a FIFO, socket or device)", "not a regular file (a symbolic link)"],
                  where="landing"))
    # JSON Lines
    ev = events_lines(50, 5)
    c.append(Case("json_broken_line", "json lines", EVENTS,
                  {"json_broken_line.jsonl": jsonl([ev[0], json.dumps(ev[1], ensure_ascii=False)[:30], *ev[2:]])}, 5,
                  "rows quarantined", ["json_broken_line.jsonl: line 2: not valid JSON"], quarantined=1))
    c.append(Case("json_non_object_lines", "json lines", EVENTS,
                  {"json_non_object_lines.jsonl": jsonl([ev[0], "[1, 2]", "42", '"text"', ev[1]])}, 5,
                  "rows quarantined", ["line 2: a JSON array where an object is expected",
                                       "line 3: a JSON number where an object is expected"], quarantined=3))
    nested = [dict(e) for e in events_lines(51, 4)]
    nested[2]["kind"] = {"code": "apply", "label": "申请"}
    c.append(Case("json_nested_value", "json lines", EVENTS, {"json_nested_value.jsonl": jsonl(nested)}, 4,
                  "rows quarantined", ["line 3: column kind: a nested object where a single value is expected"],
                  quarantined=1))
    dupkey = events_lines(52, 3)
    text = json.dumps(dupkey[1], ensure_ascii=False)
    c.append(Case("json_duplicate_key", "json lines", EVENTS,
                  {"json_duplicate_key.jsonl": jsonl([dupkey[0], text[:-1] + ', "kind": "close"}', dupkey[2]])}, 3,
                  "rows quarantined", ["line 2: kind appears twice in the object"], quarantined=1))
    c.append(Case("json_with_bom", "json lines", EVENTS, {"json_with_bom.jsonl": b"\xef\xbb\xbf" + jsonl(events_lines(53))},
                  5, "published"))
    return c


def signature_cases() -> list[Case]:
    """Signed deliveries to the SIGNED dataset; built by tests/jobs/test_signed_deliveries.py with real keys."""
    return [
        Case("signed_ok", "signatures", SIGNED, {"signed_ok.csv": people(60)}, 5, "published", signed=True),
        Case("unsigned", "signatures", SIGNED, {"unsigned.csv": people(61)}, 5, "refused",
             ["unsigned.csv: unsigned: no signed delivery manifest lists this file"], where="landing"),
    ]
