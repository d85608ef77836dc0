"""Property tests: arbitrary strings through every masking operator.

An operator never fails on what it is given (rows out, or null for what it cannot read), and
it never hands back the identifier it was given, whole or inside its output.
"""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from masking.checksums import resident_id_check_char, uscc_check_char
from masking.keys import domain_key
from masking.operators import OPERATORS, MaskContext, get_operator

# Every operator with the parameters a contract may give it (date_shift is keyed on a person column).
PARAMS = {
    "redact": [{}, {"replacement": "***"}],
    "partial_mask": [{}, {"keep_first": 1, "keep_last": 1}, {"keep_first": 0, "keep_last": 0, "mask_char": "#"}],
    "generalize_date": [{}, {"granularity": "month"}, {"granularity": "band", "width": 10}],
    "generalize_address": [{}],
    "generalize_number": [{}, {"bands": [0, 10, 100]}],
    "pseudonym": [{}],
    "suppress": [{}],
    "date_shift": [{"person_column": "p"}],
}


def test_every_operator_has_its_parameters_listed():
    assert set(PARAMS) == set(OPERATORS)
    for name, variants in PARAMS.items():
        for params in variants:
            assert get_operator(name).check_params(params) == [], (name, params)


@st.composite
def resident_ids(draw):
    birth = draw(st.dates(dt.date(1920, 1, 1), dt.date(2020, 12, 31)))
    first = f"{draw(st.integers(110000, 820000))}{birth:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return first + resident_id_check_char(first)


@st.composite
def credit_codes(draw):
    body = "91" + draw(st.text("0123456789", min_size=6, max_size=6)) + draw(
        st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=9, max_size=9))
    return body + uscc_check_char(body)


IDENTIFIERS = st.one_of(
    resident_ids(),
    credit_codes(),
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),  # mobile
    st.from_regex(r"62[0-9]{14,17}", fullmatch=True),  # UnionPay card
    st.from_regex(r"[EG][0-9]{8}", fullmatch=True),  # passport
    st.from_regex(r"[a-z]{3,10}\.[a-z]{2,8}@example\.(com|cn|org)", fullmatch=True),  # e-mail
    st.text("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", min_size=1, max_size=1).flatmap(
        lambda s: st.text("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚", min_size=1, max_size=2).map(lambda g: s + g)),  # name
)
ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
ENTITIES = st.sampled_from(["CN_RESIDENT_ID", "CN_USCC", "PHONE_NUMBER", "PERSON", "LOCATION", "EMAIL_ADDRESS", "X"])


@pytest.fixture(scope="module")
def ctx():
    return MaskContext(key=domain_key("property-tests"))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(ANY_TEXT, IDENTIFIERS), entity=ENTITIES)
def test_span_masking_never_fails(ctx, text, entity):
    for name, variants in PARAMS.items():
        for params in variants:
            assert isinstance(get_operator(name).span(text, entity, params, ctx), str), (name, params)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(identifier=IDENTIFIERS, entity=ENTITIES)
def test_no_operator_returns_its_input_identifier(ctx, identifier, entity):
    for name, variants in PARAMS.items():
        for params in variants:
            out = get_operator(name).span(identifier, entity, params, ctx)
            assert identifier not in out, (name, params, identifier, out)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(values=st.lists(st.one_of(st.none(), ANY_TEXT, IDENTIFIERS), min_size=1, max_size=60))
def test_column_masking_never_fails_and_never_returns_an_identifier(spark, ctx, values):
    """The same operators as vectorised Spark expressions, all in one job per example."""
    from pyspark.sql import functions as F

    df = spark.createDataFrame([(v, v, dt.date(2000, 1, 1)) for v in values], "v string, p string, d date")
    exprs, labels = [], []
    for name, variants in PARAMS.items():
        for i, params in enumerate(variants):
            source = F.col("d") if name == "date_shift" else F.col("v")
            exprs.append(get_operator(name).column(source, "CN_RESIDENT_ID", params, ctx).cast("string")
                         .alias(f"c{len(exprs)}"))
            labels.append((name, i))
    rows = df.select("v", *exprs).collect()
    for row in rows:
        v = row["v"]
        for (name, i), out in zip(labels, row[1:]):
            if v is None:
                assert out is None or name == "date_shift", (name, i)
            elif len(v) >= 5 and name not in ("generalize_address",) and v.strip():
                assert out is None or v not in out, (name, PARAMS[name][i], v, out)
