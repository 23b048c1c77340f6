"""Cutting touching digits apart along paths of least ink.

Touching digits overlap, so no straight column separates them: each cut is a
top-to-bottom path that may bend round the strokes (dynamic programming),
searched in a band of columns where a boundary is expected. Lengths are
shares of the blob's width; "prior" marks a number set by hand, not tuned.
"""

from __future__ import annotations

import itertools

import numpy as np

from digitlab.read.box import Box

CUT_WINDOW = 0.3  # prior: a cut is searched within this share of a part's width of its even place
EDGE_CUTS = ((0.12, 0.4), (0.6, 0.88))  # prior: an early and a late cut for a 1 touching a wider digit
ONE_SHARE = 0.5  # prior: a "1" is about half as wide as other digits
GREY_COST = 0.5  # prior: how much a cut pays for crossing grey edge pixels, beside solid ink (1.0)


def bands(width: int, k: int) -> list[list[tuple[int, int]]]:
    """Column ranges to search for each of the k-1 cuts, one list per candidate split.

    Equal parts first, then each layout with one narrow part where a "1"
    may stand (`ONE_SHARE` of a digit's width): in a touching "100" the
    first cut lies at a fifth of the width, far from a third.
    """
    layouts = [np.ones(k)] + [np.where(np.arange(k) == i, ONE_SHARE, 1.0) for i in range(k)]
    window = CUT_WINDOW * width / k
    out = []
    for layout in layouts:
        edges = np.cumsum(layout)[:-1] / layout.sum() * width  # (k-1,) expected boundaries
        out.append([(round(e - window), round(e + window)) for e in edges])
    if k == 2:  # a "1" touching a "7" can be much narrower than half a digit
        out += [[(round(lo * width), round(hi * width))] for lo, hi in EDGE_CUTS]
    return out


def cut(group: Box, bands, strength=None, bend: float = 0.05, slant: float = 0.0) -> list[Box]:
    """Cut `group` along one least-ink top-to-bottom path per band (columns of its box).

    A path may bend round the ink (see `least_ink_path`), so two digits that
    overlap without crossing separate cleanly; a supple path may also wander
    round a neighbour's hook and take it along, which a stiffer one (a
    higher `bend` cost) does not. With a `slant` (x shift per row, see
    `slant_of`) the paths are searched on the blob sheared upright, so a cut
    runs parallel to slanted strokes, as the gap between two slanted digits
    does. Returns the pieces, or [] when a part is empty.
    """
    mask = group.crop(group.own)
    cost = mask.astype(float)
    if strength is not None:  # grey edges cost a little too: cut through the thinnest stroke
        cost += GREY_COST * group.crop(strength)
    columns = np.arange(mask.shape[1])
    offsets = row_offsets(mask.shape[0], slant)
    upright, pad = shear(cost, offsets), int(np.abs(offsets).max())
    # upright, the blob is narrower than its slanted box: place the bands on its upright extent
    inked = np.flatnonzero(shear(mask, offsets).any(axis=0))
    start, scale = inked[0], (inked[-1] + 1 - inked[0]) / mask.shape[1]
    paths = [np.zeros(mask.shape[0], int)]
    for lo, hi in bands:
        lo, hi = max(lo, 1), min(hi, mask.shape[1] - 1)
        if hi - lo < 1:
            return []
        lo, hi = start + round(lo * scale), start + max(round(hi * scale), round(lo * scale) + 1)
        path = least_ink_path(upright, lo, hi, bend) - pad + offsets  # back to the blob's columns
        paths.append(np.clip(path, 0, mask.shape[1]))
    paths.append(np.full(mask.shape[0], mask.shape[1]))
    parts = []
    for left, right in itertools.pairwise(paths):
        part = mask & (columns >= left[:, None]) & (columns < right[:, None])
        rows, cols = np.nonzero(part)
        if len(rows) == 0:
            return []
        own = np.zeros_like(group.own)
        group.crop(own)[...] = part
        x0, y0 = group.x0, group.y0
        parts.append(Box(x0 + int(cols.min()), y0 + int(rows.min()), x0 + int(cols.max()) + 1,
                         y0 + int(rows.max()) + 1, own))
    return parts


def slant_of(mask: np.ndarray) -> float:
    """The ink's slant in `mask` (h, w): x shift per row down, cov(x, y) / var(y) of its pixels.

    The moment MNIST's deskewing uses. Digits side by side spread the ink
    along x whatever its row, so for a blob of several it still measures
    their shared slant. 0 for ink in one row.
    """
    rows, cols = np.nonzero(mask)
    if len(rows) < 2 or rows.var() == 0:
        return 0.0
    return float(np.mean((rows - rows.mean()) * (cols - cols.mean())) / rows.var())


def row_offsets(height: int, slant: float) -> np.ndarray:
    """How far each row is shifted to stand a `slant` upright: (height,) ints, 0 at the middle row."""
    return np.round(slant * (np.arange(height) - (height - 1) / 2)).astype(int)


def shear(image: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """`image` (h, w) with row y moved left by offsets[y]: (h, w + 2 * pad), pad = max |offset|.

    Column x of row y lands at x + pad - offsets[y]; the margins cost 0 (free to cut through).
    """
    pad = int(np.abs(offsets).max())
    out = np.zeros((image.shape[0], image.shape[1] + 2 * pad), dtype=image.dtype)
    for y, offset in enumerate(offsets):
        out[y, pad - offset: pad - offset + image.shape[1]] = image[y]
    return out


def least_ink_path(cost: np.ndarray, lo: int, hi: int, bend: float = 0.05) -> np.ndarray:
    """Column of a top-to-bottom path through `cost` (h, w) within columns [lo, hi): (h,) ints.

    Dynamic programming: each row the path moves at most one column, paying
    `bend` for a diagonal step, and the path of least total cost wins; its
    pixels left of the path go to one digit, the rest to the next.
    """
    band = cost[:, lo:hi]
    total = band[0].copy()
    step = np.zeros(band.shape, dtype=np.int8)  # -1, 0, +1: where each pixel's best predecessor is
    for y in range(1, len(band)):
        left = np.r_[np.inf, total[:-1]] + bend
        right = np.r_[total[1:], np.inf] + bend
        choice = np.argmin(np.stack([left, total, right]), axis=0)  # 0: from x-1, 1: x, 2: from x+1
        total = np.choose(choice, [left, total, right]) + band[y]
        step[y] = choice - 1
    path = np.empty(len(band), dtype=int)
    path[-1] = int(np.argmin(total))
    for y in range(len(band) - 1, 0, -1):
        path[y - 1] = path[y] + step[y, path[y]]
    return path + lo
