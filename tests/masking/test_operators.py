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
    assert set(OPERATORS) == {"redact", "partial_mask", "generalize_date", "generalize_address", "pseudonym"}
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


@pytest.mark.parametrize("granularity,expected", [("year", 1986), ("month", "1986-01"), ("band5", "1985-1989")])
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
