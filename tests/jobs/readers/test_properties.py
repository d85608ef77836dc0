"""Property tests: arbitrary bytes and arbitrary values through the readers.

Whatever a department sends, a reader yields records (each a value or a problem naming its
line) or refuses the file with a DeliveryError; it never fails any other way. And what a
correct CSV or JSON Lines writer produces, the reader reads back exactly.
"""

import csv
import io
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govlake.contracts import parse_contract
from govlake.errors import DeliveryError
from jobs.readers import ReadSettings, read_all
from tests.corpus import EVENTS, PEOPLE, contract_docs

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reader_settings(dataset: str, **source) -> ReadSettings:
    doc = contract_docs()[dataset]
    doc["source"] = {**doc["source"], **source}
    return ReadSettings.from_contract(parse_contract(doc, Path(f"{dataset}.yaml")))


CSV_GBK = reader_settings(PEOPLE)
CSV_UTF8 = reader_settings(PEOPLE, encoding="utf-8")
CSV_UTF16 = reader_settings(PEOPLE, encoding="utf-16-le")
JSONL = reader_settings(EVENTS)
HEADER = "证件号码,姓名,邮编,金额,出生日期,备注\n"


def rows_or_refusal(data: bytes, settings_: ReadSettings) -> None:
    try:
        _, records = read_all(data, "landing/x/f", settings_)
    except DeliveryError as exc:
        assert str(exc).startswith("landing/x/f"), str(exc)
        return
    last = 0
    for r in records:
        assert isinstance(r.line, int) and r.line >= 1 and r.line >= last
        last = r.line
        assert (r.values is None) == (r.problem is not None)
        if r.problem:
            assert r.problem.startswith(f"line {r.line}: ")
        else:
            assert set(r.values) <= set(settings_.column_names)


@PROPERTY_SETTINGS
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_as_csv(data):
    for s in (CSV_GBK, CSV_UTF8, CSV_UTF16):
        rows_or_refusal(data, s)


@PROPERTY_SETTINGS
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_after_a_good_header(data):
    rows_or_refusal(HEADER.encode("gbk") + data, CSV_GBK)
    rows_or_refusal(HEADER.encode("utf-8") + data, CSV_UTF8)


@PROPERTY_SETTINGS
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_as_json_lines(data):
    rows_or_refusal(data, JSONL)


@PROPERTY_SETTINGS
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40), min_size=1, max_size=40)
       .map(lambda lines: "\n".join(lines).encode("utf-8")))
def test_arbitrary_lines(lines):
    rows_or_refusal(HEADER.encode("utf-8") + lines, CSV_UTF8)


# Text a field may hold: anything printable, quotes, delimiters and line feeds included (a CR would
# come back as a line feed: the reader normalises line breaks inside quoted fields).
FIELD = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r\ufeff\ufffd")
                | st.sampled_from([",", '"', "\n", " "]), max_size=25)


@PROPERTY_SETTINGS
@given(st.lists(st.lists(FIELD, min_size=6, max_size=6), min_size=1, max_size=25))
def test_what_a_csv_writer_writes_is_read_back_exactly(rows):
    rows = [r for r in rows if any(v.strip() for v in r) or len(r) > 1]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADER.strip().split(","))
    writer.writerows(rows)
    _, records = read_all(buf.getvalue().encode("utf-8"), "landing/x/f.csv", CSV_UTF8)
    assert [r.problem for r in records if r.problem] == []
    names = CSV_UTF8.column_names
    assert [[r.values[n] for n in names] for r in records] == rows


@PROPERTY_SETTINGS
@given(st.lists(st.fixed_dictionaries({k: st.one_of(st.none(), FIELD) for k in
                                       ("event_id", "person_id", "name", "kind", "amount", "at")}),
                min_size=1, max_size=20))
def test_what_a_json_writer_writes_is_read_back_exactly(objects):
    data = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects).encode("utf-8")
    _, records = read_all(data, "landing/x/f.jsonl", JSONL)
    assert [r.problem for r in records if r.problem] == []
    assert [r.values for r in records] == objects
