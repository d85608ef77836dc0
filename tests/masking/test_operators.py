"""Every operator, on a Spark column (vectorised) and on a free-text span."""

import datetime as dt

import pytest

from masking.keys import TOKEN_PATTERN, domain_key, token
from masking.operators import OPERATORS, MaskContext, get_operator


@pytest.fixture(scope="module")
def ctx():
    return MaskContext(key=domain_key("shared_services"))


def apply(spark, ctx, name, values, params=None, entity="X", spark_type="string"):
    from pyspark.sql import functions as F

    df = spark.createDataFrame([(v,) for v in values], f"v {spark_type}")
    op = get_operator(name)
    return [r[0] for r in df.select(op.column(F.col("v"), entity, params or {}, ctx).alias("m")).collect()]


def test_registry_lists_every_operator():
    assert set(OPERATORS) == {"redact", "partial_mask", "generalize_date", "generalize_address", "generalize_number",
                              "pseudonym", "suppress", "date_shift"}
    with pytest.raises(KeyError, match="unknown masking operator 'nope'"):
        get_operator("nope")


def test_redact(spark, ctx):
    assert apply(spark, ctx, "redact", ["王秀英", None]) == ["[REDACTED]", None]
    assert get_operator("redact").span("王秀英", "PERSON", {}, ctx) == "<PERSON>"


@pytest.mark.parametrize("value,expected", [
    ("13812345678", "138****5678"), ("138-1234-5678", "138****5678"), ("12345678", "********"), (None, None),
])
def test_partial_mask(spark, ctx, value, expected):
    assert apply(spark, ctx, "partial_mask", [value], {"keep_first": 3, "keep_last": 4}) == [expected]


def test_partial_mask_span(ctx):
    assert get_operator("partial_mask").span("138 1234 5678", "PHONE_NUMBER", {}, ctx) == "138****5678"


@pytest.mark.parametrize("granularity,expected", [("year", "1986"), ("month", "1986-01"), ("band5", "1985-1989")])
def test_generalize_date(spark, ctx, granularity, expected):
    assert apply(spark, ctx, "generalize_date", [dt.date(1986, 1, 7)], {"granularity": granularity},
                 spark_type="date") == [expected]


@pytest.mark.parametrize("value,expected", [
    ("广东省深圳市福田区金田路4018号3栋1201室", "广东省深圳市福田区"),
    ("北京市朝阳区建国路88号", "北京市朝阳区"),
    ("新疆维吾尔自治区乌鲁木齐市天山区解放北路1号", "新疆维吾尔自治区乌鲁木齐市天山区"),
    ("某个不规范的地址", "[REDACTED]"),
    (None, None),
])
def test_generalize_address(spark, ctx, value, expected):
    assert apply(spark, ctx, "generalize_address", [value]) == [expected]


def test_pseudonym_column_matches_python_token(spark, ctx):
    ids = ["11010519491231002X", "11010519491231002x", None]
    out = apply(spark, ctx, "pseudonym", ids, entity="CN_RESIDENT_ID")
    assert out[0] == out[1] == token(ctx.key, "CN_RESIDENT_ID", ids[0])
    assert TOKEN_PATTERN.match(out[0]) and out[2] is None


def test_pseudonym_needs_a_key(spark):
    with pytest.raises(ValueError, match="needs a domain key"):
        get_operator("pseudonym").span("x", "CN_USCC", {}, MaskContext())


def test_suppress_keeps_type(spark, ctx):
    assert apply(spark, ctx, "suppress", [dt.date(1986, 1, 7)], spark_type="date") == [None]


@pytest.mark.parametrize("value,expected", [(23456.0, "20000-50000"), (999.0, "0-1000"), (2e6, ">=1000000"),
                                            (-5.0, "<0"), (None, None)])
def test_generalize_number(spark, ctx, value, expected):
    assert apply(spark, ctx, "generalize_number", [value], spark_type="double") == [expected]


def test_band_of_ten_years(spark, ctx):
    assert apply(spark, ctx, "generalize_date", [dt.date(1986, 1, 7)], {"granularity": "band", "width": 10},
                 spark_type="date") == ["1980-1989"]


def test_date_shift_is_consistent_per_person(spark, ctx):
    from pyspark.sql import functions as F

    rows = [("11010519491231002X", dt.date(2020, 1, 10), dt.date(2020, 3, 1)),
            ("11010519491231002x", dt.date(2021, 5, 5), dt.date(2021, 5, 6)),
            ("440304198001011234", dt.date(2020, 1, 10), dt.date(2020, 1, 10))]
    df = spark.createDataFrame(rows, "pid string, d1 date, d2 date")
    op, params = get_operator("date_shift"), {"person_column": "pid", "max_days": 30}
    out = df.select(op.column(F.col("d1"), "DATE", params, ctx).alias("s1"),
                    op.column(F.col("d2"), "DATE", params, ctx).alias("s2")).collect()
    shift = [(r.s1 - d1).days for r, (_, d1, _) in zip(out, rows)]
    assert shift[0] == shift[1] != 0 and all(abs(s) <= 30 for s in shift)
    assert [(r.s2 - r.s1).days for r in out] == [(d2 - d1).days for _, d1, d2 in rows]  # intervals survive


@pytest.mark.parametrize("name,masked,ok", [
    ("pseudonym", "pk1_ABCDEFGHIJKLMNOPQRSTUVWXYZ", True), ("pseudonym", "11010519491231002X", False),
    ("redact", "[REDACTED]", True), ("redact", "张三", False),
    ("partial_mask", "138****5678", True), ("partial_mask", "13812345678", False),
    ("generalize_address", "广东省深圳市福田区", True), ("generalize_address", "广东省深圳市福田区金田路1号", False),
])
def test_verify_patterns(name, masked, ok):
    import re

    assert bool(re.search(get_operator(name).verify_pattern({}), masked)) is ok
