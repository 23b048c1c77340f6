"""The printed lines of ruled and squared paper and of forms' boxes, found in an ink mask and taken out.

People write digits in exercise books, on graph paper and in the boxes of
forms. The threshold keeps the printed lines with the ink; a line across the
picture makes the crop the whole picture, and the digit arrives small in a
frame of bars, or a box's sides are read as 1s (`benchmarks/paper_lines.py`).

A printed line is straight and crosses the picture. Along the rows (and
along the columns, by transposing),

    coverage(theta, r) = #{ink pixels (y, x) : round(y - x tan(theta)) = r}

is the length of ink on the straight line of tilt theta through row r. The
paper's lines are parallel, so one tilt serves them all: the one whose
coverage peaks highest. Rows covered over `MIN_SPAN` of the width make a
band. A band is a printed line when it is thin beside the strokes and runs
on past the writing at both ends. A digit's own long strokes (a 1, a 4's
stem, a 7's bar in a digit cropped to its box) end within the writing.
Where a stroke crosses a line, the ink on both sides of the band joins up
again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from digitlab.preprocess.blobs import large_blobs

MIN_SPAN = 0.5  # a printed line covers at least this share of the picture across
EDGE_SPAN = 0.25  # ...and the rows along its blurred edges at least this share,
BLUR_ROWS = 2  # ...this many on each side at most
MAX_TILT = np.radians(5.0)  # a page photographed this far from square
THIN = 0.5  # a printed line is at most this share of the strokes' width...
OVERHANG = 0.05  # ...and, in a picture cropped to the writing, runs past it by this share of its length


@dataclass(frozen=True)
class Band:
    """One straight line across the picture: its ink pixels, how thick it is, and how many rows it takes."""

    pixels: np.ndarray  # bool (h, w)
    thickness: float  # px across the line: the median run of ink through its middle row
    rows: int  # the rows taken out, with the line's blurred edges
    horizontal: bool = True

    def transposed(self) -> Band:
        return Band(self.pixels.T, self.thickness, self.rows, not self.horizontal)

    def overhang(self, writing: np.ndarray) -> float:
        """How far the line runs past `writing` (bool (h, w)) along its length, at its shorter end, as a
        share of the picture's side along the line (negative when it ends within the writing)."""
        axis = 0 if self.horizontal else 1  # collapse the rows of a horizontal line: keep its columns
        line, writing = np.flatnonzero(self.pixels.any(axis)), np.flatnonzero(writing.any(axis))
        return min(writing[0] - line[0], line[-1] - writing[-1]) / self.pixels.shape[1 - axis]


