"""Ensembles: the mean of the members' probabilities, stored pickle-free, read back by every command."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

from digitlab.cli import main
from digitlab.errors import DigitlabError
from digitlab.models import load_model, save_model
from digitlab.models.ensemble import EnsembleClassifier
from digitlab.models.tta import TTAClassifier
from digitlab.nn.estimators import MLPClassifier


@pytest.fixture(scope="module")
def members(digits):
    X, y, _, _ = digits
    mlp = lambda seed: MLPClassifier((32,), max_iter=10, learning_rate_init=1e-2, validation_fraction=0.0,
                                     random_state=seed).fit(X, y)
    return [mlp(0), mlp(1), LogisticRegression(max_iter=500).fit(X, y)]


# scikit-learn's estimator checks for the ensemble: test_estimator_checks.py


def test_probabilities_are_the_weighted_mean_of_the_members(digits, members):
    _, _, X_test, _ = digits
    each = [m.predict_proba(X_test) for m in members]
    equal = EnsembleClassifier.from_fitted(members)
    assert np.allclose(equal.predict_proba(X_test), np.mean(each, axis=0), atol=1e-6)
    weighted = EnsembleClassifier.from_fitted(members, weights=[2, 1, 1])
    assert np.allclose(weighted.predict_proba(X_test), (2 * each[0] + each[1] + each[2]) / 4, atol=1e-6)


def test_fit_trains_a_clone_of_every_member(digits):
    X, y, X_test, _ = digits
    base = [LogisticRegression(max_iter=500), GaussianNB()]
    ensemble = EnsembleClassifier(base).fit(X, y)
    assert not hasattr(base[0], "coef_") and len(ensemble.estimators_) == 2
    # both are deterministic, so independently fitted copies are the oracle
    alone = [LogisticRegression(max_iter=500).fit(X, y), GaussianNB().fit(X, y)]
    expected = np.mean([m.predict_proba(X_test) for m in alone], axis=0)
    assert np.allclose(ensemble.predict_proba(X_test), expected, atol=1e-6)
    assert ensemble.n_features_in_ == X.shape[1]


def test_ensemble_and_tta_files_round_trip_without_pickle(tmp_path, digits, members):
    _, _, X_test, _ = digits
    model = TTAClassifier.from_fitted(EnsembleClassifier.from_fitted(members, weights=[1, 1, 2]),
                                      shifts=(1,), angles=(-10, 10), scales=(0.9,))
    path = save_model(model, tmp_path / "ens.npz", info={"input_shape": [8, 8]})
    with np.load(path, allow_pickle=False) as f:  # every member's arrays, nested under a prefix
        assert "estimator.member0.1.weight" in f.files and "estimator.member2.coef" in f.files
    loaded, _ = load_model(path)
    assert isinstance(loaded.estimator_, EnsembleClassifier) and loaded.angles == (-10.0, 10.0)
    assert np.array_equal(loaded.predict_proba(X_test), model.predict_proba(X_test))


def test_members_must_agree_and_weights_must_fit(digits, members):
    X, y, _, _ = digits
    odd = LogisticRegression(max_iter=100).fit(X[y < 5], y[y < 5])
    with pytest.raises(DigitlabError, match="member 1 predicts classes"):
        EnsembleClassifier.from_fitted([members[0], odd])
    with pytest.raises(DigitlabError, match="weights must be 3"):
        EnsembleClassifier.from_fitted(members, weights=[1, 1])
    with pytest.raises(DigitlabError, match="not fitted"):
        EnsembleClassifier.from_fitted([LogisticRegression()])
    with pytest.raises(DigitlabError, match="at least one"):
        EnsembleClassifier([]).fit(X, y)


def test_cli_writes_an_ensemble_that_evaluate_scores(tmp_path, members, capsys):
    paths = [str(save_model(m, tmp_path / f"m{i}.npz", info={"input_shape": [8, 8]})) for i, m in enumerate(members)]
    out = tmp_path / "ens.npz"
    assert main(["ensemble", *paths, "--tta", "--angles=-8,8", "-o", str(out)]) == 0
    assert main(["evaluate", str(out), "--dataset", "digits", "--json"]) == 0
    assert '"accuracy"' in capsys.readouterr().out
    model, info = load_model(out)
    assert info["members"] == ["m0", "m1", "m2"] and len(model.estimator_.estimators_) == 3
    assert main(["ensemble", paths[0], "-o", str(tmp_path / "one.npz")]) == 2  # nothing to combine
    assert not (tmp_path / "one.npz").exists()


def test_cli_joins_a_member_whose_file_does_not_record_its_image_size(tmp_path, members):
    paths = [str(save_model(m, tmp_path / f"m{i}.npz", info={"input_shape": [8, 8]} if i else {}))
             for i, m in enumerate(members)]
    out = tmp_path / "ens.npz"
    assert main(["ensemble", *paths, "--weights", "2,1,1", "-o", str(out)]) == 0
    assert load_model(out)[1]["input_shape"] == [8, 8]
    other = str(save_model(members[0], tmp_path / "wide.npz", info={"input_shape": [28, 28]}))
    assert main(["ensemble", *paths, other, "-o", str(tmp_path / "bad.npz")]) == 2  # sizes really differ
    assert not (tmp_path / "bad.npz").exists()
