"""The numpy engine's estimators: scikit-learn's checks, model files, bad input, seeded accuracy floors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from digitlab.errors import DigitlabError
from digitlab.models import load_model, make_model, save_model
from digitlab.models.numpy_models import MODELS
from digitlab.nn import architecture as A
from digitlab.nn.estimators import CNNClassifier, LeNet5Classifier, MLPClassifier, from_weights

# scikit-learn's estimator checks for these (and every other engine's) estimators: test_estimator_checks.py


def test_mlp_accuracy_floor_on_digits(digits):
    X, y, X_test, y_test = digits
    model = MLPClassifier((128,), max_iter=30, batch_size=32, learning_rate_init=2e-3, validation_fraction=0.0,
                          random_state=0).fit(X, y)
    assert model.score(X_test, y_test) >= 0.96  # measured 0.9733 (seed 0)
    assert model.history_[-1]["loss"] < model.history_[0]["loss"] / 5


def test_cnn_on_8x8_digits_learns_and_is_seeded(digits):
    X, y, X_test, y_test = digits
    make = lambda: CNNClassifier((8,), 32, dropout=0.0, max_iter=5, batch_size=32, learning_rate_init=1e-2,
                                 validation_fraction=0.0, random_state=0)
    first, second = make().fit(X, y), make().fit(X, y)
    assert first.architecture_["input_shape"] == [1, 8, 8]
    assert first.score(X_test, y_test) >= 0.95  # measured 0.98 (seed 0)
    np.testing.assert_array_equal(first.predict_proba(X_test), second.predict_proba(X_test))


def test_history_records_every_epoch(digits):
    X, y, _, _ = digits
    model = MLPClassifier((16,), max_iter=3, random_state=0).fit(X, y)
    assert [row["epoch"] for row in model.history_] == [1, 2, 3]
    assert set(model.history_[0]) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
    assert model.history_[0]["val_accuracy"] is not None  # validation_fraction=0.1 by default
    assert model.loss_curve_ == [row["loss"] for row in model.history_]
    assert model.n_params_ == 64 * 16 + 16 + 16 * 10 + 10


@pytest.mark.parametrize("name", ["mlp", "cnn", "lenet5"])
def test_model_file_round_trip_gives_identical_probabilities(tmp_path, digits, name):
    X, y, X_test, _ = digits
    model = make_model(name, max_iter=1, random_state=0).fit(X[:300], y[:300])
    save_model(model, tmp_path / "m.npz", info={"dataset": "digits"})
    loaded, info = load_model(tmp_path / "m.npz")
    assert type(loaded) is type(model) and info == {"dataset": "digits"}
    np.testing.assert_array_equal(loaded.predict_proba(X_test), model.predict_proba(X_test))
    assert loaded.get_params() == model.get_params()
    assert loaded.history_ == model.history_


def test_from_weights_rebuilds_a_network_from_named_arrays(digits):
    X, y, X_test, _ = digits
    model = MLPClassifier((16,), max_iter=2, random_state=0).fit(X, y)
    rebuilt = from_weights(model.architecture_, model.get_weights(), model.classes_)
    np.testing.assert_array_equal(rebuilt.predict_proba(X_test), model.predict_proba(X_test))
    weights = model.get_weights()
    weights["1.weight"] = weights["1.weight"][:, :5]
    with pytest.raises(ValueError, match="1.weight"):
        from_weights(model.architecture_, weights, model.classes_)


def test_the_learners_networks_are_built_as_they_write_them():
    sigmoid = MODELS["seed-sigmoid-mlp"]()
    arch = sigmoid._architecture((1, 28, 28), 10)
    kinds = [layer["type"] for layer in arch["layers"]]
    assert kinds == ["flatten", "dense", "sigmoid", "dense", "sigmoid", "dense", "sigmoid", "dense", "sigmoid"]
    assert {layer.get("init") for layer in arch["layers"]} == {None, "normal"}
    assert A.count_params(arch) == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10
    two = MODELS["seed-two-layer"]()
    assert [l["type"] for l in two._architecture((1, 28, 28), 10)["layers"]] == [
        "flatten", "dense", "relu", "dense", "softmax"]
    assert (two.solver, two.learning_rate_init, two.batch_size, two.max_iter) == ("sgd", 0.10, "full", 500)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_registered_model_is_a_fresh_unfitted_estimator(name):
    model = MODELS[name]()
    assert clone(model).get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        model.predict(np.zeros((1, 64), np.float32))


# -- bad input -----------------------------------------------------------------

@pytest.mark.parametrize("bad, message", [
    (np.full((4, 64), np.nan, np.float32), "NaN"),
    (np.full((4, 64), np.inf, np.float32), "infinity"),
    (np.zeros((0, 64), np.float32), "0 sample"),
    (np.zeros(64, np.float32), "2D array"),
])
def test_bad_X_is_a_clear_error(bad, message):
    with pytest.raises(ValueError, match=message):
        MLPClassifier(max_iter=1).fit(bad, np.arange(len(bad)) % 2 if bad.ndim == 2 else [0])


def test_wrong_number_of_features_at_predict(digits):
    X, y, _, _ = digits
    model = MLPClassifier((8,), max_iter=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="64 features"):
        model.predict(np.zeros((2, 784), np.float32))


@pytest.mark.parametrize("params, message", [
    ({"batch_size": 5000}, "batch_size=5000 is larger than the"),
    ({"solver": "lbfgs"}, "solver must be one of sgd, momentum, nesterov, adam, adamw, got 'lbfgs'"),
    ({"schedule": "warm"}, "schedule must be one of .*, got 'warm'"),
    ({"activation": "swish"}, "activation must be one of relu, .*, got 'swish'"),
    ({"loss": "hinge"}, "unknown loss 'hinge'"),
    ({"validation_fraction": 1.0}, r"validation_fraction must be a fraction in \[0, 1\)"),
    ({"max_iter": 0}, "max_iter must be a whole number >= 1 or 'auto', got 0"),
    ({"augment": 2}, "augment must be one of none, shift"),
    ({"augment": "affine"}, "the numpy engine cannot honour it .torch can."),
])
def test_bad_settings_are_named(digits, params, message):
    X, y, _, _ = digits
    with pytest.raises(ValueError, match=message):
        MLPClassifier((8,), **{"max_iter": 1, **params}).fit(X, y)


def test_cnn_needs_square_images():
    with pytest.raises(DigitlabError, match="not a square number"):
        CNNClassifier(max_iter=1).fit(np.zeros((4, 10), np.float32), [0, 1, 0, 1])


def test_divergence_stops_with_a_clear_message(digits):
    X, y, _, _ = digits
    with pytest.raises(DigitlabError, match="diverged .* learning_rate_init"):
        MLPClassifier((64,), solver="sgd", learning_rate_init=1e6, schedule="constant", max_iter=5, batch_size=128,
                      random_state=0).fit(X * 100, y)


def test_lenet5_fits_8x8_and_28x28_shapes():
    assert A.output_shapes(LeNet5Classifier()._architecture((1, 8, 8), 10))[-1] == (10,)
    assert A.output_shapes(LeNet5Classifier()._architecture((1, 28, 28), 10))[6] == (16 * 5 * 5,)


def test_a_model_saves_when_only_the_estimators_module_was_imported(tmp_path):
    import subprocess
    import sys

    code = ("import numpy as np\nfrom digitlab.nn.estimators import MLPClassifier\n"
            "from digitlab.models.modelfile import save_model\n"
            "m = MLPClassifier((4,), max_iter=1).fit(np.eye(4, dtype=np.float32), [0, 1, 0, 1])\n"
            f"save_model(m, {str(tmp_path / 'm.npz')!r})\n")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert (tmp_path / "m.npz").is_file()
