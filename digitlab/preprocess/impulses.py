"""Salt and pepper: lone pixels flipped to black or white, taken out before the threshold.

A scanner's dust, dead sensor pixels and transmission errors scatter single
pixels at the picture's extremes. Each passes the threshold as a speck: next
to the digit it joins the strokes, scattered over the paper it stretches the
crop or makes the picture look like noise. MNIST-C's impulse noise (17% of the
pixels) read 90.4% through `prepare`, 7.4% of them "no digit", where the raw
model reads the same pictures at 99.0% (`benchmarks/damaged_digits.py`).

A pixel is an impulse when it stands out from all 8 neighbours by more than
`STEP` of the picture's range while they agree among themselves (their spread
under `FLAT`): a lone dot on flat paper or in a solid stroke. A stroke's
pixel is never one, since its neighbours along the stroke are like it. With
`MIN_IMPULSES` of them the picture has salt and pepper, and a switching
median filter mends it: each pixel farther than half the range from its 3x3
neighbourhood's median takes the median, which also catches impulses that
landed side by side; every other pixel is left as it was.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

STEP = 0.3  # an impulse stands out from every neighbour by this share of the picture's range...
FLAT = 0.2  # ...and its neighbours differ among themselves by less than this
MIN_IMPULSES = 4  # lone impulses that make a picture salt and pepper: MNIST and the dev scans have at most 2
SMALL = 512  # a larger picture is shrunk by averaging (`ink.work_size`), which dilutes impulses anyway


def remove_impulses(grey: np.ndarray) -> np.ndarray:
    """float32 (h, w) grey -> the same picture with its salt and pepper mended (unchanged without)."""
    if max(grey.shape) > SMALL or min(grey.shape) < 3:
        return grey
    step = max(1, max(grey.shape) // 128)  # the range from a subsample: the same figures, 1 ms at most
    low, high = np.percentile(grey[::step, ::step], [0.5, 99.5])
    span = float(high - low)
    if span <= 0 or lone_impulses(grey, span).sum() < MIN_IMPULSES:
        return grey
    median = ndimage.median_filter(grey, size=3, mode="nearest")
    return np.where(np.abs(grey - median) > 0.5 * span, median, grey)


def lone_impulses(grey: np.ndarray, span: float) -> np.ndarray:
    """bool (h, w): pixels beyond all 8 neighbours by `STEP` x span, the neighbours within `FLAT` x span."""
    padded = np.pad(grey, 1, mode="edge")
    h, w = grey.shape
    ring = [padded[1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]
    highest, lowest = np.maximum.reduce(ring), np.minimum.reduce(ring)
    stands_out = (grey > highest + STEP * span) | (grey < lowest - STEP * span)
    return stands_out & (highest - lowest < FLAT * span)
