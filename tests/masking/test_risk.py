"""k-anonymity / l-diversity with Spark aggregations, cross-checked against pycanon."""

import random

import pandas as pd
import pytest
from pycanon import anonymity

from masking.risk import measure, passes, with_class_stats


@pytest.fixture(scope="module")
def people():
    rng = random.Random(5)
    return pd.DataFrame({
        "gender": [rng.choice("男女") for _ in range(400)],
        "birth_year": [rng.randrange(1950, 2005) for _ in range(400)],
        "district": [rng.choice(["福田区", "南山区", "罗湖区"]) for _ in range(400)],
        "salary": [rng.choice([3000, 5000, 8000, 12000]) for _ in range(400)],
    })


@pytest.mark.parametrize("qis", [["gender"], ["gender", "district"], ["gender", "birth_year", "district"]])
def test_k_and_l_match_pycanon(spark, people, qis):
    df = spark.createDataFrame(people)
    m = measure(df, qis, ["salary"], k=5)
    assert m.k == anonymity.k_anonymity(people, qis)
    assert m.l == anonymity.l_diversity(people, qis, ["salary"])
    assert m.rows == 400 and m.classes == people.groupby(qis).ngroups
    assert sum(m.class_sizes.values()) == m.classes


def test_rows_below_k_and_suppression(spark, people):
    qis = ["gender", "birth_year", "district"]
    df = spark.createDataFrame(people)
    m = measure(df, qis, k=5)
    sizes = people.groupby(qis).size()
    assert m.rows_below_k == int(sizes[sizes < 5].sum())
    kept = with_class_stats(df, qis, []).where("_class_size >= 5")
    after = measure(kept, qis, k=5)
    assert after.k >= 5 and passes(after, 5, None) and after.rows == 400 - m.rows_below_k


def test_no_quasi_identifiers(spark, people):
    m = measure(spark.createDataFrame(people), [], k=5)
    assert m.rows == 400 and m.rows_below_k == 0
