"""The Keras engine against the numpy engine (the oracle): same architecture, same weights,
same probabilities; plus training, seeding, model files and the CLI.

Keras runs on the PyTorch backend here (as in CI); the tests skip when keras is missing.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

from digitlab.keras_engine.backend import keras_available

pytestmark = pytest.mark.skipif(not keras_available(), reason="keras (with a backend) is not installed")

from digitlab.cli import main
from digitlab.data import load_dataset, to_features
from digitlab.errors import DigitlabError
from digitlab.models import load_model, make_model, save_model
from digitlab.nn import architecture as A
from digitlab.nn.estimators import from_weights

# Architectures chosen to break every layout difference: several channels before a flatten
# (C-major vs H-major), non-square images, stride and padding, batch-norm on images and vectors.
ARCHITECTURES = {
    "mlp": A.mlp((12, 7), "leaky_relu", (1, 6, 5), 4, dropout=0.3, batchnorm=True),
    "conv": A.validate({"input_shape": [2, 9, 7], "layers": [
        {"type": "conv2d", "filters": 3, "kernel_size": 3, "stride": 2, "padding": 1},
        {"type": "batchnorm"}, {"type": "tanh"},
        {"type": "conv2d", "filters": 4, "kernel_size": 2},
        {"type": "maxpool2d", "pool_size": 2, "stride": 1},
        {"type": "flatten"}, {"type": "dropout", "rate": 0.5},
        {"type": "dense", "units": 6}, {"type": "sigmoid"}, {"type": "dense", "units": 3}]}),
    "cnn": A.cnn((3, 5), 8, (1, 8, 8), 10),
    "lenet5": A.lenet5((1, 28, 28), 10),
    "softmax-head": A.validate({"input_shape": [1, 4, 4], "layers": [
        {"type": "flatten"}, {"type": "dense", "units": 5}, {"type": "relu"},
        {"type": "dense", "units": 3}, {"type": "softmax"}]}),
}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Tiny networks gain nothing from torch's thread pool, and on a shared, loaded 2-core
    machine its spinning threads made Keras steps ~10x slower (measured); restore it after."""
    if os.environ["KERAS_BACKEND"] != "torch":
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def random_weights(arch, rng):
    """Every parameter random, running variances positive, so no layout mistake can hide.

    Weights are scaled by 2/sqrt(fan-in), like a trained network's, so the logits stay
    in a range where float32 rounding is well below the 1e-5 tolerance."""
    weights = {}
    for name, shape in A.param_shapes(arch).items():
        fan_in = shape[0] if len(shape) == 2 else int(np.prod(shape[1:]))
        scale = 2 / np.sqrt(fan_in) if name.endswith("weight") and len(shape) > 1 else 0.5
        w = rng.normal(0, scale, size=shape).astype(np.float32)
        weights[name] = np.abs(w) + 0.5 if name.endswith("running_var") else w
    return weights


def keras_model(arch, weights, classes):
    from digitlab.keras_engine.estimator import KerasNetClassifier, restore

    return restore(KerasNetClassifier(architecture=arch), arch, classes, weights)


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_same_probabilities_as_the_numpy_engine(name):
    arch = ARCHITECTURES[name]
    rng = np.random.default_rng(0)
    weights = random_weights(arch, rng)
    classes = np.arange(A.output_shapes(arch)[-1][0])
    X = rng.random((23, int(np.prod(arch["input_shape"]))), dtype=np.float32)
    ours = from_weights(arch, weights, classes).predict_proba(X)
    theirs = keras_model(arch, weights, classes).predict_proba(X)
    np.testing.assert_allclose(theirs, ours, atol=1e-5, rtol=0)
    assert np.ptp(ours, axis=0).max() > 0.01  # the inputs really do move the outputs


@pytest.mark.parametrize("name", ["conv", "mlp"])
def test_weights_come_back_exactly(name):
    arch = ARCHITECTURES[name]
    weights = random_weights(arch, np.random.default_rng(1))
    back = keras_model(arch, weights, np.arange(4)).get_weights()
    assert back.keys() == weights.keys()
    for key in weights:
        np.testing.assert_array_equal(back[key], weights[key])


def test_flatten_order_is_channel_major():
    """A dense layer reading only input channel 1 of a (2, 3, 3) image must see it in the keras
    model too, which fails if Keras' (H, W, C) flatten order leaked through."""
    arch = A.validate({"input_shape": [2, 3, 3], "layers": [{"type": "flatten"}, {"type": "dense", "units": 2}]})
    W = np.zeros((18, 2), np.float32)
    W[9:, 0] = 1.0  # class 0 sums channel 1 (features 9..17, C-major)
    X = np.zeros((1, 18), np.float32)
    X[0, 9:] = 1.0
    proba = keras_model(arch, {"1.weight": W, "1.bias": np.zeros(2, np.float32)}, np.arange(2)).predict_proba(X)
    np.testing.assert_allclose(proba[0], np.exp([9, 0]) / np.exp([9, 0]).sum(), rtol=1e-5)


@pytest.fixture(scope="module")
def fitted_cnn(digits):
    X, y, _, _ = digits
    return make_model("cnn", engine="keras", hidden_layer_sizes=(16,), channels=(4, 8), max_iter=2,
                      batch_size=64, random_state=0).fit(X, y)


