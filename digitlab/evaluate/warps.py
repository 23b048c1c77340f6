"""Damage by geometry: the digit's shape moved, not its pixels' values (see `corruptions`)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from digitlab.evaluate.drawing import centred_grid, pick, sample, signed, to_uint8, to_unit


def affine(images, severity, rng):
    """Rotation (10/20/30 deg), shear (0.1/0.2/0.3) and scale (+-10/15/20 %) about the centre:
    output pixel p reads x at A^-1 p."""
    n = len(images)
    degrees, shear, zoom = pick(severity, ((10, 0.1, 0.1), (20, 0.2, 0.15), (30, 0.3, 0.2)))
    theta, s, k = np.radians(signed(rng, n, degrees)), signed(rng, n, shear), 1 + signed(rng, n, zoom)
    cos, sin, one, zero = np.cos(theta), np.sin(theta), np.ones(n), np.zeros(n)
    unrotate = np.array([[cos, sin, zero], [-sin, cos, zero], [zero, zero, k]]) / k  # (3, 3, n)
    unshear = np.array([[one, zero, zero], [-s, one, zero], [zero, zero, one]])
    return _warp(images, unrotate.transpose(2, 0, 1) @ unshear.transpose(2, 0, 1))


def elastic(images, severity, rng):
    """Simard et al. (2003): displace each pixel by a field of U(-1, 1) noise smoothed with a
    Gaussian of sigma 4 px, scaled to a root-mean-square length of 1.2 / 1.6 / 2 px."""
    x = to_unit(images)
    field = ndimage.gaussian_filter(rng.uniform(-1, 1, (2, *x.shape)), (0, 0, 4, 4))  # (2, n, H, W)
    rms = np.sqrt((field**2).sum(0).mean(axis=(1, 2), keepdims=True))
    dr, dc = field * pick(severity, (1.2, 1.6, 2.0)) / np.maximum(rms, 1e-9)
    rows, cols = centred_grid(len(x))
    return to_uint8(sample(x, rows + dr, cols + dc))


def perspective(images, severity, rng):
    """A photo taken at an angle: the homography moving each corner by up to 2 / 3.5 / 5 px."""
    corners = np.array([[-14, -14], [-14, 14], [14, 14], [14, -14]], dtype=np.float64)
    moved = corners + rng.uniform(-1, 1, (len(images), 4, 2)) * pick(severity, (2, 3.5, 5))
    return _warp(images, _homography(moved, np.broadcast_to(corners, moved.shape)))


def _warp(images, h: np.ndarray) -> np.ndarray:
    """Output pixel p reads the image at H p: h (n, 3, 3) on centred homogeneous (row, col, 1)."""
    rows, cols = centred_grid(len(h))
    src = np.einsum("nij,njhw->nihw", h, np.stack([rows, cols, np.ones_like(rows)], 1))
    return to_uint8(sample(to_unit(images), src[:, 0] / src[:, 2], src[:, 1] / src[:, 2]))


def _homography(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, 3, 3) H with H [a; 1] ~ [b; 1] for four point pairs a, b (n, 4, 2): the 8x8 DLT system."""
    n, one, zero = len(a), np.ones(a.shape[:2]), np.zeros(a.shape[:2])
    (ax, ay), (bx, by) = a.transpose(2, 0, 1), b.transpose(2, 0, 1)
    top = np.stack([ax, ay, one, zero, zero, zero, -ax * bx, -ay * bx], -1)
    low = np.stack([zero, zero, zero, ax, ay, one, -ax * by, -ay * by], -1)
    h = np.linalg.solve(np.concatenate([top, low], 1), np.concatenate([bx, by], 1)[..., None])
    return np.concatenate([h[..., 0], np.ones((n, 1))], 1).reshape(n, 3, 3)
