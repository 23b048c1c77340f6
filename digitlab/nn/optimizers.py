"""Optimisers: each updates the parameters in place from their gradients, one step at a time.

    sgd        p -= lr * g
    momentum   v = mu v + g;                 p -= lr * v
    nesterov   v = mu v + g;                 p -= lr * (g + mu v)     (the look-ahead form torch uses)
    adam       m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
               p -= lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1-b1^t), v_hat = v / (1-b2^t)
    adamw      adam, with the weight decay applied to p directly: p -= lr * wd * p

Weight decay (L2, `weight_decay`) applies to the arrays listed in `decay`
(weights, not biases or batch-norm scales): for all but adamw it is added to the
gradient, g += wd * p, which is the gradient of wd/2 * ||p||^2.
"""

from __future__ import annotations

import math

import numpy as np

SOLVERS = ("sgd", "momentum", "nesterov", "adam", "adamw")


class Optimizer:
    """One optimiser over a list of (param, grad) pairs known by their index."""

    def __init__(self, solver="adam", momentum=0.9, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 weight_decay=0.0):
        if solver not in SOLVERS:
            raise ValueError(f"unknown solver {solver!r}; choose from {', '.join(SOLVERS)}")
        self.solver, self.mu, self.b1, self.b2, self.eps = solver, momentum, beta_1, beta_2, epsilon
        self.wd = weight_decay
        self.t = 0
        self.state: dict[int, tuple[np.ndarray, ...]] = {}

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], decay: list[bool], lr: float) -> None:
        """Update every array in `params` in place."""
        self.t += 1
        for i, (p, g, d) in enumerate(zip(params, grads, decay)):
            if d and self.wd:
                if self.solver == "adamw":
                    p -= (lr * self.wd) * p  # decoupled: shrink p itself
                else:
                    g = g + self.wd * p  # L2: the gradient of wd/2 ||p||^2
            getattr(self, "_" + self.solver)(i, p, g, lr)

    def _sgd(self, i, p, g, lr):
        p -= lr * g

    def _state(self, i, p, count):
        """The optimiser's arrays for parameter i, zeros at the first step."""
        if i not in self.state:
            self.state[i] = tuple(np.zeros_like(p) for _ in range(count))
        return self.state[i]

    def _momentum(self, i, p, g, lr):
        (v,) = self._state(i, p, 1)
        v *= self.mu
        v += g  # v = mu v + g
        p -= lr * v

    def _nesterov(self, i, p, g, lr):
        (v,) = self._state(i, p, 1)
        v *= self.mu
        v += g
        p -= lr * (g + self.mu * v)  # step along the gradient plus the look-ahead velocity

    def _adam(self, i, p, g, lr):
        m, v, tmp = self._state(i, p, 3)  # tmp: scratch space, so a step allocates nothing
        m *= self.b1
        np.multiply(g, 1 - self.b1, out=tmp)
        m += tmp  # m = b1 m + (1 - b1) g
        v *= self.b2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - self.b2
        v += tmp  # v = b2 v + (1 - b2) g^2
        # both bias corrections folded into one step size
        step = lr * math.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        np.sqrt(v, out=tmp)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= step
        p -= tmp  # p -= step * m / (sqrt(v) + eps)

    _adamw = _adam
