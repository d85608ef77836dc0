"""The CSV reader reads plain lines in bulk and everything else line by line, with one outcome."""

import io

import pytest

import jobs.readers.csv_reader as csv_reader
from jobs.readers import ColumnSpec, ReadSettings, RecordBlock, open_delivered

SETTINGS = ReadSettings(dataset="people", format="csv", encoding="gbk", delimiter=",", file_pattern="*.csv",
                        columns=(ColumnSpec("id", False, ("编号",)), ColumnSpec("name", True, ("姓名",)),
                                 ColumnSpec("note", True, ("备注",))))


def _extract(eol: bytes) -> bytes:
    """Several MiB: mostly plain rows, with every kind of awkward line, some across chunk boundaries."""
    lines = ["编号,姓名,备注".encode("gbk")]
    awkward = {
        5_000: b'7,"\xd5\xc5\xc8\xfd' + eol + b'second line",x',  # a quoted field over two lines
        17_000: b"8,only two",  # too few fields
        29_000: b"",  # a blank line
        41_000: b"9,a\x07b,c",  # a control character
        53_000: b"10,\xff\xfe,c",  # bytes that are not GBK
        65_000: b'11,"never closed,c',  # a quote that never closes
        77_000: b"12,a,b,c",  # too many fields
    }
    for n in range(90_000):
        lines.append(awkward.get(n, f"{n},姓名{n % 97},备注 {n}".encode("gbk")))
    return eol.join(lines) + eol


def _read(data: bytes):
    opened = open_delivered(io.BytesIO(data), "landing/people/p.csv", SETTINGS)
    return list(opened.items)


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_bulk_reading_gives_what_line_by_line_reading_gives(eol, monkeypatch):
    data = _extract(eol)
    items = _read(data)
    blocks = [i for i in items if isinstance(i, RecordBlock)]
    assert blocks and sum(b.count for b in blocks) > 80_000, "plain lines are read in bulk"
    bulk = [r for i in items for r in (i.records() if isinstance(i, RecordBlock) else [i])]

    monkeypatch.setattr(csv_reader, "_plain_fields", lambda *args: None)
    one_by_one = _read(data)
    assert not any(isinstance(i, RecordBlock) for i in one_by_one)
    assert bulk == one_by_one

    problems = {r.line: r.problem for r in bulk if r.problem}
    assert sorted(problems) == [17_003, 41_003, 53_003, 65_003, 77_003]
    assert "no value for note" in problems[17_003]
    assert "column name: holds a control character" in problems[41_003]
    assert "not valid gbk text" in problems[53_003]
    assert "a quote opens here and is never closed" in problems[65_003]
    spanning = next(r for r in bulk if r.values and r.values["name"].startswith("张三"))
    assert spanning.line == 5_002 and spanning.values["name"] == "张三\nsecond line"
    last = bulk[-1]
    assert last.line == 90_002 and last.values == {"id": "89999", "name": "姓名80", "note": "备注 89999"}


def test_a_stray_byte_order_mark_at_a_block_start_is_kept_as_line_by_line_reading_keeps_it():
    from jobs.readers.text import LineBlock

    raws = ["\ufeff1,张三,a".encode(), "2,李四,b".encode()]
    block = LineBlock(7, raws, "utf-8", False)
    assert csv_reader._plain_fields(block, ",", 3) is None  # pyarrow's parser would drop it as a BOM
    assert csv_reader._plain_fields(LineBlock(7, raws[1:], "utf-8", False), ",", 3) is not None
