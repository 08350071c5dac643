"""The seasonal table (risk.seasonal): estimated from the training firms, applied with the model's table whatever
firms are built together, no Spring Festival decline, saved with the model."""
import numpy as np
import pandas as pd
import pytest

from risk import catalogue, features, model, registry, seasonal
from seed import departments

SA = [n for n in catalogue.NAMES if n.endswith("_sa")]
AS_OF = pd.Timestamp(departments.city.AS_OF)


@pytest.fixture(scope="module")
def city():
    return departments.generate(600, months=24, seed=11)


def test_the_table_learns_the_spring_festival_dip_per_industry(city):
    t = features.seasonal_estimate(city, AS_OF).table()
    assert set(t["factors"]) == {"revenue", "util_water", "util_electricity", "util_gas"}
    rev = t["factors"]["revenue"]
    assert rev["*"][1] < -0.1 and rev["*"][1] == min(rev["*"])  # February, the lowest month of all industries
    for f in rev.values():
        assert abs(sum(f)) < 1e-4 and len(f) == 12  # centred: the 12 factors multiply to one
    # construction (E) dips harder than the city's average: its own factors, shrunk towards the average
    assert rev["E"][1] < rev["*"][1]
    # the generator's construction season (February 0.50 against May 1.10) is read between the city's and its own
    assert 0.50 / 1.10 < np.exp(rev["E"][1] - rev["E"][4]) < np.exp(rev["*"][1] - rev["*"][4])


def test_a_firm_built_alone_or_among_others_gets_the_same_adjusted_features(city):
    table = features.seasonal_estimate(city, AS_OF, usccs=city["registry"]["uscc"][:300]).table()
    X = features.build(city, AS_OF, seasonal=table)
    assert X[SA].notna().mean().min() > 0.9
    some = list(X.index[[3, 250, 599 - 20]])
    alone = pd.concat([features.build(city, AS_OF, usccs=[u], seasonal=table) for u in some])
    pd.testing.assert_frame_equal(alone[SA], X.loc[some, SA])
    # another table (other firms) gives other figures: the table, not the company a firm keeps, decides
    other = features.seasonal_estimate(city, AS_OF, usccs=city["registry"]["uscc"][300:]).table()
    assert not features.build(city, AS_OF, usccs=some, seasonal=other)[SA].equals(X.loc[some, SA])


def test_without_a_table_the_adjusted_features_are_missing_not_guessed(city):
    X = features.build(city, AS_OF)
    assert X[SA].isna().all().all()
    assert X.drop(columns=SA).equals(features.build(city, AS_OF, seasonal=features.seasonal_estimate(
        city, AS_OF).table()).drop(columns=SA))


def test_february_is_not_read_as_decline(city):
    """A steady firm's seasonally adjusted February revenue is at its own level; the raw ratio would dip."""
    table = features.seasonal_estimate(city, AS_OF).table()
    march = pd.Timestamp("2026-03-01")  # features as of 1 March: the latest month is February
    X = features.build(city, march, seasonal=table)
    assert abs(X["revenue_1m_vs_12m_sa"].median()) < 0.05
    f = table["factors"]["revenue"]["*"]
    assert np.exp(f[1]) < 0.9  # while an unadjusted February would read some 15 % below the year


def test_the_table_is_saved_with_the_model(tmp_path, city):
    table = features.seasonal_estimate(city, AS_OF).table()
    X = features.build(city, AS_OF, seasonal=table)
    y = city["outcomes"].set_index("uscc")["defaulted_12m"].reindex(X.index).astype(int)
    m = model.train(X, y, measure=False)
    m.seasonal = table
    loaded = registry.load(registry.save(m, tmp_path))
    assert loaded.seasonal == table
    assert loaded.recalibrated(0.1, 1.0).seasonal == table  # a recalibrated version keeps it
    again = features.build(city, AS_OF, seasonal=loaded.seasonal)
    np.testing.assert_allclose(loaded.predict_pd(again), m.predict_pd(X))


def test_adjust_falls_back_to_all_industries_for_an_unknown_one():
    table = {"factors": {"revenue": {"*": [0.0] * 11 + [np.log(2)], "C": [np.log(2)] + [0.0] * 11}}}
    v = np.full((2, 2), 100.0)
    moy = np.array([11, 0])  # December, then January
    out = seasonal.adjust(table, "revenue", v, np.array(["C", "Z"], dtype=object), moy)
    np.testing.assert_allclose(out, [[100.0, 50.0], [50.0, 100.0]])