def test_trained_weights_run_in_the_numpy_engine(fitted_cnn, digits):
    _, _, X_test, y_test = digits
    numpy_model = fitted_cnn.to_numpy_model()
    np.testing.assert_allclose(fitted_cnn.predict_proba(X_test), numpy_model.predict_proba(X_test),
                               atol=1e-5, rtol=0)
    assert fitted_cnn.score(X_test, y_test) == numpy_model.score(X_test, y_test)
    assert [row["epoch"] for row in fitted_cnn.history_] == [1, 2]
    assert fitted_cnn.n_params_ == A.count_params(fitted_cnn.architecture_)


def test_mlp_learns_digits(digits):
    X, y, X_test, y_test = digits
    model = make_model("mlp", engine="keras", hidden_layer_sizes=(64,), max_iter=10, batch_size=64,
                       learning_rate_init=3e-3, schedule="constant", random_state=3).fit(X, y)
    assert model.score(X_test, y_test) >= 0.93  # scikit-learn's MLPClassifier gets ~0.97 here
    assert model.history_[-1]["loss"] < model.history_[0]["loss"] / 3


def test_same_seed_same_network(digits):
    X, y, X_test, _ = digits
    fits = [make_model("mlp", engine="keras", hidden_layer_sizes=(8,), dropout=0.2, max_iter=2, batch_size=50,
                       validation_fraction=0.2, random_state=seed).fit(X[:300], y[:300]) for seed in (5, 5, 6)]
    np.testing.assert_array_equal(fits[0].predict_proba(X_test), fits[1].predict_proba(X_test))
    assert not np.allclose(fits[0].predict_proba(X_test), fits[2].predict_proba(X_test))
    assert {"val_loss", "val_accuracy"} <= set(fits[0].history_[-1])


def test_model_file_round_trip_and_numpy_fallback(fitted_cnn, digits, tmp_path, monkeypatch):
    _, _, X_test, _ = digits
    path = save_model(fitted_cnn, tmp_path / "keras.npz", info={"input_shape": [8, 8]})
    loaded, info = load_model(path)
    assert type(loaded).__name__ == "KerasNetClassifier" and info["input_shape"] == [8, 8]
    assert loaded.history_ == fitted_cnn.history_
    np.testing.assert_array_equal(loaded.predict_proba(X_test), fitted_cnn.predict_proba(X_test))
    with np.load(path, allow_pickle=False) as npz:  # our layout inside, no Keras file
        assert npz["0.weight"].shape == (4, 1, 3, 3)
    from digitlab.keras_engine import backend

    monkeypatch.setattr(backend, "keras_available", lambda: False)  # as on a machine without keras
    numpy_model, _ = load_model(path)
    assert type(numpy_model).__module__.startswith("digitlab.nn")
    np.testing.assert_allclose(numpy_model.predict_proba(X_test), fitted_cnn.predict_proba(X_test), atol=1e-5)


def test_seed_keras_preset_is_the_learners_network():
    model = make_model("seed-keras-25-15", engine="keras")
    arch = model.build_architecture((1, 20, 20), 10)
    dense = [layer for layer in arch["layers"] if layer["type"] == "dense"]
    assert [d["units"] for d in dense] == [25, 15, 10]
    assert [layer["type"] for layer in arch["layers"]] == ["flatten", "dense", "relu", "dense", "relu", "dense"]
    assert {d["init"] for d in dense} == {"xavier"}  # Keras' default glorot_uniform
    params = model.get_params()
    assert (params["solver"], params["learning_rate_init"], params["max_iter"], params["batch_size"]) == \
        ("adam", 1e-3, 40, 32)


def test_backend_is_the_one_keras_was_told():
    from digitlab.keras_engine.backend import import_keras

    assert import_keras().backend.backend() == os.environ["KERAS_BACKEND"]


def test_bad_settings_are_one_line_errors(digits):
    X, y, _, _ = digits
    with pytest.raises(DigitlabError, match="solver must be one of .*, got 'rmsprop'"):
        make_model("mlp", engine="keras", solver="rmsprop").fit(X[:20], y[:20])
    with pytest.raises(DigitlabError, match="the keras engine cannot honour it .torch can."):
        make_model("mlp", engine="keras", augment="affine").fit(X[:20], y[:20])
    with pytest.raises(DigitlabError, match="square image"):
        make_model("cnn", engine="keras", max_iter=1).fit(X[:20, :63], y[:20])
    model = make_model("mlp", engine="keras", hidden_layer_sizes=(4,), max_iter=1).fit(X[:40], y[:40])
    with pytest.raises(ValueError, match="X has 32 features, but KerasNetClassifier is expecting 64"):
        model.predict(X[:5, :32])  # scikit-learn's own message, as every engine gives it


def test_cli_train_with_the_keras_engine(tmp_path, capsys):
    code = main(["train", "--engine", "keras", "--model", "mlp", "--hidden", "32", "--epochs", "2",
                 "--runs-dir", str(tmp_path), "--name", "k", "--json"])
    assert code == 0
    model, _ = load_model(tmp_path / "k")
    data = load_dataset("digits")
    import json

    summary = json.loads(capsys.readouterr().out)
    accuracy = model.score(to_features(data.test.images), data.test.labels)
    assert summary["metrics"]["test"]["accuracy"] == pytest.approx(accuracy)
    assert summary["settings"]["engine"] == "keras"
    assert [row["epoch"] for row in json.loads((tmp_path / "k" / "history.json").read_text())] == [1, 2]
