"""Hairline strokes grown to a pen's width: a ballpoint digit photographed large, scaled into MNIST's box.

MNIST's digits were written with a pen and scanned small: scaled into the 20 px box their strokes are
1.9-3.4 px wide (the 1st to 95th percentile of test[5000:5300], by `stroke_width`), 2.45 px in the
median. A ballpoint or pencil digit in a phone photo is drawn with 1-4% of its height: in the box its
strokes become faint grey hairlines under a pixel wide. The model still names most of them, but
unsure of every one (synthetic ballpoint digits at 280 px, strokes 2-8 px: 0-75% "ok"). So before
the crop is scaled, strokes that would be thinner than `MIN_WIDTH` in the box are grown to
`TARGET_WIDTH`, the thinnest of MNIST's pens, by a grey dilation with a disk.

    width = stroke_width(mask)                     # px, in the crop's own pixels
    crop = grow_thin_strokes(crop, mask, box=20)   # float32 (h, w), unchanged when not thin
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from digitlab.data.pens import round_pen

MIN_WIDTH = 1.5  # px in the 20 px box: below MNIST's thinnest strokes (1st percentile 1.9)
# px in the box: MNIST's thinnest pens. Grown thicker, scribbles look written more than they do:
# 2.45 (MNIST's median) read the same ballpoint digits no better (98.8% "ok" and right, pens of
# 2-8 px at 280, 240 digits) and refused 64.7% of 150 scribbles against 74.0%; 1.5 refused 85.3%
# but left 92.5% "ok" and right.
TARGET_WIDTH = 1.9


def stroke_width(mask: np.ndarray) -> float:
    """The strokes' mean width in pixels, 2 * area / edge pixels (area = w L, edge = 2 L for a stroke
    of length L). A one-pixel line gives 2, not 1: it is all edge."""
    edge = mask & ~ndimage.binary_erosion(mask)
    return 2.0 * float(mask.sum()) / max(int(edge.sum()), 1)


def grow_thin_strokes(crop: np.ndarray, mask: np.ndarray, box: int) -> np.ndarray:
    """`crop` float32 (h, w) in [0, 1], white ink, with its strokes grown when, scaled so its longer
    side fills `box` px, they would be under MIN_WIDTH wide; `mask` bool (h, w) is its ink."""
    if not mask.any():
        return crop
    per_box_pixel = max(crop.shape) / box  # crop pixels per box pixel
    width = stroke_width(mask)
    if width >= MIN_WIDTH * per_box_pixel:
        return crop
    pen = round_pen(TARGET_WIDTH * per_box_pixel - width)  # drawn along the stroke: grows both sides
    if pen.size == 1:
        return crop
    padded = np.pad(crop, len(pen) // 2)  # strokes at the crop's edge grow outwards too
    return ndimage.grey_dilation(padded, footprint=pen, mode="constant", cval=0.0)
