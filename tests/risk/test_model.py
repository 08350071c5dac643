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
    a = model.train(X, y, measure=False, **FAST)
    b = model.train(X, y, measure=False, **FAST)
    np.testing.assert_array_equal(a.predict_pd(X), b.predict_pd(X))
    assert a.card["data_hash"] == b.card["data_hash"]


def test_reasons_are_the_largest_contributions_that_pass_the_rules(trained):
    m, X, _ = trained
    firms = X.iloc[:300]
    s = m.score(firms, factors=True)
    M = m.matrix(firms)
    contrib = m.booster.predict(M, pred_contrib=True)[:, :-1]
    pct = explain.percentiles(M, m.features, m.quantiles)
    for i in range(len(firms)):
        strong = s.iloc[i]["grade"] in explain.STRONG_GRADES
        floor = explain.STRONG_CONTRIBUTION if strong else explain.MIN_CONTRIBUTION
        ok = [j for j in np.argsort(-contrib[i]) if contrib[i, j] >= floor
              and explain.on_risky_side(M[[i]], m.features, m.categories, m.monotone, pct[[i]])[0, j]]
        risk = [f for f in s.iloc[i]["factors"] if f["effect"] == "risk"]
        # the shown reasons are the largest qualifying contributions, in order (a repeated text shown once)
        assert [f["feature"] for f in risk] == [m.features[j] for j in ok[:4]][:len(risk)]
        texts = [r for r in s.iloc[i][["reason_1", "reason_2", "reason_3", "reason_4"]] if r is not None]
        assert texts == [f["text"] for f in risk]
        for f in risk:
            assert f["contribution"] >= floor - 1e-4 and has_chinese(f["text"])
            entry = catalogue.BY_NAME[f["feature"]]
            if not entry.categorical and np.isfinite(firms.iloc[i][f["feature"]]):
                assert f["text"] == entry.reason.replace("{level}", f["text"][-2:]) if "{level}" in entry.reason \
                    else f["text"] == entry.reason


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
    m = model.train(X, y, monotone={"debt": 1, "income": -1}, measure=False, **FAST)
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
    assert ("size", "micro") in segs and ("industry", "F") in segs
    assert m.card["importance"][0]["name"] == "tax_grade_rank"  # the strongest driver of the test risk
    assert abs(sum(r["gain_share"] for r in m.card["importance"]) - 1) < 1e-3


# ---- issue 15: every training row used, CV metrics on small files, reasons a firm can act on ----------

def test_the_final_trees_are_fitted_on_every_training_row(monkeypatch):
    X, y = feature_frame(6000, seed=5)
    sizes = []
    real = model.lgb.train

    def spy(params, data, *a, **k):
        booster = real(params, data, *a, **k)  # constructing the Dataset first would fix its params too early
        sizes.append(data.num_data())
        return booster

    monkeypatch.setattr(model.lgb, "train", spy)
    m = model.train(X, y, baseline=False, **FAST)
    n_train = m.card["sizes"]["train"]
    assert n_train == 4800 and m.card["sizes"]["test"] == 1200 and m.card["evaluation"]["method"] == "holdout"
    # CAL_FOLDS early-stopping fits on part of the training rows, then one refit on all of them
    assert len(sizes) == model.CAL_FOLDS + 1 and sizes[-1] == n_train and max(sizes[:-1]) < n_train
    assert m.booster.num_trees() == m.card["best_iteration"] == round(np.mean(m.card["early_stopping"]["fold_trees"]))
    assert set(m.split["train"]).isdisjoint(m.split["test"])


def test_small_files_are_measured_by_cross_validation_with_the_baseline_on_the_same_folds():
    X, y = feature_frame(1500, seed=4)
    m = model.train(X, y, **FAST)
    ev = m.card["evaluation"]
    assert ev["method"] == "cv" and len(ev["fold_auc"]) == model.CV_FOLDS == len(ev["baseline_fold_auc"])
    # every row is measured once (out of fold) and the final model is trained on all of them
    assert m.card["metrics"]["n"] == 1500 == m.card["sizes"]["train"] == m.card["early_stopping"]["rows"]
    assert 0.5 < m.card["baseline_auc"] < 1 and m.card["metrics"]["auc"] > 0.7
    assert min(ev["fold_auc"]) <= m.card["metrics"]["auc"] + 0.05


def test_no_reason_or_favourable_factor_below_the_threshold(trained):
    m, X, _ = trained
    s = m.score(X.iloc[:400], factors=True)
    for grade, facts in zip(s["grade"], s["factors"], strict=True):
        for f in facts:
            if f["effect"] == "risk":
                floor = explain.STRONG_CONTRIBUTION if grade in explain.STRONG_GRADES else explain.MIN_CONTRIBUTION
                assert f["contribution"] >= floor - 1e-4
            else:
                assert f["contribution"] <= -explain.MIN_CONTRIBUTION + 1e-4
    assert any(f["effect"] == "favourable" for facts in s["factors"] for f in facts)


