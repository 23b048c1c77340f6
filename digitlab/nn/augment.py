"""Data augmentation for training: every image shifted by a fresh random offset each batch.

Shifting by up to a couple of pixels teaches the network that a digit moved
sideways is the same digit, the cheapest regulariser there is for MNIST.
"""

from __future__ import annotations

import numpy as np


def random_shift(x: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Shift each image of x (n, C, H, W) by (dy, dx) in [-max_shift, max_shift], filling with zeros.

    Other ranks (flat features) are returned unchanged.
    """
    if max_shift <= 0 or x.ndim != 4:
        return x
    n, _, h, w = x.shape
    s = max_shift
    padded = np.pad(x, ((0, 0), (0, 0), (s, s), (s, s)))
    oy, ox = rng.integers(0, 2 * s + 1, size=(2, n))  # top-left corner of each crop in the padded image
    rows = oy[:, None] + np.arange(h)  # (n, H)
    cols = ox[:, None] + np.arange(w)  # (n, W)
    batch = np.arange(n)[:, None, None]
    crops = padded.transpose(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]  # (n, H, W, C)
    return np.ascontiguousarray(crops.transpose(0, 3, 1, 2))
