"""The layers without spatial structure: Dense, BatchNorm, Dropout, Flatten.

Every layer has the same small interface, kept by `Network`:

    forward(x, training) -> y        when training, remembers what backward needs
    backward(dy) -> dx               writes into self.grads in place, same keys as self.params
    params, grads                    learned arrays by name ("weight", "bias")
    buffers                          state that is not learned (batch-norm running stats)

Out of training a forward pass writes nothing on the layer, so one network can
answer from several threads at once (the web app relies on it).

A `Network` moves every layer's params and grads into one flat buffer each and
leaves the layers views into it, so its optimiser updates everything at once:
that is why backward writes into the grads it was given (`out=`) instead of
binding new arrays.

`dy` is dL/dy for the layer's output and `dx` is dL/dx for its input; each
backward sits right under its forward, with the equation beside the code.
"""

from __future__ import annotations

import numpy as np

from digitlab.nn.init import init_weight


class Layer:
    """A layer with nothing to learn; subclasses override what they need."""

    input_grad = True  # False for a network's first layer, where dL/dx is not needed

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}

    def _learn(self, **params: np.ndarray) -> None:
        """Set the learned arrays, with zero gradients of the same shapes for backward to fill."""
        self.params = params
        self.grads = {key: np.zeros_like(value) for key, value in params.items()}

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Dense(Layer):
    """y = x W + b, with x (n, in), W (in, out), b (out,)."""

    def __init__(self, n_in, units, init="he", rng=None, dtype=np.float32):
        super().__init__()
        rng = rng or np.random.default_rng(0)
        self._learn(weight=init_weight(init, rng, (n_in, units), n_in, units, dtype),
                    bias=np.zeros(units, dtype=dtype))

    def forward(self, x, training=False):
        if training:
            self.x = x
        y = x @ self.params["weight"]
        y += self.params["bias"]  # y = x W + b (the bias added in place: no second (n, out) array)
        return y

    def backward(self, dy):
        np.matmul(self.x.T, dy, out=self.grads["weight"])  # dL/dW = x^T dy      (in, out)
        dy.sum(axis=0, out=self.grads["bias"])  # dL/db = sum_n dy     (out,)
        if not self.input_grad:  # the network's first layer: dL/dx is not needed
            return None
        return dy @ self.params["weight"].T  # dL/dx = dy W^T       (n, in)


class Flatten(Layer):
    """(n, C, H, W) -> (n, C*H*W), channel-major like torch; rank-2 input passes through."""

    def forward(self, x, training=False):
        if training:
            self.shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, dy):
        return dy.reshape(self.shape)


class Dropout(Layer):
    """Inverted dropout: in training y = x * m / (1 - p), m ~ Bernoulli(1 - p); at test y = x.

    Scaling at training time keeps E[y] = x, so the trained network runs
    unchanged at test time.
    """

    def __init__(self, rate=0.5, rng=None):
        super().__init__()
        self.rate = float(rate)
        self.rng = rng or np.random.default_rng(0)

    def forward(self, x, training=False):
        if not training:
            return x
        if self.rate == 0.0:
            self.mask = None
            return x
        keep = 1.0 - self.rate
        self.mask = (self.rng.random(x.shape, dtype=np.float32) < keep).astype(x.dtype) / x.dtype.type(keep)
        return x * self.mask

    def backward(self, dy):
        return dy if self.mask is None else dy * self.mask  # dL/dx = dy * m / (1 - p)


class BatchNorm(Layer):
    """Normalise each feature (n, F) or channel (n, C, H, W) over the batch, then scale and shift.

        x_hat = (x - mean) / sqrt(var + eps)        y = gamma * x_hat + beta

    Training uses the batch's statistics and updates running ones
    (running = (1 - momentum) * running + momentum * batch, with the unbiased
    variance, as torch does); evaluation uses the running ones. A `frozen`
    layer trains with its running statistics fixed (fine-tuning on few
    examples, like torch's bn.eval() while the rest trains): a plain affine map.
    """

    def __init__(self, n_features, momentum=0.1, eps=1e-5, dtype=np.float32, frozen=False):
        super().__init__()
        self.momentum, self.eps, self.frozen = momentum, eps, frozen
        self._learn(weight=np.ones(n_features, dtype=dtype), bias=np.zeros(n_features, dtype=dtype))
        self.buffers = {"running_mean": np.zeros(n_features, dtype=dtype),
                        "running_var": np.ones(n_features, dtype=dtype)}

    def _axes_and_shape(self, x):
        # statistics over every axis but the feature/channel axis 1
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
        return axes, shape

    def forward(self, x, training=False):
        axes, shape = self._axes_and_shape(x)
        batch_stats = training and not self.frozen
        if batch_stats:
            mean, var = x.mean(axis=axes), x.var(axis=axes)
            m = x.size // mean.size
            self.buffers["running_mean"] *= 1 - self.momentum
            self.buffers["running_mean"] += self.momentum * mean
            self.buffers["running_var"] *= 1 - self.momentum
            self.buffers["running_var"] += self.momentum * var * (m / max(m - 1, 1))
        else:
            mean, var = self.buffers["running_mean"], self.buffers["running_var"]
        inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x.dtype)
        gamma, beta = self.params["weight"], self.params["bias"]
        if not training:  # the same map as one scale and shift: y = x * gamma inv_std + (beta - mean gamma inv_std)
            scale = gamma * inv_std  # (F,): two passes over x instead of four
            y = x * scale.reshape(shape)
            y += (beta - mean * scale).reshape(shape)
            return y
        inv_std = inv_std.reshape(shape)
        x_hat = (x - mean.reshape(shape)) * inv_std
        self.inv_std, self.x_hat, self.axes, self.shape, self.batch_stats = inv_std, x_hat, axes, shape, batch_stats
        return gamma.reshape(shape) * x_hat + beta.reshape(shape)

    def backward(self, dy):
        axes, shape, x_hat = self.axes, self.shape, self.x_hat
        (dy * x_hat).sum(axis=axes, out=self.grads["weight"])  # dL/dgamma = sum dy * x_hat
        dy.sum(axis=axes, out=self.grads["bias"])  # dL/dbeta = sum dy
        dx_hat = dy * self.params["weight"].reshape(shape)
        if not self.batch_stats:  # fixed statistics: a plain affine map, dx = dx_hat * inv_std
            return dx_hat * self.inv_std
        # through the batch statistics (m values per feature):
        # dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat))
        return self.inv_std * (dx_hat - dx_hat.mean(axis=axes, keepdims=True)
                               - x_hat * (dx_hat * x_hat).mean(axis=axes, keepdims=True))
