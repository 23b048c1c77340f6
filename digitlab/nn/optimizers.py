"""Optimisers: each updates the parameters in place from their gradients, one step at a time.

    sgd        p -= lr * g
    momentum   v = mu v + g;                 p -= lr * v
    nesterov   v = mu v + g;                 p -= lr * (g + mu v)     (the look-ahead form torch uses)
    adam       m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
               p -= lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1-b1^t), v_hat = v / (1-b2^t)
    adamw      adam, with the weight decay applied to p directly: p -= lr * wd * p

Weight decay (L2, `weight_decay`) applies to the part `decayed` of the
parameters (weights, not biases or batch-norm scales): for all but adamw it is
added to the gradient, g += wd * p, which is the gradient of wd/2 * ||p||^2.

The parameters are one flat array (a `Network` keeps every layer's arrays as
views of it), so a step is a dozen whole-array operations, whatever the depth.
"""

from __future__ import annotations

import math

import numpy as np

SOLVERS = ("sgd", "momentum", "nesterov", "adam", "adamw")


class Optimizer:
    """One optimiser over one flat parameter array and its gradient (a `Network`'s params and grads).

    Every update below is a handful of whole-array operations written into
    preallocated arrays (`out=`), so a step costs a few passes over memory and
    allocates nothing, however many layers the network has.
    """

    def __init__(self, solver="adam", momentum=0.9, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 weight_decay=0.0):
        if solver not in SOLVERS:
            raise ValueError(f"unknown solver {solver!r}; choose from {', '.join(SOLVERS)}")
        self.solver, self.mu, self.b1, self.b2, self.eps = solver, momentum, beta_1, beta_2, epsilon
        self.wd = weight_decay
        self.t = 0
        self.state: tuple[np.ndarray, ...] = ()

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float, decayed: slice = slice(None)) -> None:
        """Update `params` in place from `grads` (the same shape); weight decay applies to params[decayed]."""
        self.t += 1
        if self.wd:
            if self.solver == "adamw":
                params[decayed] *= 1 - lr * self.wd  # decoupled: shrink p itself
            else:
                grads = grads.copy()  # the caller's grads stay the loss's gradient
                grads[decayed] += self.wd * params[decayed]  # L2: the gradient of wd/2 ||p||^2
        getattr(self, "_" + self.solver)(params, grads, lr)

    def _state(self, p, count):
        """The optimiser's arrays shaped like p, zeros at the first step."""
        if not self.state:
            self.state = tuple(np.zeros_like(p) for _ in range(count))
        return self.state

    def _sgd(self, p, g, lr):
        (tmp,) = self._state(p, 1)
        np.multiply(g, lr, out=tmp)
        p -= tmp  # p -= lr g

    def _momentum(self, p, g, lr):
        v, tmp = self._state(p, 2)
        v *= self.mu
        v += g  # v = mu v + g
        np.multiply(v, lr, out=tmp)
        p -= tmp  # p -= lr v

    def _nesterov(self, p, g, lr):
        v, tmp = self._state(p, 2)
        v *= self.mu
        v += g  # v = mu v + g
        np.multiply(v, self.mu, out=tmp)
        tmp += g
        tmp *= lr
        p -= tmp  # p -= lr (g + mu v): along the gradient plus the look-ahead velocity

    def _adam(self, p, g, lr):
        # m and v are stored without their (1 - b1) and (1 - b2) factors, m' = m / (1 - b1) and
        # v' = v / (1 - b2), so that each moment is one multiply and one add per step:
        m, v, tmp = self._state(p, 3)  # tmp: scratch space, so a step allocates nothing
        m *= self.b1
        m += g  # m' = b1 m' + g
        v *= self.b2
        np.square(g, out=tmp)
        v += tmp  # v' = b2 v' + g^2
        # the factors and both bias corrections move into the step size and epsilon:
        # m_hat / (sqrt(v_hat) + eps) with m = (1 - b1) m', v = (1 - b2) v'
        # and the step lr * sqrt(1 - b2^t) / (1 - b1^t) of Kingma and Ba's section 2
        root = math.sqrt(1 - self.b2)
        step = lr * math.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t) * (1 - self.b1) / root
        np.sqrt(v, out=tmp)
        tmp += self.eps / root
        np.divide(m, tmp, out=tmp)
        tmp *= step
        p -= tmp  # p -= step * m' / (sqrt(v') + eps / sqrt(1 - b2))

    _adamw = _adam
