"""The validation pack over time: out-of-time validation, and the master scale's recalibration to an observed
portfolio (grades stay monotone, the bands never move, the map composes into the model exactly)."""
from datetime import date

import numpy as np
import pandas as pd
import pytest

from risk import features, model, validation
from risk.grades import GRADES, PD_CUTOFFS, ScoreScale
from seed import departments

FAST = {"num_boost_round": 200, "early_stopping": 20}


def portfolio(n=40_000, seed=1, factor=2.5):
    """PDs that overstate the risk `factor` times: the observed defaults are drawn from PD / factor."""
    rng = np.random.default_rng(seed)
    p = np.clip(np.exp(rng.normal(-3.3, 1.1, n)), 1e-4, 0.9)
    y = (rng.random(n) < p / factor).astype(int)
    return y, p


def test_recalibration_maps_overstated_pds_onto_the_observed_defaults_and_keeps_grades_monotone():
    y, p = portfolio()
    scale = ScoreScale()
    rec = validation.recalibration(y, p, scale)
    assert rec["slope"] > 0 and rec["intercept"] < 0  # PDs were too high: pulled down
    assert abs(rec["mean_pd_after"] - rec["bad_rate"]) < 0.1 * rec["bad_rate"]
    assert rec["mean_pd_before"] > 2 * rec["bad_rate"]
    (wb, _), (wa, na) = rec["within_before"], rec["within_after"]
    assert wa > wb and wa >= na - 1  # the grades' observed rates fall in their bands after, not before
    # The bands (the master scale) do not move; only PDs are mapped onto them.
    assert [r["pd_to"] for r in rec["after"]][:-1] == list(PD_CUTOFFS)
    # Monotone: a higher PD never gets a better grade after recalibration.
    order = np.argsort(p, kind="stable")
    mapped = validation.apply_map(p[order], rec["intercept"], rec["slope"])
    assert np.all(np.diff(mapped) >= 0)
    rank = {g: i for i, g in enumerate(GRADES)}
    grades = np.array([rank[g] for g in scale.grade(mapped)])
    assert np.all(np.diff(grades) >= 0)
    # The observed default rate rises grade by grade after recalibration (where a grade has firms enough).
    rates = [r["observed"] for r in rec["after"] if r["n"] >= 200]
    assert rates == sorted(rates) and len(rates) >= 4


def test_a_map_that_would_reverse_the_ranking_is_refused():
    y, p = portfolio(5_000, seed=2)
    rec = validation.recalibration(1 - y, p, ScoreScale())  # outcomes against the model's ranking
    assert (rec["intercept"], rec["slope"]) == (0.0, 1.0)
    assert rec["within_before"] == rec["within_after"]


@pytest.fixture(scope="module")
def city():
    """A small synthetic city of 24 months: in time (as of 2026-10-31) and 12 months earlier."""
    as_of = date(2026, 10, 31)
    c = departments.generate(4_000, months=24, seed=5, as_of=as_of)
    X = features.build(c, as_of)
    y = c["outcomes"].set_index("uscc")["defaulted_12m"].reindex(X.index).astype(int)
    earlier = departments.earlier_day(as_of, 12)
    early_out, _ = departments.outcomes(4_000, months=24, seed=5, as_of=as_of, months_back=12)
    Xe = features.build(c, earlier, usccs=early_out["uscc"])
    ye = early_out.set_index("uscc")["defaulted_12m"].reindex(Xe.index).astype(int)
    return X, y, Xe, ye, earlier


def test_recalibrated_model_composes_the_map_exactly_and_keeps_the_ranking(city):
    X, y, *_ = city
    m = model.train(X, y, **FAST)
    r = m.recalibrated(-0.4, 1.3)
    p, q = m.predict_pd(X), r.predict_pd(X)
    assert np.allclose(q, validation.apply_map(p, -0.4, 1.3), atol=1e-9)
    assert (np.argsort(p, kind="stable") == np.argsort(q, kind="stable")).all() or np.corrcoef(p, q)[0, 1] > 0.99
    assert m.calibration != r.calibration and r.booster is m.booster
    with pytest.raises(ValueError):
        m.recalibrated(0.0, -1.0)


def test_out_of_time_trains_on_the_earlier_city_and_tests_on_the_same_firms_as_in_time(city):
    X, y, Xe, ye, earlier = city
    m = model.train(X, y, **FAST)
    o = validation.out_of_time(m, X, y, Xe, ye)
    test = m.split["test"]
    assert o["test_firms"] == len(test) and o["test_bads"] == int(y.loc[test].sum())
    assert o["auc_in_time"] == m.card["metrics"]["auc"]
    assert o["train_firms"] == len(Xe) and o["train_bads"] == int(ye.sum())
    assert 0.6 < o["auc_out_of_time"] < 1 and 0 < o["ks_out_of_time"] < 1
    # The earlier city's firms were founded before the earlier date (features and outcomes alike).
    founded = pd.to_datetime(departments.generate(4_000, months=24, seed=5)["registry"].set_index("uscc")
                             ["established_on"])
    assert (founded.reindex(Xe.index) < pd.Timestamp(earlier)).all()


def test_earlier_outcomes_are_their_own_draw_not_the_later_outcome_again():
    later, _ = departments.outcomes(3_000, months=24, seed=7)
    generated = departments.generate(3_000, months=24, seed=7)["outcomes"]
    assert (later["defaulted_12m"].to_numpy() == generated["defaulted_12m"].to_numpy()).all()
    early, truth = departments.outcomes(3_000, months=24, seed=7, months_back=12)
    both = later.set_index("uscc")["defaulted_12m"].reindex(early["uscc"]).to_numpy()
    e = early["defaulted_12m"].to_numpy()
    # The same firms, drawn again a year earlier: far fewer shared defaults than if it were the same draw.
    assert ((both == 1) & (e == 1)).sum() < 0.3 * min(both.sum(), e.sum())
    assert 0.01 < e.mean() < 0.1 and truth["true_pd"].between(0, 1).all()
    with pytest.raises(ValueError):
        departments.outcomes(100, months=12, seed=7, months_back=12)
