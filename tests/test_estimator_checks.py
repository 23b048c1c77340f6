"""scikit-learn's own estimator checks (`parametrize_with_checks`) on every digitlab estimator.

The one expected failure is listed and explained here, once: an image model (a CNN, and
test-time augmentation, which warps images) takes rows whose width is a square number of pixels
(n, H*W), and refuses the 2 to 10 arbitrary features most checks invent. Every other check, the
image models' included (not fitted, bad parameters, sparse input, NaN, complex X, continuous
targets, pickling, ...), must pass. The settings are tiny so the whole module stays fast.
"""

from __future__ import annotations

import os

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.utils.estimator_checks import parametrize_with_checks

from digitlab.models.ensemble import EnsembleClassifier
from digitlab.models.tta import TTAClassifier
from digitlab.nn.estimators import CNNClassifier, MLPClassifier

os.environ.setdefault("KERAS_BACKEND", "torch")

IMAGE_ONLY = "an image model takes a square number of features (n, H*W); this check gives it {}"
# checks that predict on arbitrary feature counts: a CNN refuses them, and so does test-time
# augmentation (it warps each row as an image; its fit is the wrapped model's, which may take any)
AT_PREDICT = {name: IMAGE_ONLY.format(what) for name, what in {
    "check_fit_score_takes_y": "3 features", "check_estimators_dtypes": "5 features",
    "check_dtype_object": "10 features", "check_pipeline_consistency": "3 features",
    "check_estimators_pickle": "3 features", "check_f_contiguous_array_estimator": "3 features",
    "check_classifier_data_not_an_array": "2 features", "check_classifiers_one_label": "3 features",
    "check_classifiers_classes": "2 features", "check_classifiers_train": "2 features",
    "check_supervised_y_2d": "3 features", "check_methods_sample_order_invariance": "3 features",
    "check_methods_subset_invariance": "3 features", "check_dict_unchanged": "3 features",
    "check_fit_idempotent": "2 features",
}.items()}
# checks that only fit on them: the CNN alone refuses these
AT_FIT = {name: IMAGE_ONLY.format(what) for name, what in {
    "check_estimators_overwrite_params": "2 features", "check_dont_overwrite_parameters": "3 features",
    "check_estimators_fit_returns_self": "2 features", "check_readonly_memmap_input": "2 features",
    "check_estimators_nan_inf": "3 features", "check_fit2d_1sample": "10 features",
    "check_fit2d_1feature": "1 feature (a 1x1 image: too small to pool)", "check_fit_check_is_fitted": "2 features",
    "check_n_features_in": "2 features", "check_fit2d_predict1d": "3 features",
}.items()}


def expected_failed_checks(estimator) -> dict:
    """The checks an estimator is expected to fail, with why: the image models' feature counts."""
    if isinstance(estimator, CNNClassifier):
        return {**AT_PREDICT, **AT_FIT}
    return AT_PREDICT if isinstance(estimator, TTAClassifier) else {}


def mlp(seed=0):
    return MLPClassifier((16,), max_iter=30, learning_rate_init=1e-2, random_state=seed)


def estimators():
    found = [mlp(), CNNClassifier((4,), (16,), max_iter=20, learning_rate_init=1e-2, random_state=0),
             EnsembleClassifier([LogisticRegression(max_iter=200), GaussianNB()]), TTAClassifier(mlp())]
    try:
        import torch  # noqa: F401

        from digitlab.torch_engine.estimator import TorchNetClassifier

        found.append(TorchNetClassifier("mlp", hidden_layer_sizes=(16,), max_iter=10, learning_rate_init=3e-2,
                                        device="cpu", random_state=0))
    except ImportError:
        pass
    from digitlab.keras_engine.backend import keras_available

    if keras_available():
        from digitlab.keras_engine.estimator import KerasNetClassifier

        found.append(KerasNetClassifier("mlp", hidden_layer_sizes=(16,), max_iter=3, learning_rate_init=5e-2,
                                        validation_fraction=0.0, random_state=0))
    return found


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Tiny networks gain nothing from torch's threads; on a loaded machine they cost (test_keras_engine.py)."""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# strict: a check listed above that passes fails the test, so the list stays exact
@parametrize_with_checks(estimators(), expected_failed_checks=expected_failed_checks, xfail_strict=True)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_every_expected_failure_is_a_check_scikit_learn_runs():
    """A renamed check would silently drop out of the list: every name must be one of scikit-learn's."""
    from sklearn.utils.estimator_checks import _yield_all_checks

    names = {getattr(c, "func", c).__name__ for c in _yield_all_checks(mlp(), legacy=True)}
    assert set(AT_PREDICT) | set(AT_FIT) <= names, (set(AT_PREDICT) | set(AT_FIT)) - names


def test_ensemble_exposes_its_members_parameters(digits):
    ensemble = EnsembleClassifier([mlp(0), mlp(1)])
    params = ensemble.get_params(deep=True)
    assert params["member1__random_state"] == 1 and params["member0"] is ensemble.estimators[0]
    ensemble.set_params(member1__hidden_layer_sizes=(8,), weights=[1, 3])
    assert ensemble.estimators[1].hidden_layer_sizes == (8,) and ensemble.weights == [1, 3]
    with pytest.raises(ValueError, match="member2__alpha"):
        ensemble.set_params(member2__alpha=1.0)
    X, y, _, _ = digits
    fitted = ensemble.set_params(member0__max_iter=2, member1__max_iter=2).fit(X[:200], y[:200])
    assert [m.n_iter_ for m in fitted.estimators_] == [2, 2]


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_tta_refuses_nan_and_inf_at_predict(digits, bad):
    X, y, X_test, _ = digits
    tta = TTAClassifier.from_fitted(MLPClassifier((8,), max_iter=2, random_state=0).fit(X[:100], y[:100]))
    rows = X_test[:3].copy()
    rows[1, 5] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        tta.predict(rows)
