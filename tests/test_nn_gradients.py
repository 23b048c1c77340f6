"""Finite-difference gradient checks (float64) for every layer, activation, loss and a whole network.

Each backward is compared with central differences of f = sum(forward(x) * G)
for a random upstream gradient G, so dL/dx and every dL/dparam are checked.
"""

from __future__ import annotations

import numpy as np
import pytest

from digitlab.nn import architecture as A
from digitlab.nn.activations import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from digitlab.nn.conv import Conv2D, MaxPool2D
from digitlab.nn.layers import BatchNorm, Dense, Dropout, Flatten
from digitlab.nn.losses import (
    loss_function,
    sigmoid_cross_entropy,
    softmax_cross_entropy,
    squared_error,
)
from digitlab.nn.network import Network

F64 = np.float64


def numeric_grad(f, array, eps=1e-6):
    """Central differences of the scalar f() with respect to every entry of `array` (changed in place,
    by index: a conv's weights are a transposed view, which reshape(-1) would copy)."""
    grad = np.zeros_like(array)
    for i in np.ndindex(array.shape):
        old = array[i]
        array[i] = old + eps
        up = f()
        array[i] = old - eps
        down = f()
        array[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def check_layer(layer, x, training=True, reset=lambda: None, atol=1e-6):
    rng = np.random.default_rng(1)
    reset()
    y = layer.forward(x, training)
    upstream = rng.standard_normal(y.shape)

    def f():
        reset()
        return float((layer.forward(x, training) * upstream).sum())

    reset()
    layer.forward(x, training)
    dx = layer.backward(upstream)
    np.testing.assert_allclose(dx, numeric_grad(f, x), atol=atol, rtol=1e-5)
    for name, param in layer.params.items():
        np.testing.assert_allclose(layer.grads[name], numeric_grad(f, param), atol=atol, rtol=1e-5,
                                   err_msg=f"d/d{name}")


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def test_dense():
    check_layer(Dense(5, 3, rng=np.random.default_rng(0), dtype=F64), rand(4, 5))


@pytest.mark.parametrize("stride, padding, k", [(1, 0, 3), (1, 1, 3), (2, 1, 3), (2, 0, 2), (1, 2, 5)])
def test_conv2d(stride, padding, k):
    layer = Conv2D(2, 3, k, stride, padding, rng=np.random.default_rng(0), dtype=F64)
    layer.params["bias"] = rand(3, seed=5)
    check_layer(layer, rand(2, 2, 7, 6))


@pytest.mark.parametrize("pool, stride", [(2, None), (3, 2), (2, 1)])
def test_maxpool2d(pool, stride):
    check_layer(MaxPool2D(pool, stride), rand(2, 3, 7, 6))


@pytest.mark.parametrize("shape", [(6, 4), (3, 2, 4, 5)])
@pytest.mark.parametrize("frozen", [False, True])
def test_batchnorm(shape, frozen):
    layer = BatchNorm(shape[1], dtype=F64, frozen=frozen)
    layer.params = {"weight": rand(shape[1], seed=3), "bias": rand(shape[1], seed=4)}
    layer.buffers = {"running_mean": rand(shape[1], seed=6), "running_var": 1 + rand(shape[1], seed=7) ** 2}
    reset = (lambda: None) if frozen else lambda: layer.buffers.update(
        running_mean=rand(shape[1], seed=6), running_var=1 + rand(shape[1], seed=7) ** 2)
    check_layer(layer, rand(*shape), reset=reset)


def test_dropout_uses_one_mask_forward_and_backward():
    layer = Dropout(0.4)

    def reset():
        layer.rng = np.random.default_rng(0)

    check_layer(layer, rand(5, 6), reset=reset)


def test_flatten():
    check_layer(Flatten(), rand(2, 3, 4, 4))


@pytest.mark.parametrize("layer", [ReLU(), LeakyReLU(0.1), Sigmoid(), Tanh(), Softmax()],
                         ids=lambda layer: type(layer).__name__)
def test_activation(layer):
    check_layer(layer, rand(4, 6))


@pytest.mark.parametrize("soft", [False, True], ids=["one-hot", "probabilities"])
@pytest.mark.parametrize("loss", [softmax_cross_entropy, sigmoid_cross_entropy, squared_error])
def test_loss(loss, soft):
    """Against labels, and against a teacher's probability rows (what distillation learns from)."""
    z = rand(5, 4)
    targets = np.eye(4)[[0, 3, 1, 1, 2]]
    if soft:
        targets = np.exp(rand(5, 4))
        targets /= targets.sum(axis=1, keepdims=True)
    _, grad = loss(z, targets)
    np.testing.assert_allclose(grad, numeric_grad(lambda: loss(z, targets)[0], z), atol=1e-7)


@pytest.mark.parametrize("loss, head", [("cross_entropy", None), ("cross_entropy", "softmax"),
                                        ("cross_entropy", "sigmoid"), ("squared_error", "sigmoid"),
                                        ("squared_error", None)])
def test_whole_network(loss, head):
    """conv, batch-norm, relu, pool, flatten, dense, tanh, dense (and a head): every parameter checked."""
    layers = [{"type": "conv2d", "filters": 3, "kernel_size": 3, "padding": 1}, {"type": "batchnorm"},
              {"type": "relu"}, {"type": "maxpool2d"}, {"type": "flatten"},
              {"type": "dense", "units": 5}, {"type": "tanh"}, {"type": "dense", "units": 4}]
    if head:
        layers.append({"type": head})
    net = Network({"input_shape": [2, 6, 6], "layers": layers}, rng=np.random.default_rng(0), dtype=F64)
    x, onehot = rand(3, 2, 6, 6), np.eye(4)[[0, 2, 3]]
    loss_fn, fused = loss_function(loss, net.head)

    def f():
        return loss_fn(net.forward(x, training=True, skip_head=fused), onehot)[0]

    _, delta = loss_fn(net.forward(x, training=True, skip_head=fused), onehot)
    net.backward(delta, skip_head=fused)
    for name, layer, key in list(net.named("params")):
        np.testing.assert_allclose(layer.grads[key], numeric_grad(f, layer.params[key]), atol=1e-6, rtol=1e-5,
                                   err_msg=name)


def test_network_params_are_named_as_the_architecture_says():
    arch = A.cnn((4, 8), 16, (1, 12, 12))
    weights = Network(arch).get_weights()
    assert {k: v.shape for k, v in weights.items()} == A.param_shapes(arch)
    assert all(w.dtype == np.float32 for w in weights.values())
