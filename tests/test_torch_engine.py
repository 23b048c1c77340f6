"""The torch engine against the numpy engine: same weights, same outputs, same gradients.

The numpy engine is the oracle: it is written from the equations and
gradient-checked on its own, so agreement here means the torch modules, the
weight layouts (dense (in, out) vs nn.Linear (out, in)) and C-major flatten
all line up.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch engine needs PyTorch (pip install 'digitlab[torch]')")

from digitlab.models import load_model, save_model
from digitlab.models.torch_models import MODELS
from digitlab.nn import architecture as A
from digitlab.nn.architecture import fast_cnn
from digitlab.nn.estimators import from_weights
from digitlab.nn.losses import softmax_cross_entropy
from digitlab.nn.network import Network
from digitlab.torch_engine.build import build_module, get_weights, set_weights
from digitlab.torch_engine.estimator import TorchNetClassifier

pytestmark = pytest.mark.usefixtures("torch_one_thread")


ARCHS = {
    "mlp-bn-dropout": A.mlp((32, 16), "relu", (1, 8, 8), 10, dropout=0.3, batchnorm=True),
    "mlp-tanh": A.mlp((24,), "tanh", (1, 8, 8), 10),
    "cnn": A.cnn((4, 8), 16, (1, 12, 12), 10, dropout=0.25, batchnorm=True),
    "lenet5": A.lenet5((1, 28, 28), 10),
    "fast-cnn": fast_cnn((4, 6), (1, 12, 12), 10),
    "leaky-sigmoid": A.validate({"input_shape": [1, 6, 6], "layers": [
        {"type": "conv2d", "filters": 3, "kernel_size": 3, "stride": 2, "padding": 1},
        {"type": "leaky_relu", "negative_slope": 0.1}, {"type": "flatten"},
        {"type": "dense", "units": 7}, {"type": "sigmoid"}, {"type": "dense", "units": 5}]}),
}


def _random_weights(arch, seed=0) -> dict:
    """The numpy engine's own initial weights, with batch-norm stats and affine made non-trivial."""
    rng = np.random.default_rng(seed)
    weights = Network(arch, rng=rng).get_weights()
    for name in weights:
        if name.endswith(("running_var", ".weight")) and weights[name].ndim == 1:
            weights[name] = rng.uniform(0.5, 1.5, weights[name].shape).astype(np.float32)
        elif name.endswith(("running_mean", ".bias")):
            weights[name] = rng.normal(0, 0.2, weights[name].shape).astype(np.float32)
    return weights


def _inputs(arch, n=16, seed=1):
    return np.random.default_rng(seed).random((n, *arch["input_shape"]), dtype=np.float32)


@pytest.mark.parametrize("name", ARCHS)
def test_same_weights_give_same_probabilities(name):
    arch = ARCHS[name]
    weights = _random_weights(arch)
    x = _inputs(arch)
    ours = from_weights(arch, weights, np.arange(arch["layers"][-1]["units"]))
    module = set_weights(build_module(arch), weights).eval()
    with torch.no_grad():
        logits = module(torch.from_numpy(x)).numpy()
    theirs = torch.softmax(torch.from_numpy(logits), 1).numpy()
    np.testing.assert_allclose(theirs, ours.predict_proba(x.reshape(len(x), -1)), atol=1e-5)


@pytest.mark.parametrize("name", ["mlp-tanh", "cnn", "lenet5", "leaky-sigmoid"])
def test_one_training_step_gives_the_same_gradients(name):
    arch = A.validate({**ARCHS[name], "layers": [l for l in ARCHS[name]["layers"] if l["type"] != "dropout"]})
    weights = _random_weights(arch)
    x, y = _inputs(arch, n=8), np.arange(8) % arch["layers"][-1]["units"]
    net = Network(arch)
    net.set_weights(weights)
    out = net.forward(x, training=True)
    onehot = np.eye(out.shape[1], dtype=np.float32)[y]
    loss, delta = softmax_cross_entropy(out, onehot)
    net.backward(delta)
    module = set_weights(build_module(arch), weights).train()
    torch_loss = torch.nn.functional.cross_entropy(module(torch.from_numpy(x)), torch.from_numpy(y))
    torch_loss.backward()
    assert torch_loss.item() == pytest.approx(loss, rel=1e-5)
    for index, layer in enumerate(net.layers):
        for key, grad in layer.grads.items():
            g = getattr(module[index], key).grad.numpy()
            g = g.T if isinstance(module[index], torch.nn.Linear) and key == "weight" else g
            # atol: a conv bias before batch-norm has a true gradient of 0, so both sides are rounding noise
            np.testing.assert_allclose(g, grad, rtol=1e-4, atol=1e-5, err_msg=f"{index}.{key}")