def test_high_low_wording_follows_the_firms_percentile(trained):
    m, X, _ = trained
    s = m.score(X.iloc[:400], factors=True)
    checked = 0
    for facts in s["factors"]:
        for f in facts:
            d = m.monotone.get(f["feature"], 0)
            if f["percentile"] is None or d == 0:
                continue
            checked += 1
            risky_side = f["percentile"] > 50 if d > 0 else f["percentile"] < 50
            assert risky_side == (f["effect"] == "risk"), f
            if f["effect"] == "risk" and d < 0:
                assert not f["text"].endswith("偏高")
    assert checked > 100


def test_reason_texts_carry_no_code_values(trained):
    m, X, _ = trained
    firms = X.iloc[:300].copy()
    s = m.score(firms, factors=True)
    texts = [f[k] for facts in s["factors"] for f in facts for k in ("text", "plain")]
    assert texts
    for t in texts:
        assert not any("a" <= ch.lower() <= "z" for ch in t), t  # no raw level such as micro / C / 370102
        assert not any(code in t for code in ("370102", "370112"))
    assert "region_code" not in m.features


def test_zero_revenue_is_a_fact_not_missing_data(trained):
    m, X, _ = trained
    firm = X.iloc[[0]].copy()
    firm["revenue_12m"] = 0.0
    for c in catalogue.REVENUE_BASED:
        firm[c] = np.nan
    M = m.matrix(firm)
    var = explain.variants(M, m.features, m.categories, m.monotone, explain.percentiles(M, m.features, m.quantiles))
    j = m.features.index("income_tax_rate_3m")
    assert var[0, j] == explain.ZERO and m.text_table()[j, explain.ZERO] == "近期营业收入为零"
    texts = [f["text"] for f in m.score(firm, factors=True)["factors"][0]]
    assert not any("缺少" in t and ("收入" in t or "税" in t) for t in texts)
    no_records = firm.copy()
    no_records["revenue_12m"] = np.nan  # no tax records at all: that is missing data
    M = m.matrix(no_records)
    var = explain.variants(M, m.features, m.categories, m.monotone, explain.percentiles(M, m.features, m.quantiles))
    assert var[0, j] == explain.MISSING


def test_small_files_get_the_small_file_trees_fitted_on_each_folds_training_rows_only(monkeypatch):
    X, y = feature_frame(1500, seed=4)
    fits, calls = [], []
    real_fit, real_train = model._Fitter.__call__, model.lgb.train

    def fit_spy(self, M, yv):
        fits.append(M)
        return real_fit(self, M, yv)

    def train_spy(params, data, *a, **k):
        booster = real_train(params, data, *a, **k)
        calls.append((data.num_data(), params["num_leaves"], bool(k.get("valid_sets"))))
        return booster

    monkeypatch.setattr(model._Fitter, "__call__", fit_spy)
    monkeypatch.setattr(model.lgb, "train", train_spy)
    m = model.train(X, y, baseline=False, **FAST)
    small = model.SMALL_FILE_PARAMS["num_leaves"]
    assert small < model.DEFAULT_PARAMS["num_leaves"] and m.card["params"]["num_leaves"] == small
    # every fit of the file, in its CV folds and the final one, has the small-file shape
    assert {leaves for _, leaves, _ in calls} == {small}
    assert all(t["num_leaves"] <= small for t in m.booster.dump_model()["tree_info"])
    # each outer fit sees exactly its fold's training rows (never the rows it is measured on) and refits on all
    # of them; the final model is refitted on every row of the file
    outer = model.StratifiedKFold(model.CV_FOLDS, shuffle=True, random_state=model.SEED).split(np.arange(1500), y)
    for M, (tr, _) in zip(fits, outer, strict=False):
        assert np.array_equal(M, m.matrix(X.iloc[tr]), equal_nan=True)
    assert len(fits) == model.CV_FOLDS + 1 and np.array_equal(fits[-1], m.matrix(X), equal_nan=True)
    refits = [n for n, _, early in calls if not early]
    assert refits == [1200] * model.CV_FOLDS + [1500]
    # parameters given by the caller win over the small-file shape
    calls.clear()
    model.train(X, y, measure=False, params={"num_leaves": 7}, **FAST)
    assert {leaves for _, leaves, _ in calls} == {7}


def test_large_files_keep_the_default_trees(trained):
    m = trained[0]
    assert m.card["sizes"]["rows"] > model.CV_MAX_ROWS
    assert m.card["params"]["num_leaves"] == model.DEFAULT_PARAMS["num_leaves"]