def remove_paper_lines(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """bool (h, w) ink mask -> (the mask without printed lines, the line pixels taken out)."""
    lines = paper_lines(mask)
    if not lines:
        return mask, np.zeros_like(mask)
    taken = np.logical_or.reduce([line.pixels for line in lines])
    rest = mask & ~taken
    # a stroke crossing a line: close the gap the line leaves, across the line's direction only
    across = max(line.rows for line in lines) + 2
    joined = rest | (taken & (ndimage.binary_closing(rest, np.ones((across, 1), bool))
                              | ndimage.binary_closing(rest, np.ones((1, across), bool))))
    return joined, taken & ~joined


def paper_lines(mask: np.ndarray) -> list[Band]:
    """The straight lines across the picture, horizontal or vertical, thin beside its strokes and running on
    past its writing."""
    bands = _bands_along_rows(mask) + [band.transposed() for band in _bands_along_rows(mask.T)]
    if not bands:
        return []
    rest = mask & ~np.logical_or.reduce([band.pixels for band in bands])
    if not rest.any():  # nothing but the bands: they are the digit (a "1" filling its frame)
        return []
    width, writing = stroke_width(rest), _large_blobs(rest)
    # a line runs on past the writing at both ends, a long way when the picture is cropped to the writing
    least = OVERHANG if cropped_to_writing(rest) else 1e-9
    return [band for band in bands if band.thickness <= max(1.0, THIN * width) and band.overhang(writing) >= least]


def cropped_to_writing(writing: np.ndarray) -> bool:
    """Does the writing touch three or four sides of the picture, as in a digit cropped to its box?

    Then there is no paper around it for a printed line to cross, and a stroke
    that spans the picture (a 5's top bar, a 4's cross bar in Semeion's 16x16
    digits, as thin as the pen) is the digit's, unless it reaches well past
    the writing on both sides.
    """
    sides = [writing[0].any(), writing[-1].any(), writing[:, 0].any(), writing[:, -1].any()]
    return sum(sides) >= 3


def _bands_along_rows(mask: np.ndarray) -> list[Band]:
    """The straight near-horizontal bands of `mask` covering `MIN_SPAN` of its width."""
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    if len(xs) == 0 or np.ptp(xs) + 1 < MIN_SPAN * w:  # nothing reaches across: the usual picture of a digit
        return []
    tilts = np.tan(np.linspace(-MAX_TILT, MAX_TILT, 2 * round(np.degrees(MAX_TILT) * 4) + 1))  # 1/4 degree steps
    shift = int(np.ceil(w * np.tan(MAX_TILT)))
    rows = [np.round(ys - xs * t).astype(np.int64) + shift for t in tilts]  # r of each ink pixel, per tilt
    coverage = [np.bincount(r, minlength=h + 2 * shift) for r in rows]
    best = int(np.argmax([c.max() for c in coverage]))  # the paper's lines are parallel: one tilt for all
    r, cover = rows[best], coverage[best]
    run = _vertical_runs(mask)[ys, xs]  # (n,) the length of the column's run of ink through each pixel
    cores, count = ndimage.label(cover >= MIN_SPAN * w)  # consecutive rows covered across: one line each
    bands = []
    for core in range(1, count + 1):
        low, high = np.flatnonzero(cores == core)[[0, -1]]
        middle = r == (low + high) // 2
        # with the rows beside it that the line's blurred edges half cover
        low, high = _widen(cover, low, high, EDGE_SPAN * w)
        pixels = np.zeros_like(mask)
        inside = (r >= low) & (r <= high)
        pixels[ys[inside], xs[inside]] = True
        bands.append(Band(pixels, float(np.median(run[middle])), int(high - low + 1)))
    return bands


def _widen(cover: np.ndarray, low: int, high: int, least: float) -> tuple[int, int]:
    """Rows low..high grown by up to `BLUR_ROWS` into rows covered at least `least` (the line's blurred
    edges), then by one more row: the last pixels along a line are as much a line as the rest."""
    start, end = low, high
    while low > start - BLUR_ROWS and low > 0 and cover[low - 1] >= least:
        low -= 1
    while high < end + BLUR_ROWS and high + 1 < len(cover) and cover[high + 1] >= least:
        high += 1
    return low - 1, high + 1


def _large_blobs(mask: np.ndarray, share: float = 0.1) -> np.ndarray:
    """The blobs of `mask` at least `share` of the largest: the digits, not the scraps of line left over."""
    return large_blobs(mask, share)


def _vertical_runs(mask: np.ndarray) -> np.ndarray:
    """int (h, w): at each ink pixel, the length of the unbroken run of ink in its column."""
    runs, _ = ndimage.label(mask, structure=np.array([[0, 1, 0], [0, 1, 0], [0, 1, 0]]))
    return np.bincount(runs.ravel())[runs] * mask


def stroke_width(mask: np.ndarray) -> float:
    """The ink's typical stroke width in px, from the mean distance of its pixels to the paper.

    Across a stroke w px wide the distances run 1, 2, ... w/2 and back, so
    their mean is (w/2 + 1) / 2 and w = 4 mean - 2. Weighted by area, a few
    thin slivers barely move it.
    """
    distance = ndimage.distance_transform_edt(mask)
    return 4.0 * float(distance[mask].mean()) - 2.0