def test_weights_round_trip_exactly_and_wrong_ones_are_refused():
    arch = ARCHS["cnn"]
    weights = _random_weights(arch)
    back = get_weights(set_weights(build_module(arch), weights))
    assert back.keys() == weights.keys()
    for name in weights:
        np.testing.assert_array_equal(back[name], weights[name])
    with pytest.raises(ValueError, match="missing"):
        set_weights(build_module(arch), {k: v for k, v in weights.items() if k != "0.bias"})
    bad = dict(weights, **{"0.weight": np.zeros((1, 1, 3, 3), np.float32)})
    with pytest.raises(ValueError, match="0.weight"):
        set_weights(build_module(arch), bad)


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    order = np.random.default_rng(0).permutation(len(X))
    X, y = X[order], y[order]
    return X[:1400], y[:1400], X[1400:], y[1400:]


@pytest.fixture(scope="module")
def fitted_cnn(digits):
    X, y, _, _ = digits
    model = TorchNetClassifier("cnn", channels=(8, 16), hidden_layer_sizes=(32,), max_iter=8, batch_size=64,
                               learning_rate_init=5e-3, random_state=0, device="cpu")
    return model.fit(X, y)


def test_cnn_learns_digits_and_records_history(fitted_cnn, digits):
    _, _, X_test, y_test = digits
    assert fitted_cnn.score(X_test, y_test) > 0.9  # a fixed seed gives ~0.95; chance is 0.1
    assert len(fitted_cnn.history_) == 8 == fitted_cnn.n_iter_
    assert fitted_cnn.loss_curve_[-1] < fitted_cnn.loss_curve_[0]
    assert fitted_cnn.n_params_ == A.count_params(fitted_cnn.architecture_)


def test_saved_torch_model_loads_and_matches_the_numpy_engine(fitted_cnn, digits, tmp_path):
    _, _, X_test, _ = digits
    expected = fitted_cnn.predict_proba(X_test)
    save_model(fitted_cnn, tmp_path / "m.npz", info={"dataset": "digits"})
    loaded, info = load_model(tmp_path / "m.npz")
    assert info == {"dataset": "digits"}
    np.testing.assert_allclose(loaded.predict_proba(X_test), expected, atol=1e-6)
    numpy_model = fitted_cnn.to_numpy_model()
    np.testing.assert_allclose(numpy_model.predict_proba(X_test), expected, atol=1e-5)


def test_same_seed_same_model_and_sklearn_params(digits):
    X, y, _, _ = digits
    make = lambda: MODELS["mlp"]().set_params(max_iter=2, random_state=3, device="cpu", augment="affine")
    a, b = make().fit(X[:300], y[:300]), make().fit(X[:300], y[:300])
    for name, w in a.get_weights().items():
        np.testing.assert_array_equal(w, b.get_weights()[name])
    # the parameter names a user knows from the numpy engine mean the same here
    from digitlab.nn.estimators import MLPClassifier

    shared = {"hidden_layer_sizes", "activation", "max_iter", "batch_size", "learning_rate_init", "solver",
              "alpha", "dropout", "batchnorm", "schedule", "augment", "random_state", "verbose"}
    assert shared <= set(MLPClassifier().get_params()) & set(MODELS["mlp"]().get_params())


def test_bad_settings_are_one_line_errors(digits):
    from digitlab.errors import DigitlabError

    X, y, _, _ = digits
    for bad in ({"solver": "lbfgs"}, {"augment": "warp"}, {"schedule": "warm"}, {"device": "tpu"},
                {"learning_rate_init": -1.0}, {"dropout": 1.5}, {"alpha": -1.0}, {"nproc": 0}):
        with pytest.raises(DigitlabError, match=str(next(iter(bad.values())))):
            TorchNetClassifier("mlp", max_iter=1, **bad).fit(X[:50], y[:50])
    with pytest.raises(DigitlabError, match="not a square"):
        TorchNetClassifier("cnn", max_iter=1).fit(X[:50, :63], y[:50])


def test_torch_model_files_load_without_torch(fitted_cnn, digits, tmp_path, monkeypatch):
    """predict/serve never need torch: with torch unimportable, the file loads into the numpy engine."""
    from digitlab.nn.estimators import NetworkClassifier

    _, _, X_test, _ = digits
    save_model(fitted_cnn, tmp_path / "m.npz")
    monkeypatch.setitem(__import__("sys").modules, "torch", None)  # `import torch` now raises ImportError
    loaded, _ = load_model(tmp_path / "m.npz")
    assert isinstance(loaded, NetworkClassifier) and loaded.history_ == fitted_cnn.history_
    np.testing.assert_allclose(loaded.predict_proba(X_test), fitted_cnn.predict_proba(X_test), atol=1e-5)
