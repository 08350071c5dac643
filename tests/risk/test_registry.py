"""Saved models: versions kept, one active, loaded models score exactly as trained ones."""
import json

import numpy as np
import pytest

from risk import model, registry

from .conftest import feature_frame


@pytest.fixture(scope="module")
def two_models():
    X, y = feature_frame(1500)
    a = model.train(X, y, num_boost_round=60, early_stopping=20, baseline=False)
    b = model.train(X, y, num_boost_round=60, early_stopping=20, baseline=False, params={"num_leaves": 7})
    return a, b, X


def test_save_load_round_trip(tmp_path, two_models):
    a, _, X = two_models
    path = registry.save(a, tmp_path, version="v1")
    assert {p.name for p in path.iterdir()} == {"model.txt", "card.json", "reference_scores.json"}
    card = json.loads((path / "card.json").read_text(encoding="utf-8"))
    for key in ("features", "data_hash", "sizes", "metrics", "created_at", "calibration_table", "importance"):
        assert key in card
    assert {f["name"]: f["monotone"] for f in card["features"]}["list_serious_dishonest"] == 1
    loaded = registry.load(tmp_path)
    np.testing.assert_allclose(loaded.predict_pd(X), a.predict_pd(X), rtol=1e-12)
    assert loaded.score(X.iloc[:30]).equals(a.score(X.iloc[:30]))
    assert len(loaded.card["reference_scores"]) == a.card["sizes"]["test"]


def test_versions_kept_and_one_active(tmp_path, two_models):
    a, b, X = two_models
    registry.save(a, tmp_path, version="v1")
    registry.save(b, tmp_path, version="v2")
    assert [(v["version"], v["active"]) for v in registry.versions(tmp_path)] == [("v1", False), ("v2", True)]
    assert registry.load_active(tmp_path).card["version"] == "v2"
    assert registry.previous_version(tmp_path, "v2") == "v1"
    registry.set_active(tmp_path, "v1")
    assert registry.load_active(tmp_path).card["version"] == "v1"
    np.testing.assert_allclose(registry.load(tmp_path / "v2").predict_pd(X), b.predict_pd(X))
    with pytest.raises(FileExistsError):
        registry.save(a, tmp_path, version="v1")


def test_generated_versions_are_unique(tmp_path, two_models):
    a, _, _ = two_models
    p1, p2 = registry.save(a, tmp_path), registry.save(a, tmp_path)
    assert p1 != p2 and registry.active_version(tmp_path) == p2.name


def test_no_model_is_a_clear_error(tmp_path):
    with pytest.raises(registry.ModelNotFound, match="train one first"):
        registry.load_active(tmp_path)
    with pytest.raises(registry.ModelNotFound):
        registry.load(tmp_path)
