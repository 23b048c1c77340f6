"""Lines of MNIST digits as ink maps: the training data of the line model (`digitlab.read.line_model`).

An ink map is float32 (h, w) in [0, 1], white ink on black, as
`digitlab.preprocess.ink.find_ink` makes of a picture; the line model reads
that, so its training lines need no paper, colour or lighting. What they
vary is what separates digits on real lines and what the segmenter finds
hard: digits that touch or overlap (up to 22% of the height), wide gaps,
one slant for the whole line, narrow and wide writing, thick and faint pens,
a drifting baseline, a stray rule, blur and noise. The digits come from MNIST
train only, so anyone can rebuild the shipped model.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage


def ink_line(digits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """MNIST uint8 digits (n, 28, 28) -> one line of them left to right, float32 ink (h, w)."""
    h = rng.uniform(16, 56)  # digit height, px
    slant = rng.uniform(-0.4, 0.4)  # x shift per px of height, shared by the line's digits
    crops = [_render(d, h * rng.uniform(0.85, 1.15), slant + rng.uniform(-0.08, 0.08), rng) * rng.uniform(0.3, 1.0)
             for d in digits]
    p_overlap = rng.uniform(0, 0.6)  # how often this writer's digits touch
    gaps = [(rng.uniform(-0.22, 0.0) if rng.random() < p_overlap else rng.uniform(0.0, 0.6)) * h for _ in crops]
    drift = rng.uniform(-0.1, 0.1) * h  # baseline shift per digit
    tall = max(c.shape[0] for c in crops)
    margin = int(0.3 * h) + 2
    width = sum(c.shape[1] for c in crops) + int(sum(max(g, 0) for g in gaps)) + 2 * margin
    strip = np.zeros((tall + 2 * margin + int(abs(drift) * len(crops)) + 2, width), np.float32)
    x, base = margin, margin + (int(abs(drift) * len(crops)) if drift < 0 else 0)
    for i, (crop, gap) in enumerate(zip(crops, gaps)):
        top = int(np.clip(base + drift * i + (tall - crop.shape[0]) * rng.uniform(0, 1), 0, strip.shape[0] - crop.shape[0]))
        x = int(np.clip(x, 0, width - crop.shape[1]))
        region = strip[top:top + crop.shape[0], x:x + crop.shape[1]]
        np.maximum(region, crop, out=region)  # overlapping digits: ink is the brighter of the two
        x += crop.shape[1] + round(gap)
    if rng.random() < 0.3:  # a faint rule across the line
        y = rng.integers(0, strip.shape[0])
        strip[y, :] = np.maximum(strip[y, :], rng.uniform(0, 0.3))
    strip = ndimage.gaussian_filter(strip, rng.uniform(0, 1.0))
    strip = strip + rng.normal(0, rng.uniform(0, 0.06), strip.shape)
    return np.clip(strip, 0, 1).astype(np.float32)


def _render(digit: np.ndarray, height: float, slant: float, rng) -> np.ndarray:
    """One MNIST digit cropped to its ink, `height` px tall, 0.75-1.3x its width, re-stroked, slanted."""
    a = _crop(digit.astype(np.float32) / 255)
    width = max(2, a.shape[1] * height / a.shape[0] * rng.uniform(0.75, 1.3))
    a = np.asarray(Image.fromarray(a, mode="F").resize((max(1, round(width)), max(1, round(height))), Image.BILINEAR))
    if rng.random() < 0.3:  # another pen: thicker, or fainter
        k = max(1, round(height / 14))
        a = ndimage.grey_dilation(a, size=(k + 1, k + 1)) if rng.random() < 0.6 else a * rng.uniform(0.6, 1)
    pad = int(abs(slant) * a.shape[0]) + 1
    a = np.pad(a, ((0, 0), (pad, pad)))
    # x_in = x_out + slant * (y - centre): a shear about the middle row
    shear = np.array([[1.0, 0.0], [slant, 1.0]])
    a = ndimage.affine_transform(a, shear, offset=np.array([0.0, -slant * a.shape[0] / 2]), order=1)
    return np.clip(_crop(a), 0, 1)


def _crop(a: np.ndarray, level: float = 0.1) -> np.ndarray:
    """`a` cut to the rows and columns holding a value above `level` (1x1 when none does)."""
    rows, cols = np.nonzero(a.max(axis=1) > level)[0], np.nonzero(a.max(axis=0) > level)[0]
    if rows.size == 0:
        return a[:1, :1]
    return a[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
