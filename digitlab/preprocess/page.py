"""The sheet of paper in a photo that also shows the desk it lies on.

People photograph a note or a page where it lies, so the frame often shows
the table around it. The desk is darker than the paper and as dark as ink
to the threshold: taken for ink, it stretched the crop over the whole frame.
500 synthetic photos of digits on a note with a desk around it
(`digitlab.data.synth.on_desk`, `benchmarks/reading_photos.py`) read 16.6%
right, the rest mostly "unsure" or "no digit"; with the sheet found first,
96.6% (94.2% "ok" and right).

The sheet is the largest connected region of the lighter side of Otsu's
split, its holes (the writing) filled in. It is taken for a sheet, and the
picture cropped to it, only when everything holds:

- the picture is `MIN_SIDE` px or more on its shorter side: smaller ones
  are scans or crops, where the lighter region can be a thick light digit
  itself (7% of usps-train's 16x16 originals passed every other rule);
- it covers between `MIN_SHARE` and `MAX_SHARE` of the picture, and the
  rest is the darker side (at most `MIXED` of it lighter) and meets the
  picture's edge along `EDGE` of it or more: a surround, not paper;
- the writing is a minority of it (`MAX_WRITING`), and it fills `FILL` of
  its bounding box, as a sheet photographed from above does; its border
  is a sharp step from paper to desk (`_sharp_edge`), not a slope of light.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from digitlab.preprocess.blobs import CROSS, large_blobs
from digitlab.preprocess.ink import outer_ring
from digitlab.preprocess.otsu import otsu_threshold

MIN_SIDE = 48  # px: smaller pictures are scans or crops (MNIST, 16x16 USPS), with no desk around
LOOK_SIZE = 160  # px on the longer side: the sheet is found on a copy this small
MIN_SHARE, MAX_SHARE = 0.1, 0.9  # of the picture: a sheet with a desk around it
MIXED = 0.1  # the surround may hold this share of lighter pixels (a pen, a reflection)
EDGE = 0.3  # share of the picture's edge the surround covers at least
MAX_WRITING = 0.25  # share of the sheet that is writing at most
STEP = 0.5  # the sheet's edge is a step of at least this share of paper minus desk
FILL = 0.85  # share of its bounding box the sheet fills (a digit's filled shape: an 0 about 0.78)
MARGIN = 0.02  # of the sheet's size, trimmed off each side: the paper's edge and its shadow


def find_page(grey: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1), x1/y1 exclusive, of the sheet in float32 grey (H, W); None when there is none."""
    if min(grey.shape) < MIN_SIDE:
        return None
    step = max(1, max(grey.shape) // LOOK_SIZE)
    small = grey[::step, ::step]
    level, _ = otsu_threshold(small)
    light = small > level
    sheet = ndimage.binary_fill_holes(large_blobs(light, 1.0, CROSS))  # the largest lighter region
    if not _is_a_sheet(sheet, light) or not _sharp_edge(small, sheet):
        return None
    rows, cols = np.nonzero(sheet)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    dy, dx = round(MARGIN * (bottom - top)), round(MARGIN * (right - left))
    height, width = grey.shape
    return ((left + dx) * step, (top + dy) * step, min(width, (right - dx) * step),
            min(height, (bottom - dy) * step))


def _is_a_sheet(sheet: np.ndarray, light: np.ndarray) -> bool:
    """The filled lighter region is a sheet with a darker surround (see the module's rules)."""
    if not MIN_SHARE <= sheet.mean() <= MAX_SHARE:
        return False
    surround = ~sheet
    if light[surround].mean() > MIXED or outer_ring(surround).mean() < EDGE:
        return False
    if (~light[sheet]).mean() > MAX_WRITING:
        return False
    rows, cols = np.nonzero(sheet)
    box = (np.ptp(rows) + 1) * (np.ptp(cols) + 1)
    return bool(sheet.sum() >= FILL * box)


def _sharp_edge(grey: np.ndarray, sheet: np.ndarray) -> bool:
    """Is the sheet's border a step from paper to desk, not the slope of uneven light across one page?

    Light falling off across a page also splits it into a lighter and a darker
    side, and 4 of 100 synthetic photos of a digit passed every rule of
    `_is_a_sheet`, their crop cutting through the digit. There the grey levels
    just inside and just outside the border are nearly the same; at a sheet's
    edge they differ by most of the paper's and the desk's difference.
    """
    inside = sheet & ~ndimage.binary_erosion(sheet, iterations=2)
    outside = ndimage.binary_dilation(sheet, iterations=2) & ~sheet
    paper, desk = np.median(grey[sheet]), np.median(grey[~sheet])
    return bool(np.median(grey[inside]) - np.median(grey[outside]) >= STEP * (paper - desk))
