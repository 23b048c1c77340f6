"""Activations as layers: the function, then its derivative, side by side.

Each backward multiplies the incoming gradient by the local derivative, written
in terms of what forward already computed (y for sigmoid and tanh, which is
cheaper and exactly what the textbooks write).
"""

from __future__ import annotations

import numpy as np

from digitlab.nn.layers import Layer


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), computed without overflow for large |z|."""
    e = np.exp(-np.abs(z))  # in (0, 1], never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise e^z / sum(e^z); subtracting the row max changes nothing but avoids overflow."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class ReLU(Layer):
    def forward(self, x, training=False):
        y = np.maximum(x, 0)  # y = max(x, 0)
        if training:
            self.y = y
        return y

    def backward(self, dy):
        return dy * (self.y > 0)  # dy/dx = 1 where x > 0, else 0 (and y > 0 exactly where x > 0)


class LeakyReLU(Layer):
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.slope = negative_slope

    def forward(self, x, training=False):
        scale = np.where(x > 0, 1.0, self.slope).astype(x.dtype)
        if training:
            self.scale = scale
        return x * scale  # y = x if x > 0 else slope * x

    def backward(self, dy):
        return dy * self.scale  # dy/dx = 1 or slope


class Sigmoid(Layer):
    def forward(self, x, training=False):
        y = sigmoid(x)  # y = 1 / (1 + e^-x)
        if training:
            self.y = y
        return y

    def backward(self, dy):
        return dy * self.y * (1 - self.y)  # dy/dx = y (1 - y)


class Tanh(Layer):
    def forward(self, x, training=False):
        y = np.tanh(x)
        if training:
            self.y = y
        return y

    def backward(self, dy):
        return dy * (1 - self.y * self.y)  # dy/dx = 1 - y^2


class Softmax(Layer):
    """Row-wise softmax. With cross-entropy the estimator fuses the two (delta = p - y) and skips this backward."""

    def forward(self, x, training=False):
        y = softmax(x)
        if training:
            self.y = y
        return y

    def backward(self, dy):
        # Jacobian dy_i/dx_j = y_i (delta_ij - y_j), so dx = y * (dy - sum_j dy_j y_j)
        return self.y * (dy - (dy * self.y).sum(axis=1, keepdims=True))


ACTIVATION_LAYERS = {"relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh, "softmax": Softmax}
