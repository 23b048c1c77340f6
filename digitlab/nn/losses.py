"""Losses: each returns the mean loss over the batch and its gradient, together.

Cross-entropy is taken on the logits z (the output before the network's final
softmax/sigmoid, if it has one), so the two fuse into the famous short delta:

    softmax + cross-entropy    L = -mean_n log p[n, y_n],            dL/dz = (p - Y) / n
    sigmoid + cross-entropy    L = mean_n sum_k -Y log a - (1-Y) log(1-a),  dL/dz = (a - Y) / n

(the second is the "delta = a - y" that learners write for a sigmoid output).
Squared error is taken on the network's final output a, and its gradient then
flows back through that final activation like any other layer:

    squared error              L = mean_n sum_k (a - Y)^2 / 2,         dL/da = (a - Y) / n

Y is the one-hot (n, k) matrix of the labels.
"""

from __future__ import annotations

import numpy as np

from digitlab.nn.activations import sigmoid, softmax


def softmax_cross_entropy(z: np.ndarray, onehot: np.ndarray) -> tuple[float, np.ndarray]:
    n = len(z)
    # z - max_k z, so exp cannot overflow; the row max is read at argmax because numpy's
    # max along a row of ten is several times slower than argmax
    shifted = z - z[np.arange(n), z.argmax(axis=1)][:, None]  # (n, k)
    p = np.exp(shifted)
    total = p.sum(axis=1, keepdims=True)  # (n, 1)
    p /= total  # softmax
    loss = (np.log(total).sum() - np.vdot(shifted, onehot)) / n  # mean of -log p_y = log(total) - shifted_y
    p -= onehot
    p /= n
    return float(loss), p  # delta = (p - y) / n


def sigmoid_cross_entropy(z: np.ndarray, onehot: np.ndarray) -> tuple[float, np.ndarray]:
    n = len(z)
    # -y log a - (1 - y) log(1 - a) = softplus(z) - y z, computed stably
    softplus = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
    loss = (softplus - onehot * z).sum() / n
    return float(loss), (sigmoid(z) - onehot) / z.dtype.type(n)  # delta = a - y


def squared_error(a: np.ndarray, onehot: np.ndarray) -> tuple[float, np.ndarray]:
    n = len(a)
    diff = a - onehot
    return float((diff * diff).sum() / (2 * n)), diff / a.dtype.type(n)


LOSSES = ("cross_entropy", "squared_error")


def loss_function(loss: str, head: str | None):
    """The function for `loss` given the network's final activation `head` (softmax, sigmoid or None).

    Returns (function, fused): when fused, the function takes the logits before
    `head`, and the network's backward starts below `head`.
    """
    if loss == "cross_entropy":
        return (sigmoid_cross_entropy if head == "sigmoid" else softmax_cross_entropy), head is not None
    if loss == "squared_error":
        return squared_error, False
    raise ValueError(f"unknown loss {loss!r}; choose from {', '.join(LOSSES)}")


def to_probabilities(output: np.ndarray, head: str | None) -> np.ndarray:
    """The network's final output as class probabilities (rows sum to 1)."""
    if head is None:
        return softmax(output)
    if head == "sigmoid":  # independent per-class scores; normalise them to a distribution
        return output / np.maximum(output.sum(axis=1, keepdims=True), np.finfo(output.dtype).tiny)
    return output
