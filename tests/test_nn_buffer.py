"""The flat parameter buffer: layers hold views of one array, and one optimiser step over it
equals a step over every array on its own."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from digitlab.models import load_model, save_model
from digitlab.nn import architecture as A
from digitlab.nn.estimators import MLPClassifier
from digitlab.nn.layers import BatchNorm
from digitlab.nn.network import Network
from digitlab.nn.optimizers import SOLVERS, DecayingSum, Optimizer, axpy

ARCH = {"input_shape": [1, 6, 6], "layers": [
    {"type": "conv2d", "filters": 2, "kernel_size": 3}, {"type": "batchnorm"}, {"type": "relu"},
    {"type": "flatten"}, {"type": "dense", "units": 5}, {"type": "relu"}, {"type": "dense", "units": 3}]}


def assert_views_of_one_buffer(net: Network):
    """Every layer param and grad is a view into net.params / net.grads, and together they tile it."""
    covered = 0
    for name, layer, key in net.named("params"):
        assert np.shares_memory(layer.params[key], net.params), name
        assert np.shares_memory(layer.grads[key], net.grads), name
        covered += layer.params[key].size
    assert covered == net.params.size == A.count_params(A.validate(ARCH))  # running stats are buffers, not params


def test_layers_hold_views_and_weights_sit_in_the_decayed_slice():
    net = Network(ARCH, rng=np.random.default_rng(0))
    assert_views_of_one_buffer(net)
    net.params[:] = np.arange(net.params.size)  # writing the buffer is writing the layers
    decayed = {name for name, layer, key in net.named("params") if key == "weight" and not isinstance(layer, BatchNorm)}
    assert decayed == {"0.weight", "4.weight", "6.weight"}
    assert net.decayed.stop == net.params.size
    assert net.decayed.stop - net.decayed.start == sum(net.get_weights()[name].size for name in decayed)
    # the first layer's weights close the buffer: an optimiser step ends on them
    assert np.shares_memory(net.layers[0].params["weight"], net.params[-1:])
    in_slice = {name for name, layer, key in net.named("params")
                if np.shares_memory(layer.params[key], net.params[net.decayed])}
    assert in_slice == decayed


def test_views_stay_views_after_set_weights_and_copies():
    net = Network(ARCH, rng=np.random.default_rng(0))
    other = Network(ARCH, rng=np.random.default_rng(1)).get_weights()
    net.set_weights(other)
    assert_views_of_one_buffer(net)
    for name, weight in net.get_weights().items():
        np.testing.assert_array_equal(weight, other[name])
    for clone in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        assert_views_of_one_buffer(clone)
        assert not np.shares_memory(clone.params, net.params)
        np.testing.assert_array_equal(clone.params, net.params)


def test_views_stay_views_after_a_model_file_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.random((60, 36), dtype=np.float32), np.arange(60) % 3
    model = MLPClassifier((8,), max_iter=2, random_state=0).fit(X, y)
    save_model(model, tmp_path / "m.npz")
    loaded, _ = load_model(tmp_path / "m.npz")
    for name, layer, key in loaded.network_.named("params"):
        assert np.shares_memory(layer.params[key], loaded.network_.params), name
    # and it trains on: one step moves the loaded weights, seen through the layers
    before = loaded.get_weights()
    Optimizer("sgd").step(loaded.network_.params, np.ones_like(loaded.network_.params), lr=0.1)
    np.testing.assert_allclose(loaded.get_weights()["1.weight"], before["1.weight"] - 0.1)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_one_flat_step_equals_a_step_per_array(solver, weight_decay):
    """The reference: a separate optimiser per array, decay on the weights only. Same params and state."""
    net = Network(ARCH, rng=np.random.default_rng(0))
    rng = np.random.default_rng(1)
    names = [(name, layer, key) for name, layer, key in net.named("params")]
    arrays = {name: layer.params[key].copy() for name, layer, key in names}
    ours = Optimizer(solver, weight_decay=weight_decay)
    reference = {name: Optimizer(solver, weight_decay=weight_decay) for name, _, _ in names}
    for _ in range(4):
        net.grads[:] = rng.standard_normal(net.grads.size)
        grads_before = net.grads.copy()
        for name, layer, key in names:
            decays = key == "weight" and not isinstance(layer, BatchNorm)
            reference[name].step(arrays[name], layer.grads[key].copy(), lr=0.01,
                                 decayed=slice(None) if decays else slice(0))
        ours.step(net.params, net.grads, lr=0.01, decayed=net.decayed)
        np.testing.assert_array_equal(net.grads, grads_before)  # the caller's gradient is left alone
    for name, layer, key in names:
        np.testing.assert_allclose(layer.params[key], arrays[name], rtol=1e-6, atol=1e-7, err_msg=name)
        for ours_state, theirs in zip(ours.state, reference[name].state):
            view = ours_state.reshape(-1)[_offset(net, layer.params[key])]
            np.testing.assert_allclose(view.reshape(arrays[name].shape), theirs, rtol=1e-6, atol=1e-7,
                                       err_msg=f"{name} state")


def _offset(net: Network, view: np.ndarray) -> slice:
    start = (view.__array_interface__["data"][0] - net.params.__array_interface__["data"][0]) // view.itemsize
    return slice(start, start + view.size)


def test_adam_matches_torch_over_rescales():
    """Adam's parameters and moments stay torch's over 300 steps, past several rescales of its decaying sums."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    p = rng.standard_normal(7).astype(np.float32)
    tp = torch.nn.Parameter(torch.from_numpy(p.copy()))
    topt = torch.optim.Adam([tp], lr=0.01)
    ours = Optimizer("adam")
    for _ in range(300):
        g = rng.standard_normal(7).astype(np.float32)
        ours.step(p, g, lr=0.01)
        tp.grad = torch.from_numpy(g.copy())
        topt.step()
    assert ours.sums[0].rescale_every < 300
    m, v = ours.state
    state = topt.state[tp]
    np.testing.assert_allclose(m, state["exp_avg"].numpy(), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(v, state["exp_avg_sq"].numpy(), rtol=1e-4)
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("decay", [0.0, 1e-5, 0.5, 0.9, 0.999])
def test_decaying_sum_equals_the_recurrence(decay):
    """s = decay s + w x, kept as a / decay^k with rescales, equals the plain recurrence in float64."""
    rng = np.random.default_rng(0)
    ours, plain = DecayingSum(np.zeros(5, np.float32), decay), np.zeros(5)
    for _ in range(250):
        x = rng.standard_normal(5).astype(np.float32)
        ours.add(x, weight=0.3)
        plain = decay * plain + 0.3 * x
    np.testing.assert_allclose(ours.value(), plain, rtol=1e-5, atol=1e-6)


def test_decaying_sum_leaves_no_subnormals():
    """An entry whose terms stop arriving decays to exactly 0 instead of through the slow subnormal floats."""
    ours = DecayingSum(np.zeros(2, np.float32), 0.9)
    ours.add(np.array([1e-3, 1.0], np.float32))
    for _ in range(1000):  # 0.9^1000 * 1e-3 is far below the smallest normal float32
        ours.add(np.array([0.0, 1.0], np.float32))
    assert ours.value()[0] == 0 and ours.sum_over_scale[0] == 0
    np.testing.assert_allclose(ours.value()[1], 1 / (1 - 0.9), rtol=1e-5)


def test_axpy_updates_in_place_and_keeps_the_dtype():
    y = np.zeros(10, np.float32)
    axpy(2.0, np.ones(5, np.float32), y[:5])
    axpy(0.5, np.ones(5, np.float32), y[::2])
    np.testing.assert_array_equal(y, [2.5, 2, 2.5, 2, 2.5, 0, 0.5, 0, 0.5, 0])
    assert y.dtype == np.float32


def test_axpy_through_a_scratch_array_gives_the_same_sum():
    y, x = np.zeros(4, np.float32), np.arange(4, dtype=np.float32)
    axpy(2.0, x, y, scratch=np.empty(4, np.float32))
    np.testing.assert_array_equal(y, [0, 2, 4, 6])
    axpy(0.5, x, y, scratch=x)  # x itself as the scratch: it ends as 0.5 x
    np.testing.assert_array_equal(y, [0, 2.5, 5, 7.5])
    np.testing.assert_array_equal(x, [0, 0.5, 1, 1.5])


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_training_step_stays_float32(solver):
    """No float64 sneaks in: every layer's output and input gradient, the loss's delta and the optimiser state."""
    from digitlab.nn.losses import softmax_cross_entropy

    net = Network(A.validate({**ARCH, "layers": [{"type": "dropout", "rate": 0.1}, *ARCH["layers"]]}))
    x = np.random.default_rng(0).random((4, 1, 6, 6), dtype=np.float32)
    for layer in net.layers:
        x = layer.forward(x, training=True)
        assert x.dtype == np.float32, type(layer).__name__
    _, dy = softmax_cross_entropy(x, np.eye(3, dtype=np.float32)[[0, 1, 2, 0]])
    assert dy.dtype == np.float32
    for layer in reversed(net.layers[net.first + 1:]):
        dy = layer.backward(dy)
        assert dy.dtype == np.float32, type(layer).__name__
    net.layers[net.first].backward(dy)  # the first layer with parameters: its grads only
    optimizer = Optimizer(solver, weight_decay=0.01)
    optimizer.step(net.params, net.grads, lr=0.01, decayed=net.decayed)
    assert net.params.dtype == np.float32 and all(state.dtype == np.float32 for state in optimizer.state)
