"""The WOE scorecard challenger (optbinning): its exported points per attribute reproduce its scores."""
import numpy as np
import pandas as pd

from risk import metrics, scorecard


def frame(n=1500, seed=1):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"debt": rng.gamma(2, 1, n), "income": rng.normal(0, 1, n),
                      "city": rng.choice(["甲", "乙", "丙"], n)})
    X.loc[rng.random(n) < 0.05, "income"] = np.nan
    logit = -2 + 0.8 * X["debt"] - 0.7 * X["income"].fillna(0) + 0.5 * (X["city"] == "甲")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def test_exported_points_reproduce_the_scores_and_rank_risk():
    X, y = frame()
    sc = scorecard.fit(X.iloc[:1000], y.iloc[:1000], categorical=["city"], monotone={"debt": 1, "income": -1})
    table = sc.points_table()
    assert list(table.columns) == ["feature", "bin_id", "bin", "n", "event_rate", "woe", "iv", "points"]
    assert set(table["feature"]) == {"debt", "income", "city"}
    test = X.iloc[1000:]
    np.testing.assert_allclose(sc.score_from_table(test, table), sc.score(test), atol=1e-6)
    # more points = safer, on the engine's scale
    assert metrics.auc(y.iloc[1000:], -sc.score(test)) > 0.7
    assert metrics.auc(y.iloc[1000:], sc.predict_pd(test)) > 0.7
    iv = sc.iv()
    assert iv.iloc[0]["iv"] >= iv.iloc[-1]["iv"] and set(iv["feature"]) == {"debt", "income", "city"}


def test_a_column_missing_in_every_row_is_left_out_not_a_crash():
    # A city with one month of records has no year-on-year ratios at all: optbinning cannot bin an empty
    # column (it raised "Found array with 0 sample(s)" and took `flask train-model` down with it).
    X, y = frame()
    X["yoy"] = np.nan
    sc = scorecard.fit(X, y, categorical=["city"], monotone={"debt": 1, "yoy": 1})
    assert "yoy" not in sc.features and "yoy" not in set(sc.points_table()["feature"])
    iv = sc.iv().set_index("feature")
    assert iv.loc["yoy", "iv"] == 0 and not iv.loc["yoy", "selected"]
    assert metrics.auc(y, sc.predict_pd(X)) > 0.7
