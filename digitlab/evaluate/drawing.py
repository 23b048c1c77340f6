"""What the corruptions share: uint8 <-> float in [0, 1], severity picks, centred sampling, drawing lines.

Images are (n, 28, 28), white ink on black; coordinates are centred on the image's middle.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def to_unit(images) -> np.ndarray:
    return np.asarray(images, dtype=np.float64) / 255.0


def to_uint8(x: np.ndarray) -> np.ndarray:
    return np.round(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)


def pick(severity: int, values):
    return values[severity - 1]


def signed(rng, n: int, magnitude: float) -> np.ndarray:
    """n draws of +-U(magnitude/2, magnitude): the severity is never a near-zero draw."""
    return rng.choice([-1.0, 1.0], n) * rng.uniform(magnitude / 2, magnitude, n)


def centred_grid(n: int, h: int = 28, w: int = 28):
    """Pixel coordinates (rows, cols), each (n, h, w), centred on the image centre."""
    r, c = np.mgrid[0:h, 0:w].astype(np.float64)
    return np.broadcast_to(r - (h - 1) / 2, (n, h, w)), np.broadcast_to(c - (w - 1) / 2, (n, h, w))


def sample(x: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """x (n, H, W) read at centred coordinates rows, cols (n, H, W), bilinear, 0 outside."""
    n, h, w = x.shape
    index = np.broadcast_to(np.arange(n, dtype=np.float64)[:, None, None], rows.shape)
    coords = np.stack([index, rows + (h - 1) / 2, cols + (w - 1) / 2])
    return ndimage.map_coordinates(x, coords, order=1, mode="constant", cval=0.0)


def segments(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance (n, 28, 28) from each pixel to the nearest of segments a->b, each (n, k, 2)."""
    rows, cols = centred_grid(len(a))
    p = np.stack([rows, cols], -1)[:, None]  # (n, 1, H, W, 2)
    a, d = a[:, :, None, None], (b - a)[:, :, None, None]  # (n, k, 1, 1, 2)
    t = np.clip(((p - a) * d).sum(-1) / np.maximum((d * d).sum(-1), 1e-9), 0, 1)
    return np.linalg.norm(p - a - t[..., None] * d, axis=-1).min(axis=1)


def ink(x: np.ndarray, distance: np.ndarray, level: float) -> np.ndarray:
    """Draw a 1-px anti-aliased line of brightness `level` wherever `distance` < 1 (ink adds: max)."""
    return np.maximum(x, level * np.clip(1.0 - distance, 0.0, 1.0))


def veil(x: np.ndarray, field: np.ndarray) -> np.ndarray:
    """Light paper seen darker (after inversion, brighter) by `field` in [0, 1]: x + F (1 - x)."""
    return x + field * (1.0 - x)
