"""Fine-tune a trained network's head on the features of its frozen body.

    start = head_start(net.arch)           # the first layer after the last flatten
    feats = body_features(net, X, start)   # (n, *input_shape) -> (n, F), once
    head = head_network(net, start)        # a Network of the layers from `start` on, same weights
    train(head, feats, y, ...)             # the ordinary training loop, on features
    put_head(net, head, start)             # the learned head back into the whole network

Used to adapt a reader to one person's handwriting from a few examples
(`digitlab.evaluate.adapt`). Only the dense layers learn; the convolutions
(what strokes and their parts look like) stay as trained on MNIST. That bounds
forgetting, since what MNIST digits look like to the head does not move, and it
is cheap: each image crosses the costly body once, and every epoch after that
is a few matrix products.
"""

from __future__ import annotations

import numpy as np

from digitlab.nn import architecture as A
from digitlab.nn.network import Network


def head_start(arch: dict) -> int:
    """Index of the first head layer: just after the last `flatten` (0, the whole net, when there is none)."""
    flat = [i for i, layer in enumerate(arch["layers"]) if layer["type"] == "flatten"]
    return flat[-1] + 1 if flat else 0


def body_features(net: Network, X: np.ndarray, start: int, batch_size: int = 256) -> np.ndarray:
    """Layers [0, start) in evaluation mode: X (n, *input_shape) -> (n, *head input shape), a chunk at a time."""
    def body(x):
        for layer in net.layers[:start]:
            x = layer.forward(x)
        return x

    shape = _head_input_shape(net.arch, start)
    chunks = [body(X[i:i + batch_size]) for i in range(0, len(X), batch_size)]
    return np.concatenate(chunks) if chunks else np.zeros((0, *shape), dtype=net.dtype)


def head_network(net: Network, start: int) -> Network:
    """A new Network of layers [start, end) holding copies of their weights (names renumbered from 0)."""
    arch = {"input_shape": list(_head_input_shape(net.arch, start)), "layers": net.arch["layers"][start:]}
    head = Network(arch, dtype=net.dtype)
    weights = net.get_weights()
    head.set_weights({_renumber(name, -start): weights[name] for name in A.param_shapes(net.arch)
                      if int(name.split(".")[0]) >= start})
    return head


def put_head(net: Network, head: Network, start: int) -> None:
    """Copy `head`'s weights into layers [start, end) of `net`, in place."""
    weights = net.get_weights()
    weights.update({_renumber(name, start): value for name, value in head.get_weights().items()})
    net.set_weights(weights)


def _head_input_shape(arch: dict, start: int) -> tuple:
    return tuple(arch["input_shape"]) if start == 0 else A.output_shapes(arch)[start - 1]


def _renumber(name: str, shift: int) -> str:
    index, key = name.split(".", 1)
    return f"{int(index) + shift}.{key}"
