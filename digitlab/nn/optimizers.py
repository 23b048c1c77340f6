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
views of it), so a step is a handful of whole-array operations, whatever the
depth. On the MLP benchmark those passes over memory are most of the time that
is not matrix products, so each update below is written to take as few as it can,
and the moving averages are `DecayingSum`s, which add a new term without first
decaying the whole array (and never decay into slow subnormal floats).
"""

from __future__ import annotations

import math

import numpy as np

SOLVERS = ("sgd", "momentum", "nesterov", "adam", "adamw")


def axpy(a: float, x: np.ndarray, y: np.ndarray, scratch: np.ndarray | None = None) -> None:
    """y += a * x, in place (BLAS's name for it); a * x goes through `scratch` (x itself allowed) when given.

    numpy's own loop, not BLAS's axpy: with more than one BLAS thread (OpenBLAS's
    default) a BLAS axpy wakes the thread pool on every call, which made training
    up to 10x slower; on one thread it was no faster than this. The scratch array
    spares a fresh (n,) temporary per call, a quarter of its time on 111k floats.
    """
    y += np.multiply(x, y.dtype.type(a), out=scratch)


class DecayingSum:
    """An exponential moving sum s_t = decay * s_{t-1} + weight * x_t, without decaying s every step.

    Decaying s itself costs two passes every step (s *= decay, then s += weight x).
    Instead the array held is a = s / decay^k, where k counts the steps since the
    last rescale: a step then only adds (weight / decay^k) x to a, one `axpy`, and
    s = decay^k a, a scalar times a. Before 1 / decay^k grows past `max_growth`,
    decay^k is folded back into a and k restarts at 0 (every 87 steps for 0.9,
    every 9,206 for 0.999). A decay too small for even one such step (below
    1 / max_growth, 0 included) takes the plain two passes.

    At each rescale, entries smaller than the smallest normal float become 0. An
    entry whose term stopped arriving (the weight of a pixel that is almost always
    blank) would otherwise decay into the subnormal floats, which the CPU handles
    about a hundred times slower, on every pass, while adding nothing to any update.
    """

    def __init__(self, like: np.ndarray, decay: float, max_growth: float = 1e4):
        self.sum_over_scale = np.zeros_like(like)  # a = s / decay^k
        self.decay, self.k = decay, 0
        self.rescale_every = int(math.log(max_growth) / -math.log(decay)) if 0 < decay < 1 else 0

    @property
    def scale(self) -> float:
        """decay^k: s = scale * sum_over_scale."""
        return self.decay ** self.k

    def add(self, x: np.ndarray, weight: float = 1.0, scratch: np.ndarray | None = None) -> None:
        """s = decay * s + weight * x; `scratch` (x itself allowed) spares a temporary (see `axpy`)."""
        if self.rescale_every == 0:  # k stays 0 and a = s: decay it in place
            self.sum_over_scale *= self.decay
        else:
            if self.k == self.rescale_every:
                self._rescale()
            self.k += 1
        axpy(weight / self.scale, x, self.sum_over_scale, scratch)  # a += (weight / decay^k) x

    def value(self) -> np.ndarray:
        """s itself (a new array)."""
        return self.scale * self.sum_over_scale

    def _rescale(self) -> None:
        a = self.sum_over_scale
        a *= self.scale
        a[np.abs(a) < np.finfo(a.dtype).tiny] = 0  # no subnormals (see the class docstring)
        self.k = 0


class Optimizer:
    """One optimiser over one flat parameter array and its gradient (a `Network`'s params and grads).

    Every update below is a handful of whole-array operations written into
    preallocated arrays, so a step costs a few passes over memory and allocates
    nothing, however many layers the network has.
    """

    def __init__(self, solver="adam", momentum=0.9, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 weight_decay=0.0):
        if solver not in SOLVERS:
            raise ValueError(f"unknown solver {solver!r}; choose from {', '.join(SOLVERS)}")
        self.solver, self.mu, self.b1, self.b2, self.eps = solver, momentum, beta_1, beta_2, epsilon
        self.wd = weight_decay
        self.t = 0
        self.sums: tuple[DecayingSum, ...] = ()
        self.tmp: np.ndarray | None = None

    @property
    def state(self) -> tuple[np.ndarray, ...]:
        """The optimiser's moving averages as plain arrays: (v,) for momentum and nesterov, (m, v) for adam."""
        return tuple(s.value() for s in self.sums)

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float, decayed: slice = slice(None)) -> None:
        """Update `params` in place from `grads` (the same shape); weight decay applies to params[decayed]."""
        self.t += 1
        if self.wd:
            if self.solver == "adamw":
                params[decayed] *= 1 - lr * self.wd  # decoupled: shrink p itself
            else:
                grads = grads.copy()  # the caller's grads stay the loss's gradient
                axpy(self.wd, params[decayed], grads[decayed])  # L2: the gradient of wd/2 ||p||^2
        getattr(self, "_" + self.solver)(params, grads, lr)

    def _sums(self, p, *decays) -> tuple[DecayingSum, ...]:
        """The moving averages, zero at the first step, and a scratch array shaped like p."""
        if not self.sums:
            self.sums = tuple(DecayingSum(p, decay) for decay in decays)
            self.tmp = np.empty_like(p)
        return self.sums

    def _sgd(self, p, g, lr):
        axpy(-lr, g, p)  # p -= lr g

    def _momentum(self, p, g, lr):
        (v,) = self._sums(p, self.mu)
        v.add(g, 1.0, self.tmp)  # v = mu v + g
        axpy(-lr * v.scale, v.sum_over_scale, p, self.tmp)  # p -= lr v

    def _nesterov(self, p, g, lr):
        (v,) = self._sums(p, self.mu)
        v.add(g, 1.0, self.tmp)  # v = mu v + g
        axpy(-lr, g, p, self.tmp)
        axpy(-lr * self.mu * v.scale, v.sum_over_scale, p, self.tmp)  # p -= lr (g + mu v): the look-ahead velocity

    def _adam(self, p, g, lr):
        m, v = self._sums(p, self.b1, self.b2)
        tmp = self.tmp  # scratch space, so a step allocates nothing
        m.add(g, 1 - self.b1, tmp)  # m = b1 m + (1 - b1) g
        np.square(g, out=tmp)
        v.add(tmp, 1 - self.b2, tmp)  # v = b2 v + (1 - b2) g^2
        # m_hat / (sqrt(v_hat) + eps) with m_hat = m_scale a_m / (1 - b1^t), v_hat = v_scale a_v / (1 - b2^t):
        # with c = sqrt(v_scale / (1 - b2^t)) it is m_scale / (1 - b1^t) / c * a_m / (sqrt(a_v) + eps / c),
        # so both bias corrections and both scales fold into one step size and epsilon
        c = math.sqrt(v.scale / (1 - self.b2 ** self.t))
        step = lr * m.scale / (1 - self.b1 ** self.t) / c
        np.sqrt(v.sum_over_scale, out=tmp)
        tmp += self.eps / c
        np.divide(m.sum_over_scale, tmp, out=tmp)
        axpy(-step, tmp, p, tmp)  # p -= lr m_hat / (sqrt(v_hat) + eps)

    _adamw = _adam
