"""Layers, optimisers and schedules against independent oracles: scipy, plain loops, torch, hand-worked numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import correlate

from digitlab.nn.augment import random_shift
from digitlab.nn.conv import Conv2D, MaxPool2D
from digitlab.nn.layers import BatchNorm
from digitlab.nn.losses import softmax_cross_entropy
from digitlab.nn.network import Network
from digitlab.nn.optimizers import Optimizer
from digitlab.nn.schedules import learning_rate


@pytest.mark.parametrize("stride, padding", [(1, 0), (1, 2), (2, 1), (3, 0)])
def test_conv2d_matches_scipy_correlate(stride, padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
    layer = Conv2D(3, 4, 3, stride, padding, rng=rng)
    layer.params["bias"] = rng.standard_normal(4).astype(np.float32)
    w, b = layer.params["weight"], layer.params["bias"]
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    expected = np.stack([
        np.stack([sum(correlate(x_pad[n, c], w[o, c], mode="valid") for c in range(3)) + b[o] for o in range(4)])
        for n in range(2)])[:, :, ::stride, ::stride]
    got = layer.forward(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_maxpool_matches_a_plain_loop():
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 7)).astype(np.float32)
    got = MaxPool2D(3, 2).forward(x)
    expected = np.empty((2, 3, 3, 3), np.float32)
    for i in range(3):
        for j in range(3):
            expected[:, :, i, j] = x[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3].max(axis=(2, 3))
    np.testing.assert_array_equal(got, expected)


def test_batchnorm_normalises_then_tracks_running_stats_like_torch():
    x = np.random.default_rng(0).normal(3.0, 2.0, (50, 4)).astype(np.float32)
    layer = BatchNorm(4)
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=0), 1, atol=1e-3)
    # running = 0.9 * initial + 0.1 * batch statistic, the variance unbiased
    np.testing.assert_allclose(layer.buffers["running_mean"], 0.1 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(layer.buffers["running_var"], 0.9 + 0.1 * x.var(axis=0, ddof=1), rtol=1e-5)


@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 5, 6)])
def test_batchnorm_evaluates_the_textbook_formula(shape):
    """Out of training: gamma (x - running mean) / sqrt(running var + eps) + beta, in float64 by hand."""
    rng = np.random.default_rng(0)
    layer = BatchNorm(4)
    layer.params["weight"][...], layer.params["bias"][...] = rng.normal(1, 0.5, 4), rng.normal(0, 1, 4)
    layer.buffers = {"running_mean": rng.normal(0, 2, 4).astype(np.float32),
                     "running_var": rng.uniform(0.1, 3, 4).astype(np.float32)}
    x = rng.normal(0, 3, shape).astype(np.float32)
    per_feature = (1, -1) + (1,) * (len(shape) - 2)
    gamma, beta, mean, var = (np.float64(a).reshape(per_feature) for a in (
        layer.params["weight"], layer.params["bias"], layer.buffers["running_mean"], layer.buffers["running_var"]))
    expected = gamma * (x - mean) / np.sqrt(var + 1e-5) + beta
    got = layer.forward(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_maxpool_training_and_evaluation_agree_and_the_first_maximum_takes_the_gradient():
    x = np.array([[[[1, 3, 3, 0], [3, 2, 0, 0]]]], dtype=np.float32)  # (1, 1, 2, 4): ties in the left window
    layer = MaxPool2D(2)
    np.testing.assert_array_equal(layer.forward(x), [[[[3, 3]]]])
    np.testing.assert_array_equal(layer.forward(x, training=True), [[[[3, 3]]]])
    dx = layer.backward(np.ones((1, 1, 1, 2), np.float32))
    np.testing.assert_array_equal(dx, [[[[0, 1, 1, 0], [0, 0, 0, 0]]]])  # row-major first of each window's ties


def test_hand_worked_example():
    """A 2-2-2 ReLU network on x = (1, 2), label 0, worked by hand.

    z1 = x W1 = (1*0.1 + 2*0.3, 1*0.2 + 2*0.4) = (0.7, 1.0) = a1 (both positive, ReLU keeps them)
    z2 = a1 W2 = (0.7*1 + 1.0*0, 0.7*-1 + 1.0*1) = (0.7, 0.3)
    p = softmax(z2) = (1 / (1 + e^-0.4), 1 / (1 + e^0.4)) = (0.5986877, 0.4013123)
    loss = -ln 0.5986877 = 0.5130153;  delta = p - y = (-0.4013123, 0.4013123)
    dW2 = a1^T delta = [[0.7 * -0.4013123, 0.7 * 0.4013123], [1.0 * -0.4013123, 1.0 * 0.4013123]]
    da1 = delta W2^T = (-0.4013123 - 0.4013123, 0 + 0.4013123) = (-0.8026247, 0.4013123)
    dW1 = x^T da1 = [[-0.8026247, 0.4013123], [-1.6052494, 0.8026247]]
    """
    arch = {"input_shape": [2], "layers": [{"type": "dense", "units": 2}, {"type": "relu"},
                                           {"type": "dense", "units": 2}]}
    net = Network(arch, dtype=np.float64)
    net.set_weights({"0.weight": [[0.1, 0.2], [0.3, 0.4]], "0.bias": [0, 0],
                     "2.weight": [[1, -1], [0, 1]], "2.bias": [0, 0]})
    z = net.forward(np.array([[1.0, 2.0]]), training=True)
    np.testing.assert_allclose(z, [[0.7, 0.3]])
    loss, delta = softmax_cross_entropy(z, np.array([[1.0, 0.0]]))
    assert loss == pytest.approx(0.5130153, abs=1e-6)
    net.backward(delta)
    np.testing.assert_allclose(net.layers[2].grads["weight"], [[-0.2809186, 0.2809186], [-0.4013123, 0.4013123]],
                               atol=1e-6)
    np.testing.assert_allclose(net.layers[0].grads["weight"], [[-0.8026247, 0.4013123], [-1.6052494, 0.8026247]],
                               atol=1e-6)
    np.testing.assert_allclose(net.layers[0].grads["bias"], [-0.8026247, 0.4013123], atol=1e-6)


@pytest.mark.parametrize("solver, kwargs", [
    ("sgd", {}), ("momentum", {"momentum": 0.9}), ("nesterov", {"momentum": 0.9, "nesterov": True}),
    ("adam", {}), ("adam", {"weight_decay": 0.1}), ("adamw", {"weight_decay": 0.1})])
def test_optimizers_match_torch(solver, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal((3, 4)).astype(np.float32)
    grads = [rng.standard_normal((3, 4)).astype(np.float32) for _ in range(4)]
    ours = Optimizer(solver, weight_decay=kwargs.get("weight_decay", 0.0))
    p = p0.copy()
    tp = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    opt_cls = {"sgd": torch.optim.SGD, "momentum": torch.optim.SGD, "nesterov": torch.optim.SGD,
               "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[solver]
    topt = opt_cls([tp], lr=0.01, **kwargs)
    for g in grads:
        ours.step(p, g, lr=0.01)
        tp.grad = torch.from_numpy(g.copy())
        topt.step()
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_schedules():
    assert learning_rate("constant", 0.1, 0.9) == 0.1
    assert [learning_rate("step", 1.0, t) for t in (0.0, 0.49, 0.5, 0.8)] == [1.0, 1.0, 0.1, 0.01]
    assert learning_rate("cosine", 1.0, 0.5) == pytest.approx(0.5)
    assert learning_rate("cosine", 1.0, 1.0) == pytest.approx(0.0)
    assert learning_rate("onecycle", 1.0, 0.0) == pytest.approx(1 / 25)
    assert learning_rate("onecycle", 1.0, 0.3) == pytest.approx(1.0)
    assert learning_rate("onecycle", 1.0, 1.0) == pytest.approx(1e-4)
    assert learning_rate("onecycle", 1.0, 0.65) == pytest.approx(1e-4 + (1 - 1e-4) * 0.5 * (1 + math.cos(math.pi / 2)))
    with pytest.raises(ValueError, match="unknown schedule"):
        learning_rate("warm", 1.0, 0.5)


def test_random_shift_moves_whole_images_and_keeps_ink():
    x = np.zeros((50, 1, 8, 8), np.float32)
    x[:, 0, 3:5, 3:5] = 1.0  # a 2x2 blob in the middle survives any shift of up to 2 px
    out = random_shift(x, 2, np.random.default_rng(0))
    assert out.shape == x.shape
    np.testing.assert_array_equal(out.sum(axis=(1, 2, 3)), 4.0)
    shifts = {tuple(np.argwhere(img[0])[0] - 3) for img in out}
    assert shifts <= {(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)} and len(shifts) > 5
    assert x.sum() == 200  # the caller's array is untouched


def test_inference_writes_nothing_on_the_layers():
    """Re-entrant inference: out of training a forward pass leaves every layer as it was, so threads
    can share one network (the web app does); in training it keeps what backward needs."""
    import threading

    arch = {"input_shape": [1, 8, 8], "layers": [
        {"type": "conv2d", "filters": 3, "kernel_size": 3, "padding": 1}, {"type": "batchnorm"},
        {"type": "relu"}, {"type": "maxpool2d"}, {"type": "flatten"}, {"type": "dropout", "rate": 0.5},
        {"type": "dense", "units": 5}, {"type": "tanh"}, {"type": "dense", "units": 3}, {"type": "softmax"}]}
    net = Network(arch)
    x = np.random.default_rng(0).random((4, 1, 8, 8)).astype(np.float32)
    before = [set(vars(layer)) for layer in net.layers]
    expected = net.forward(x)
    assert [set(vars(layer)) for layer in net.layers] == before
    results = [None] * 8

    def predict(i):
        results[i] = net.forward(x[i % 4:i % 4 + 1])

    threads = [threading.Thread(target=predict, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, got in enumerate(results):
        np.testing.assert_allclose(got, expected[i % 4:i % 4 + 1], rtol=1e-6, atol=1e-7)
    net.forward(x, training=True)
    assert any(set(vars(layer)) != seen for layer, seen in zip(net.layers, before))
