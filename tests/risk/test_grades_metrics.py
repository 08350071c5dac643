"""Score scale, grade bands and the measures on the model card."""
import numpy as np
import pytest

from risk import metrics
from risk.grades import GRADES, ScoreScale


def test_scorecard_convention_base_score_and_points_to_double_the_odds():
    s = ScoreScale(base_score=600, base_odds=50, pdo=40)
    assert s.score(1 / 51) == pytest.approx(600, abs=0.1)  # odds 50:1
    assert s.score(1 / 101) == pytest.approx(640, abs=0.1)  # odds 100:1, doubled: +40 points
    assert s.pd_of_score(600) == pytest.approx(1 / 51)
    assert ScoreScale(base_score=500, base_odds=20, pdo=20).score(1 / 21) == pytest.approx(500, abs=0.1)


def test_grade_bands_best_first_and_cut_on_pd():
    s = ScoreScale()
    assert list(s.grade([0.001, 0.004, 0.009, 0.019, 0.03, 0.07, 0.1, 0.2, 0.9])) == list(GRADES)
    assert s.grade([0.0025])[0] == "AA"  # a bound belongs to the worse band
    bands = s.bands()
    assert [b["grade"] for b in bands] == list(GRADES)
    scores = [b["score_above"] for b in bands[:-1]]
    assert scores == sorted(scores, reverse=True)


def test_bad_cutoffs_are_refused():
    with pytest.raises(ValueError):
        ScoreScale(pd_cutoffs=(0.1, 0.05, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7))


def test_auc_ks_gini_brier():
    y = np.array([0, 0, 0, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.6, 0.5, 0.9])
    s = metrics.summary(y, p)
    assert s["auc"] == pytest.approx(7 / 8)
    assert s["gini"] == pytest.approx(0.75)
    assert s["ks"] == pytest.approx(0.75)
    assert s["brier"] == pytest.approx(np.mean((p - y) ** 2), abs=1e-6)
    assert s["n"] == 6


def test_calibration_table_by_decile():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.3, 20_000)
    y = (rng.random(20_000) < p).astype(int)
    t = metrics.calibration_table(y, p)
    assert len(t) == 10 and t["n"].sum() == 20_000
    assert (t["mean_pd"] - t["bad_rate"]).abs().max() < 0.035
    assert metrics.calibration_error(y, p) < 0.01
    assert metrics.calibration_error(y, p * 2) > 0.1


def test_psi_zero_for_same_distribution_large_for_a_shift():
    rng = np.random.default_rng(0)
    a = rng.normal(600, 50, 10_000)
    assert metrics.psi(a, rng.normal(600, 50, 10_000)) < 0.01
    assert metrics.psi(a, rng.normal(650, 50, 10_000)) > 0.25


def test_auc_per_segment():
    import pandas as pd

    y = np.array([0, 1, 0, 1, 0, 0])
    p = np.array([0.1, 0.9, 0.8, 0.2, 0.1, 0.3])
    seg = pd.DataFrame({"size": ["micro", "micro", "small", "small", "medium", "medium"]})
    t = metrics.auc_by_segment(y, p, seg).set_index("value")
    assert t.loc["micro", "auc"] == 1 and t.loc["small", "auc"] == 0
    assert np.isnan(t.loc["medium", "auc"]) and t.loc["medium", "bads"] == 0
