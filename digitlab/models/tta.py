"""Test-time augmentation: average a classifier's probabilities over small warps of each image.

A digit shifted by a pixel, turned by a few degrees or drawn a little larger
is the same digit, so a model that errs on one view is often right on the
others. `TTAClassifier` wraps any digitlab classifier (it only needs
`predict_proba` on X float32 (n, H*W)) and averages its probabilities over
the original image and a few warped copies:

    shifts=(1,)       4 views: 1 px up, down, left, right
    angles=(-8, 8)    2 views: turned by -8 and +8 degrees about the centre (+ is anticlockwise)
    scales=(0.9,)     1 view: shrunk to 90% about the centre

Each number gives its own view (they are not combined), so the defaults above
make 1 + 4 + 2 + 1 = 8 predictions per image. Warps are bilinear, with black
(0) coming in from outside the image, as MNIST's background is.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted, validate_data

from digitlab.errors import DigitlabError


def views(shifts=(1,), angles=(), scales=()) -> list[tuple[float, float, float, float]]:
    """Every view as (dy, dx, degrees, scale), the identity first."""
    out = [(0.0, 0.0, 0.0, 1.0)]
    for s in shifts:
        out += [(-s, 0.0, 0.0, 1.0), (s, 0.0, 0.0, 1.0), (0.0, -s, 0.0, 1.0), (0.0, s, 0.0, 1.0)]
    out += [(0.0, 0.0, float(a), 1.0) for a in angles]
    out += [(0.0, 0.0, 0.0, float(s)) for s in scales]
    return out


def warp(images: np.ndarray, dy=0.0, dx=0.0, degrees=0.0, scale=1.0) -> np.ndarray:
    """images (n, H, W) moved by (dy, dx) pixels, turned and scaled about the centre; a new array."""
    if (dy, dx, degrees, scale) == (0.0, 0.0, 0.0, 1.0):
        return images.copy()
    _, h, w = images.shape
    theta = math.radians(degrees)
    # affine_transform maps each output pixel o to the input pixel M @ (o - c) + c - shift,
    # so M is the inverse warp: rotate back and divide by the scale
    m = np.array([[math.cos(theta), math.sin(theta)], [-math.sin(theta), math.cos(theta)]]) / scale
    centre = np.array([(h - 1) / 2, (w - 1) / 2])
    offset = centre - m @ centre - np.array([dy, dx])
    matrix = np.eye(3)
    matrix[1:, 1:] = m  # axis 0 (the image index) is left alone
    return ndimage.affine_transform(images, matrix, offset=np.concatenate([[0.0], offset]),
                                    order=1, mode="constant", cval=0.0)


class TTAClassifier(ClassifierMixin, BaseEstimator):
    """A classifier whose probabilities are averaged over warped views of each image.

    Parameters
    ----------
    estimator : a classifier taking X float32 (n, H*W) with square images.
    shifts : pixel distances; each gives 4 views (up, down, left, right).
    angles : rotations in degrees; each gives 1 view.
    scales : zoom factors (0.9 = 10% smaller); each gives 1 view.

    `fit` trains a clone of `estimator`; `TTAClassifier.from_fitted(model)` wraps
    a model that is already trained (a shipped one, say) without training it again.
    """

    def __init__(self, estimator=None, shifts=(1,), angles=(), scales=()):
        self.estimator = estimator
        self.shifts = shifts
        self.angles = angles
        self.scales = scales

    @classmethod
    def from_fitted(cls, model, **params) -> TTAClassifier:
        """Wrap an already fitted classifier; `params` are shifts, angles, scales."""
        if not hasattr(model, "classes_"):
            raise DigitlabError(f"{type(model).__name__} is not fitted: fit it or use TTAClassifier(...).fit")
        tta = cls(estimator=model, **params)
        tta.estimator_, tta.classes_ = model, np.asarray(model.classes_)
        if hasattr(model, "n_features_in_"):
            tta.n_features_in_ = model.n_features_in_
        return tta

    def fit(self, X, y):
        """Train a clone of `estimator` on X (n, H*W), y (n,); the views apply at prediction only."""
        if self.estimator is None:
            raise DigitlabError("TTAClassifier needs an estimator to wrap")
        views(self.shifts, self.angles, self.scales)  # a bad setting fails before training
        X, y = validate_data(self, X, y, dtype=np.float32)
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = np.asarray(self.estimator_.classes_)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """(n, n_classes) float32: the mean of the wrapped model's probabilities over every view."""
        check_is_fitted(self, "estimator_")
        X = validate_data(self, X, dtype=np.float32, reset=False)  # 2-D, finite, the fitted width
        side = math.isqrt(X.shape[1])
        if side * side != X.shape[1]:
            raise DigitlabError(f"X has {X.shape[1]} features per row, not a square image")
        images = X.reshape(len(X), side, side)  # (n, H, W)
        total = None
        all_views = views(self.shifts, self.angles, self.scales)
        for view in all_views:  # one view at a time keeps memory at one copy of X
            proba = self.estimator_.predict_proba(warp(images, *view).reshape(len(X), -1))
            total = proba.astype(np.float64) if total is None else total + proba
        return (total / len(all_views)).astype(np.float32)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row of X, (n,)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
