"""How big a fitted model is, whatever its engine."""

from __future__ import annotations

import numpy as np


def count_parameters(estimator) -> int | None:
    """Learned numbers in a model: weights for networks, stored examples for k-NN.

    A calibrated classifier counts the models it calibrates; None when unknown.
    """
    inner = getattr(estimator, "calibrated_classifiers_", None)
    if inner:
        return sum(count_parameters(c.estimator) or 0 for c in inner)
    if hasattr(estimator, "n_params_"):
        return int(estimator.n_params_)
    if hasattr(estimator, "coefs_"):
        return int(sum(w.size for w in estimator.coefs_) + sum(b.size for b in estimator.intercepts_))
    if hasattr(estimator, "coef_"):
        return int(estimator.coef_.size + np.size(estimator.intercept_))
    if hasattr(estimator, "_fit_X"):
        return int(estimator._fit_X.size)
    if hasattr(estimator, "support_vectors_"):
        return int(estimator.support_vectors_.size + estimator.dual_coef_.size)
    if hasattr(estimator, "estimators_"):
        return int(sum(tree.tree_.node_count for tree in estimator.estimators_))
    return None
