"""Ensembles: average the probabilities of several classifiers, and store them as one model file.

Networks trained from different seeds make different mistakes, so the mean of
their probabilities is right more often than any one of them. An ensemble (and
a `TTAClassifier`, see tta.py) is stored as one ordinary digitlab model file:
every member's arrays under "member<i>." (or "estimator.") beside the JSON that
rebuilds it, pickle-free like any other model file. So `digitlab evaluate`,
`predict`, `read` and `serve` take an ensemble file wherever they take a model:

    digitlab ensemble torch-cnn-64-128-robust seed1.npz seed2.npz --tta -o ens.npz
    digitlab evaluate ens.npz --dataset mnist
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from digitlab.errors import DigitlabError
from digitlab.models.modelfile import Codec, decode_model, encode_model
from digitlab.models.tta import TTAClassifier


class EnsembleClassifier(ClassifierMixin, BaseEstimator):
    """The (weighted) mean of several classifiers' probabilities.

    Parameters
    ----------
    estimators : list of classifiers, all predicting the same classes from the same X.
    weights : one non-negative number per member, or None for equal weights.

    `fit` trains a clone of every member on the same data (different
    `random_state`s make different members); `EnsembleClassifier.from_fitted`
    joins models that are already trained.
    """

    def __init__(self, estimators=(), weights=None):
        self.estimators = estimators
        self.weights = weights

    @classmethod
    def from_fitted(cls, models, weights=None) -> EnsembleClassifier:
        """An ensemble of already fitted classifiers (no training)."""
        ensemble = cls(estimators=list(models), weights=weights)
        return ensemble._set_members(list(models))

    def fit(self, X, y):
        """Train a clone of every member on X (n, H*W), y (n,)."""
        if len(self.estimators) == 0:
            raise DigitlabError("an ensemble needs at least one estimator")
        self._weights()  # a bad setting fails before training
        return self._set_members([clone(est).fit(X, y) for est in self.estimators])

    def _set_members(self, members: list):
        if not members:
            raise DigitlabError("an ensemble needs at least one member")
        for i, member in enumerate(members):
            if not hasattr(member, "classes_"):
                raise DigitlabError(f"member {i} ({type(member).__name__}) is not fitted")
            if not np.array_equal(member.classes_, members[0].classes_):
                raise DigitlabError(f"member {i} predicts classes {list(member.classes_)}, "
                                    f"member 0 predicts {list(members[0].classes_)}")
        self.estimators_ = members
        self.classes_ = np.asarray(members[0].classes_)
        self.weights_ = self._weights(len(members))
        if hasattr(members[0], "n_features_in_"):
            self.n_features_in_ = members[0].n_features_in_
        return self

    def _weights(self, n=None) -> np.ndarray:
        n = len(self.estimators) if n is None else n
        if self.weights is None:
            return np.full(n, 1.0 / n)
        w = np.asarray(self.weights, dtype=np.float64)
        if w.shape != (n,) or (w < 0).any() or w.sum() <= 0:
            raise DigitlabError(f"weights must be {n} non-negative numbers, not all 0; got {self.weights}")
        return w / w.sum()

    # -- parameters: the members' own, as `member<i>__<name>` (scikit-learn's nested naming) -------

    def get_params(self, deep=True) -> dict:
        """`estimators` and `weights`; with `deep`, also each member as `member<i>` and its parameters
        as `member<i>__<name>`, so a grid search can tune a member."""
        params = super().get_params(deep=False)
        members = self.estimators if isinstance(self.estimators, (list, tuple)) else []  # checked in fit
        if deep:
            for i, member in enumerate(m for m in members if hasattr(m, "get_params")):
                params[f"member{i}"] = member
                params.update({f"member{i}__{k}": v for k, v in member.get_params(deep=True).items()})
        return params

    def set_params(self, **params):
        """Set `estimators`, `weights`, a whole `member<i>` or a member's `member<i>__<name>`."""
        own = {k: params.pop(k) for k in ("estimators", "weights") if k in params}
        super().set_params(**own)
        for key, value in params.items():
            name, _, inner = key.partition("__")
            index = _member_index(name, len(self.estimators))
            if index is None:
                raise ValueError(f"invalid parameter {key!r} for EnsembleClassifier: its parameters are "
                                 "estimators, weights, member<i> and member<i>__<name>")
            if inner:
                self.estimators[index].set_params(**{inner: value})
            else:  # a new list: the caller's own list is left as it was
                self.estimators = [value if i == index else m for i, m in enumerate(self.estimators)]
        return self

    def predict_proba(self, X) -> np.ndarray:
        """(n, n_classes) float32: the weighted mean of the members' probabilities."""
        check_is_fitted(self, "estimators_")
        total = sum(w * member.predict_proba(X).astype(np.float64)
                    for w, member in zip(self.weights_, self.estimators_))
        return total.astype(np.float32)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row of X, (n,)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


def _member_index(name: str, n: int) -> int | None:
    """3 for "member3" when there are more than 3 members, else None."""
    digits = name.removeprefix("member")
    if name.startswith("member") and digits.isdigit() and int(digits) < n:
        return int(digits)
    return None


# -- model files: each member's own file contents, nested under a prefix -------------------------

def _nest(model, prefix: str) -> tuple[dict, dict]:
    header, arrays = encode_model(model)
    return header, {f"{prefix}.{name}": a for name, a in arrays.items()}


def _unnest(header: dict, arrays: dict, prefix: str, trust: bool):
    start = prefix + "."
    own = {name[len(start):]: a for name, a in arrays.items() if name.startswith(start)}
    return decode_model(header, own, trust)


def _encode_ensemble(model: EnsembleClassifier):
    members, arrays = [], {}
    for i, member in enumerate(model.estimators_):
        header, nested = _nest(member, f"member{i}")
        members.append(header)
        arrays.update(nested)
    return {"members": members, "weights": model.weights_.tolist()}, arrays


def _decode_ensemble(params: dict, arrays: dict, trust: bool):
    members = [_unnest(h, arrays, f"member{i}", trust) for i, h in enumerate(params["members"])]
    return EnsembleClassifier.from_fitted(members, weights=params["weights"])


def _encode_tta(model: TTAClassifier):
    header, arrays = _nest(model.estimator_, "estimator")
    views = {k: [float(v) for v in getattr(model, k)] for k in ("shifts", "angles", "scales")}
    return {"estimator": header, **views}, arrays


def _decode_tta(params: dict, arrays: dict, trust: bool):
    inner = _unnest(params["estimator"], arrays, "estimator", trust)
    return TTAClassifier.from_fitted(inner, **{k: tuple(params[k]) for k in ("shifts", "angles", "scales")})


MODELS = {}  # nothing here trains by name (`--engine ensemble`): ensembles join trained models

CODECS = {
    "EnsembleClassifier": Codec(EnsembleClassifier, _encode_ensemble, _decode_ensemble),
    "TTAClassifier": Codec(TTAClassifier, _encode_tta, _decode_tta),
}
