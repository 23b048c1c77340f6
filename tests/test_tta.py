"""Test-time augmentation: the warps against exact oracles, the wrapper against a hand-written average.

scikit-learn's `parametrize_with_checks` for `TTAClassifier` is in test_estimator_checks.py, with
the checks it is expected to fail (it warps square images; they feed it 2-, 3- or 10-feature rows).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from digitlab.errors import DigitlabError
from digitlab.models.tta import TTAClassifier, views, warp


@pytest.fixture(scope="module")
def logreg(digits):
    X, y, _, _ = digits
    return LogisticRegression(max_iter=500).fit(X, y)


def _images(n=3, side=28, seed=0):
    return np.random.default_rng(seed).random((n, side, side)).astype(np.float32)


def test_a_shift_moves_every_pixel_and_lets_black_in():
    images = _images()
    down_right = warp(images, dy=1, dx=2)
    assert np.allclose(down_right[:, 1:, 2:], images[:, :-1, :-2], atol=1e-6)
    assert np.all(down_right[:, 0, :] == 0) and np.all(down_right[:, :, :2] == 0)


def test_a_quarter_turn_is_rot90_and_identity_copies():
    images = _images(side=28)
    # +90 degrees turns the image anticlockwise as displayed (row 0 at the top), like np.rot90
    assert np.allclose(warp(images, degrees=90), np.rot90(images, k=1, axes=(1, 2)), atol=1e-5)
    same = warp(images)
    assert np.array_equal(same, images) and same is not images


def test_scaling_shrinks_the_ink_about_the_centre():
    images = np.zeros((1, 28, 28), np.float32)
    images[0, 4:24, 4:24] = 1.0  # a 20x20 square, centred
    half = warp(images, scale=0.5)
    rows = np.flatnonzero(half[0].max(axis=1) > 0.5)
    assert (rows.min(), rows.max()) == (9, 18)  # 10 px tall, still centred
    assert half.sum() == pytest.approx(images.sum() / 4, rel=0.05)


def test_views_lists_the_identity_then_each_warp_once():
    v = views(shifts=(1, 2), angles=(-8, 8), scales=(0.9,))
    assert v[0] == (0.0, 0.0, 0.0, 1.0)
    assert len(v) == 1 + 8 + 2 + 1
    assert (0.0, -2, 0.0, 1.0) in v and (0.0, 0.0, 8.0, 1.0) in v and (0.0, 0.0, 0.0, 0.9) in v


def test_probabilities_are_the_mean_over_the_views(digits, logreg):
    _, _, X_test, _ = digits
    tta = TTAClassifier.from_fitted(logreg, shifts=(1,), angles=(10,), scales=(0.9,))
    images = X_test.reshape(-1, 8, 8)
    expected = np.mean([logreg.predict_proba(warp(images, *v).reshape(len(X_test), -1))
                        for v in views((1,), (10,), (0.9,))], axis=0)
    proba = tta.predict_proba(X_test)
    assert proba.dtype == np.float32
    assert np.allclose(proba, expected, atol=1e-6)
    assert np.array_equal(tta.predict(X_test), tta.classes_[expected.argmax(1)])


def test_no_views_but_the_original_is_the_model_itself(digits, logreg):
    _, _, X_test, _ = digits
    tta = TTAClassifier.from_fitted(logreg, shifts=())
    assert np.allclose(tta.predict_proba(X_test), logreg.predict_proba(X_test), atol=1e-6)


def test_fit_trains_a_clone_and_leaves_the_estimator_alone(digits):
    X, y, X_test, _ = digits
    base = LogisticRegression(max_iter=500)
    tta = TTAClassifier(base, shifts=(1,)).fit(X, y)
    assert not hasattr(base, "coef_") and hasattr(tta.estimator_, "coef_")
    alone = LogisticRegression(max_iter=500).fit(X, y)  # deterministic: the same model as the clone
    assert np.allclose(tta.predict_proba(X_test), TTAClassifier.from_fitted(alone).predict_proba(X_test))


def test_bad_use_is_a_clear_error(logreg):
    with pytest.raises(NotFittedError):
        TTAClassifier(LogisticRegression()).predict_proba(np.zeros((1, 64), np.float32))
    with pytest.raises(DigitlabError, match="not fitted"):
        TTAClassifier.from_fitted(LogisticRegression())
    with pytest.raises(ValueError, match="X has 63 features, but TTAClassifier is expecting 64"):
        TTAClassifier.from_fitted(logreg).predict_proba(np.zeros((2, 63), np.float32))
    flat = TTAClassifier(LogisticRegression()).fit(np.eye(63)[:4], [0, 1, 0, 1])  # fits: logreg takes any row
    with pytest.raises(DigitlabError, match="not a square image"):
        flat.predict_proba(np.zeros((2, 63), np.float32))
    with pytest.raises(DigitlabError, match="needs an estimator"):
        TTAClassifier().fit(np.zeros((2, 64)), [0, 1])
