"""Sweeps: each point is the model it claims to be, scored on the same folds as a
hand-written loop; fold counts and errors behave."""

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier

from digitlab.errors import DigitlabError
from digitlab.evaluate import sweeps
from digitlab.evaluate.compare import load_cv_data
from digitlab.models import make_model


@pytest.fixture(scope="module")
def data():
    X, y, _ = load_cv_data("digits", subsample=300, seed=0)
    return X, y


def test_knn_k_sweep_matches_scikit_learn_fold_by_fold(data):
    X, y = data
    result = sweeps.run_sweep("knn-k", X, y, cv=3, seed=0, n_jobs=1)
    assert result["values"] == [str(k) for k in range(1, 11)] and result["cv"] == 3
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    for k in (1, 5, 10):
        expected = [np.mean(KNeighborsClassifier(k).fit(X[a], y[a]).predict(X[b]) == y[b]) for a, b in folds]
        np.testing.assert_allclose(result["rows"][k - 1]["test_accuracy"], expected)
    # k = 1: every training image is its own nearest neighbour
    assert result["rows"][0]["train_accuracy"] == [1.0, 1.0, 1.0]


def test_width_and_depth_sweeps_build_the_networks_they_name():
    width = sweeps.width_sweep()
    assert width.values == (8, 16, 32, 64, 128, 256) and width.cv is None
    for w, candidate in zip(width.values, width.candidates):
        model = make_model(candidate.model, **candidate.params)
        assert tuple(np.atleast_1d(model.get_params()["hidden_layer_sizes"])) == (w,)
        assert model.get_params()["early_stopping"] is False  # it would hide the over-fitting
    depth = sweeps.depth_sweep()
    assert depth.cv == 6
    assert [c.params["hidden_layer_sizes"] for c in depth.candidates] == [
        (64,), (64, 64), (10, 10, 10), (64, 64, 64), (128, 128, 128)]


def test_width_sweep_fits_its_training_folds_and_counts_parameters(data, monkeypatch):
    X, y = data
    monkeypatch.setattr(sweeps, "WIDTHS", (4, 64))
    # 150 images per fold are 5 batches an epoch: train longer than on a full digits fold
    monkeypatch.setattr(sweeps, "SWEEP_EPOCHS", 150)
    result = sweeps.run_sweep("width", X, y, cv=2, seed=0, n_jobs=1)
    narrow, wide = result["rows"]
    assert wide["n_params"] == 64 * 64 + 64 + 64 * 10 + 10 and narrow["n_params"] == 64 * 4 + 4 + 4 * 10 + 10
    # 64 hidden units memorise 150 images; 4 cannot
    assert min(wide["train_accuracy"]) == 1.0 > max(narrow["train_accuracy"])
    assert np.mean(wide["test_accuracy"]) > np.mean(narrow["test_accuracy"])


def test_depth_sweep_uses_six_folds_whatever_cv_says(data, monkeypatch):
    X, y = data
    monkeypatch.setattr(sweeps, "DEPTHS", ((8,),))
    result = sweeps.run_sweep("depth", X, y, cv=3, n_jobs=1)
    assert result["cv"] == 6 and len(result["rows"][0]["test_accuracy"]) == 6


def test_parse_sweeps():
    assert sweeps.parse_sweeps("all") == ["knn-k", "width", "depth"]
    assert sweeps.parse_sweeps("width, depth") == ["width", "depth"]
    assert sweeps.parse_sweeps(None) == []
    with pytest.raises(DigitlabError, match="unknown sweep"):
        sweeps.parse_sweeps("width,height")
