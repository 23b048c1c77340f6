"""The fast recipe (`fast-cnn` preset): its accuracy floor on MNIST, and that it runs in the numpy engine.

Timing is a benchmark (benchmarks/torch_vs_examples.py), never a test.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch engine needs PyTorch (pip install 'digitlab[torch]')")

from digitlab.data import load_dataset, to_features
from digitlab.models.torch_models import MODELS
from digitlab.nn import architecture as A

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    data = load_dataset("mnist", data_dir=mnist_dir)
    return to_features(data.train.images), data.train.labels, to_features(data.test.images), data.test.labels


def test_no_layer_works_at_full_resolution():
    arch = MODELS["fast-cnn"]().build_architecture((1, 28, 28), 10)
    conv_outputs = [shape for layer, shape in zip(arch["layers"], A.output_shapes(arch))
                    if layer["type"] == "conv2d"]
    assert conv_outputs == [(16, 14, 14), (32, 7, 7), (64, 4, 4)]
    assert A.count_params(arch) == 156_266


def test_preset_learns_a_subset_and_runs_in_the_numpy_engine(mnist):
    X, y, X_test, y_test = mnist
    model = MODELS["fast-cnn"]().set_params(random_state=0, device="cpu").fit(X[:6000], y[:6000])
    assert model.score(X_test[:2000], y_test[:2000]) >= 0.90  # measured 0.9305 (seed 0; 0.922, 0.9205 for 1, 2)
    numpy_model = model.to_numpy_model()
    assert np.allclose(numpy_model.predict_proba(X_test[:200]), model.predict_proba(X_test[:200]), atol=1e-5)


@pytest.mark.slow
def test_preset_reaches_99_percent_on_mnist(mnist):
    X, y, X_test, y_test = mnist
    model = MODELS["fast-cnn"]().set_params(random_state=0, device="cpu").fit(X, y)
    assert model.score(X_test, y_test) >= 0.99
