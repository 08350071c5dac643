"""The model: monotone in the catalogue's directions, calibrated, reproducible, explained in Chinese."""
import numpy as np
import pandas as pd
import pytest

from risk import catalogue, explain, model

from .conftest import feature_frame

FAST = {"num_boost_round": 300, "early_stopping": 30}


@pytest.fixture(scope="module")
def trained():
    X, y = feature_frame(6000)
    return model.train(X, y, **FAST), X, y


def has_chinese(text) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_scores_have_the_contract_columns(trained):
    m, X, _ = trained
    s = m.score(X.iloc[:50])
    assert list(s.columns) == ["uscc", "pd", "score", "grade", "reason_1", "reason_2", "reason_3", "reason_4"]
    assert s["uscc"].tolist() == X.index[:50].tolist()
    assert s["pd"].between(0, 1).all()
    assert set(s["grade"]) <= {"AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"}
    # a lower PD never gets a lower score or a worse grade
    s = s.sort_values("pd")
    assert s["score"].is_monotonic_decreasing


def test_discriminates_and_beats_chance_on_held_out_firms(trained):
    m, _, _ = trained
    assert m.card["metrics"]["auc"] > 0.75
    assert m.card["sizes"]["test"] == 1200 and m.card["metrics"]["n"] == 1200
    assert 0.5 < m.card["baseline_auc"] < 1


def test_probabilities_are_calibrated(trained):
    m, X, y = trained
    test = m.split["test"]
    p = m.predict_pd(X.loc[test])
    assert abs(p.mean() - y.loc[test].mean()) < 0.02
    assert m.card["calibration_error"] < 0.03
    assert len(m.card["calibration_table"]) == 10


@pytest.mark.parametrize("direction", [+1, -1])
def test_monotone_constraints_hold_over_many_firms(trained, direction):
    m, X, _ = trained
    firms = X.iloc[:1000]
    base = m.predict_pd(firms)
    names = [f.name for f in catalogue.FEATURES if f.direction == direction and not f.categorical]
    assert names
    for name in names:
        col = firms[name]
        for step in np.linspace(0.05, 5, 6) * (col.std() or 1):
            moved = firms.copy()
            moved[name] = col + step
            p = m.predict_pd(moved)
            ok = col.notna().to_numpy()
            worse = (p - base)[ok] * direction
            assert (worse >= -1e-12).all(), f"raising {name} moved PD the wrong way"


def test_same_data_same_seed_same_model():
    X, y = feature_frame(1500, seed=3)
    a = model.train(X, y, baseline=False, **FAST)
    b = model.train(X, y, baseline=False, **FAST)
    np.testing.assert_array_equal(a.predict_pd(X), b.predict_pd(X))
    assert a.card["data_hash"] == b.card["data_hash"]


def test_reasons_are_the_features_that_pushed_the_score_up(trained):
    m, X, _ = trained
    firms = X.iloc[:300]
    s = m.score(firms)
    contrib = m.booster.predict(m.matrix(firms), pred_contrib=True)[:, :-1]
    for i in range(len(firms)):
        order = np.argsort(-contrib[i])
        expected = [m.features[j] for j in order[:4] if contrib[i, j] > 0]
        got = [r for r in s.iloc[i][["reason_1", "reason_2", "reason_3", "reason_4"]] if r is not None]
        assert len(got) == len(expected)
        for name, text in zip(expected, got, strict=True):
            entry = catalogue.BY_NAME[name]
            if entry.categorical:
                assert text.startswith(entry.reason.split("{")[0])
            elif np.isnan(firms.iloc[i][name]):
                assert entry.label in text
            else:
                assert text == entry.reason.replace("{level}", text[-2:]) if "{level}" in entry.reason \
                    else text == entry.reason
            assert has_chinese(text)


def test_a_dishonest_firm_is_told_so():
    X, y = feature_frame(6000)
    m = model.train(X, y, baseline=False, **FAST)
    firm = X.iloc[[0]].copy()
    firm["list_serious_dishonest"] = 1.0
    s = m.score(firm)
    assert "被列入严重失信主体名单" in s.iloc[0][["reason_1", "reason_2", "reason_3", "reason_4"]].tolist()
    plain = m.score(firm, plain=True)
    assert "贵企业目前在严重失信名单上" in plain.iloc[0].tolist()


def test_reasons_only_for_the_firms_that_need_them(trained):
    m, X, _ = trained
    firms = X.iloc[:20]
    s = m.score(firms, reasons_for=firms.index[:5])
    assert s["reason_1"].iloc[:5].notna().any()
    assert s[["reason_1", "reason_2", "reason_3", "reason_4"]].iloc[5:].isna().all().all()
    assert s["pd"].tolist() == m.score(firms, reasons=False)["pd"].tolist()


def test_unseen_categories_and_gaps_still_score(trained):
    m, X, _ = trained
    firms = X.iloc[:3].copy()
    firms["industry"] = pd.Categorical(["Z", None, "C"])
    firms["tax_yoy"] = np.nan
    s = m.score(firms)
    assert s["pd"].notna().all()


def test_train_refuses_unlawful_columns():
    X, y = feature_frame(500)
    X["信访次数"] = 0
    with pytest.raises(catalogue.ForbiddenDataError):
        model.train(X, y, **FAST)


@pytest.mark.parametrize("y_value, message", [(0, "one class"), (1, "one class")])
def test_train_refuses_a_one_class_target(y_value, message):
    X, _ = feature_frame(200)
    with pytest.raises(model.TrainingDataError, match=message):
        model.train(X, np.full(len(X), y_value), **FAST)


def test_generic_reasons_use_column_names():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"debt": rng.gamma(2, 1, 2000), "income": rng.normal(0, 1, 2000),
                      "city": rng.choice(["甲", "乙"], 2000)})
    y = (rng.random(2000) < 1 / (1 + np.exp(-(-2 + X["debt"] - X["income"])))).astype(int)
    m = model.train(X, y, monotone={"debt": 1, "income": -1}, baseline=False, **FAST)
    assert not m.use_catalogue and m.categories == {"city": ["乙", "甲"]}
    texts = set(m.score(X.iloc[:200])[["reason_1", "reason_2"]].stack().dropna())
    assert texts <= {"debt 偏高", "income 偏低", "city 为 甲", "city 为 乙"}
    assert {"debt 偏高", "income 偏低"} <= texts


def test_top_reasons_pick_the_largest_positive_contributions():
    contrib = np.array([[0.1, -0.5, 0.7, 0.0, 0.3, 0.2], [-1, -1, -1, -1, -1, 0.05]])
    var = np.zeros_like(contrib, dtype=int)
    table = np.array([[f"r{j}", "lo", "na"] for j in range(6)], dtype=object)
    out = explain.top_reasons(contrib, var, table)
    assert out[0].tolist() == ["r2", "r4", "r5", "r0"]
    assert out[1].tolist() == ["r5", None, None, None]


def test_card_has_auc_per_segment_and_importance(trained):
    m, _, _ = trained
    segs = {(r["segment"], r["value"]) for r in m.card["segments"]}
    assert ("size", "micro") in segs and ("industry", "F") in segs and ("region_code", "370102") in segs
    assert m.card["importance"][0]["name"] == "tax_grade_rank"  # the strongest driver of the test risk
    assert abs(sum(r["gain_share"] for r in m.card["importance"]) - 1) < 1e-3
