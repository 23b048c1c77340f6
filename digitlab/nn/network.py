"""A network: the plain stack of layers an architecture description (architecture.py) names.

    net = Network(arch, rng=np.random.default_rng(0))
    y = net.forward(x)            # x (n, *input_shape) -> output (n, n_out)
    dx = net.backward(dy)         # fills every layer's grads

Parameters are named "{index}.{name}" exactly as `architecture.param_shapes`
lists them, so weights move to and from torch and Keras by name.

All parameters live in one flat float32 array, `net.params`, and all gradients
in another, `net.grads`; each layer's `params["weight"]` etc. is a view into
them. The optimiser then updates the whole network with a handful of whole-array
operations per step instead of a Python loop over every small array. Weights
that take weight decay come last, so decay is one slice, `net.decayed`, and the
buffer runs from the last layer to the first: an optimiser step ends on the
first layer's weights (by far the largest array in an MLP), which the next
forward pass starts with while they are still in the CPU's cache.
"""

from __future__ import annotations

import numpy as np

from digitlab.nn import architecture as A
from digitlab.nn.activations import ACTIVATION_LAYERS
from digitlab.nn.conv import Conv2D, MaxPool2D
from digitlab.nn.layers import BatchNorm, Dense, Dropout, Flatten

HEADS = ("softmax", "sigmoid")


class Network:
    """Layers built from a validated architecture; float32 unless `dtype` says otherwise."""

    def __init__(self, arch: dict, rng: np.random.Generator | None = None, dtype=np.float32):
        self.arch = A.validate(arch)
        self.dtype = np.dtype(dtype)
        rng = rng or np.random.default_rng(0)
        self.layers = []
        shape = tuple(self.arch["input_shape"])
        for spec, out_shape in zip(self.arch["layers"], A.output_shapes(self.arch)):
            self.layers.append(_build(spec, shape, rng, self.dtype))
            shape = out_shape
        # backward can stop at the first layer with parameters: nothing below it learns
        self.first = next((i for i, layer in enumerate(self.layers) if layer.params), 0)
        self.layers[self.first].input_grad = False
        self.params, self.grads, self.decayed = _one_buffer(self.layers, self.dtype)

    def __setstate__(self, state):
        # pickle and deepcopy copy each view on its own: gather them into one buffer again
        self.__dict__.update(state)
        self.params, self.grads, self.decayed = _one_buffer(self.layers, self.dtype)

    @property
    def head(self) -> str | None:
        """The final activation (softmax or sigmoid), or None when the network ends in logits."""
        last = self.arch["layers"][-1]["type"]
        return last if last in HEADS else None

    def forward(self, x: np.ndarray, training: bool = False, skip_head: bool = False) -> np.ndarray:
        """(n, *input_shape) -> (n, n_out); `skip_head` stops before the final softmax/sigmoid."""
        layers = self.layers[:-1] if skip_head and self.head else self.layers
        for layer in layers:
            x = layer.forward(x, training)
        return x

    def backward(self, dy: np.ndarray, skip_head: bool = False) -> np.ndarray:
        """Fill every layer's grads from dL/d(output); `skip_head` when dy is already dL/d(logits).

        Returns None: dL/d(input) is never needed, so it is not computed.
        """
        layers = self.layers[:-1] if skip_head and self.head else self.layers
        for layer in reversed(layers[self.first:]):
            dy = layer.backward(dy)
        return dy

    # -- named arrays ---------------------------------------------------------

    def named(self, kind: str = "params"):
        """(name, layer dict, key) for every param ("params") or buffer ("buffers"), in layer order."""
        for index, layer in enumerate(self.layers):
            for key in getattr(layer, kind):
                yield f"{index}.{key}", layer, key

    def get_weights(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, named as `architecture.param_shapes`."""
        weights = {name: layer.params[key].copy() for name, layer, key in self.named("params")}
        weights.update({name: layer.buffers[key].copy() for name, layer, key in self.named("buffers")})
        return {name: weights[name] for name in A.param_shapes(self.arch)}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Load arrays by name, copied into the existing arrays (the params stay views of `self.params`).

        Every name must be present with its exact shape.
        """
        expected = A.param_shapes(self.arch)
        missing = sorted(set(expected) - set(weights))
        extra = sorted(set(weights) - set(expected))
        if missing or extra:
            raise ValueError(f"weights do not fit the architecture: missing {missing}, unexpected {extra}")
        for kind in ("params", "buffers"):
            for name, layer, key in self.named(kind):
                value = np.asarray(weights[name])
                if value.shape != tuple(expected[name]):
                    raise ValueError(f"weight {name!r} has shape {value.shape}, expected {tuple(expected[name])}")
                getattr(layer, kind)[key][...] = value


def _decays(layer, key: str) -> bool:
    """Weight decay applies to the weights of dense and conv layers, not to biases or batch-norm scales."""
    return key == "weight" and not isinstance(layer, BatchNorm)


def _one_buffer(layers: list, dtype) -> tuple[np.ndarray, np.ndarray, slice]:
    """Move every layer's params and grads into one flat array each, leaving the layers views into them.

    Returns (params, grads, decayed): the decayed weights are params[decayed], the
    last entries; within each group the layers run backwards, the first layer last.
    """
    entries = sorted(((layer, key) for layer in reversed(layers) for key in layer.params),
                     key=lambda entry: _decays(*entry))  # stable: reversed layer order within each group
    sizes = [layer.params[key].size for layer, key in entries]
    params, grads = np.empty(sum(sizes), dtype=dtype), np.zeros(sum(sizes), dtype=dtype)
    start = n_kept = 0
    for (layer, key), size in zip(entries, sizes):
        part = slice(start, start + size)
        param, grad = _laid_out_like(params[part], layer.params[key]), _laid_out_like(grads[part], layer.grads[key])
        param[...] = layer.params[key]
        layer.params[key], layer.grads[key] = param, grad
        n_kept += 0 if _decays(layer, key) else size
        start += size
    return params, grads, slice(n_kept, start)


def _laid_out_like(flat: np.ndarray, array: np.ndarray) -> np.ndarray:
    """`flat` as an array of `array`'s shape and memory order (a conv keeps its weights channels-last)."""
    order = np.argsort(array.strides, kind="stable")[::-1]  # the axes, the one with the longest stride first
    return flat.reshape([array.shape[axis] for axis in order]).transpose(np.argsort(order))


def _build(spec: dict, in_shape: tuple, rng, dtype):
    kind = spec["type"]
    if kind == "dense":
        return Dense(in_shape[0], spec["units"], spec["init"], rng, dtype)
    if kind == "conv2d":
        return Conv2D(in_shape[0], spec["filters"], spec["kernel_size"], spec["stride"], spec["padding"],
                      spec["init"], rng, dtype)
    if kind == "maxpool2d":
        return MaxPool2D(spec["pool_size"], spec["stride"])
    if kind == "batchnorm":
        return BatchNorm(in_shape[0], spec["momentum"], spec["eps"], dtype)
    if kind == "dropout":
        return Dropout(spec["rate"], rng)
    if kind == "flatten":
        return Flatten()
    if kind == "leaky_relu":
        return ACTIVATION_LAYERS[kind](spec["negative_slope"])
    return ACTIVATION_LAYERS[kind]()
