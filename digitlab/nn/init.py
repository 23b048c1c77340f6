"""Weight initialisation: the scale that keeps activations from exploding or dying.

A layer with `fan_in` inputs sums `fan_in` terms, so the variance of its output
grows with `fan_in` unless the weights shrink to match:

    he       N(0, 2 / fan_in)               for ReLU (half the units are zero)
    xavier   U(-a, a), a = sqrt(6 / (fan_in + fan_out))   for sigmoid/tanh
    normal   N(0, 0.1^2)                    what learners write: randn * 0.1, no fan scaling

Biases start at zero.
"""

from __future__ import annotations

import numpy as np

NORMAL_STD = 0.1


def he(rng, shape, fan_in, fan_out):
    return rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)


def xavier(rng, shape, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


def normal(rng, shape, fan_in, fan_out):
    return rng.standard_normal(shape) * NORMAL_STD


INITS = {"he": he, "xavier": xavier, "normal": normal}


def init_weight(name: str, rng: np.random.Generator, shape, fan_in: int, fan_out: int, dtype) -> np.ndarray:
    """A new weight array of `shape`, drawn by the initialiser called `name`."""
    return INITS[name](rng, shape, fan_in, fan_out).astype(dtype)
