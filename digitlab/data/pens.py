"""MNIST digits redrawn with a thin pen, as a ballpoint or pencil digit looks in a photo.

MNIST's strokes are a tenth of a digit's height; a ballpoint's are 1-4% of it. To make such
digits from MNIST's, the strokes' middle line is found (the ridge of the distance to the
paper) and drawn again with a round pen of the wanted width, at a photo's resolution.

    photo = ballpoint(image, width=3)    # uint8 (280, 280), dark strokes 3 px wide on light paper
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

PAPER, INK = 235, 40


def middle_lines(strokes: np.ndarray) -> np.ndarray:
    """bool (h, w): the pixels of `strokes` that are farthest from the paper across the stroke
    (the ridge of the distance transform), a line along the middle of every stroke."""
    distance = ndimage.distance_transform_edt(strokes)
    ridge = distance >= ndimage.maximum_filter(distance, size=3) - 0.5
    return strokes & ridge & (distance >= 2)


def round_pen(width: float) -> np.ndarray:
    """bool (k, k), k odd: the pixels a round pen `width` px wide covers around its centre (one, at least)."""
    radius = max(width / 2, 0.5)
    offsets = np.arange(-int(radius), int(radius) + 1)
    return offsets[:, None] ** 2 + offsets[None, :] ** 2 <= radius**2


def ballpoint(image: np.ndarray, width: float, size: int = 280) -> np.ndarray:
    """uint8 (28, 28) white-on-black digit -> uint8 (size, size), its strokes redrawn `width` px wide,
    dark on light paper."""
    strokes = np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR)) > 100
    drawn = ndimage.binary_dilation(middle_lines(strokes), structure=round_pen(width))
    return np.where(drawn, INK, PAPER).astype(np.uint8)
