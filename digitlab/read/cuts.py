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
GREY_COST = 0.5  # prior: how much a cut pays for crossing grey edge pixels, beside solid ink (1.0)


def bands(width: int, k: int) -> list[list[tuple[int, int]]]:
    """Column ranges to search for each of the k-1 cuts, one list per candidate split.

    Equal parts first; for two parts also an early and a late cut, because a
    "1" touching a "7" is much narrower than its neighbour.
    """
    window = CUT_WINDOW * width / k
    even = [(round(j * width / k - window), round(j * width / k + window)) for j in range(1, k)]
    if k != 2:
        return [even]
    return [even, *([(round(lo * width), round(hi * width))] for lo, hi in EDGE_CUTS)]


def cut_each(group: Box, band_sets: list, strength=None, bend: float = 0.05) -> list[list[Box]]:
    """For each set of bands, `group` cut along one least-ink top-to-bottom path per band (columns
    of its box): the pieces, or [] when a part is empty. Every path is found in one pass.

    A path may bend round the ink (see `least_ink_paths`), so two digits that
    overlap without crossing separate cleanly; a supple path may also wander
    round a neighbour's hook and take it along, which a stiffer one (a
    higher `bend` cost) does not.
    """
    mask = group.crop(group.own)
    cost = mask.astype(float)
    if strength is not None:  # grey edges cost a little too: cut through the thinnest stroke
        cost += GREY_COST * group.crop(strength)
    h, w = mask.shape
    window_sets = [[(max(lo, 1), min(hi, w - 1)) for lo, hi in bands] for bands in band_sets]
    fits = [all(hi - lo >= 1 for lo, hi in windows) for windows in window_sets]
    found = iter(least_ink_paths(cost, [wd for windows, ok in zip(window_sets, fits) if ok for wd in windows], bend)
                 if any(fits) else [])
    columns, out = np.arange(w), []
    for windows, ok in zip(window_sets, fits):
        if not ok:
            out.append([])
            continue
        paths = [np.zeros(h, int), *(next(found) for _ in windows), np.full(h, w)]
        parts = [piece(group, mask & (columns >= left[:, None]) & (columns < right[:, None]))
                 for left, right in itertools.pairwise(paths)]
        out.append([] if None in parts else parts)
    return out


def piece(group: Box, part: np.ndarray) -> Box | None:
    """The piece of `group` whose own pixels are `part` (bool, the box's shape); None when it is empty."""
    rows, cols = np.nonzero(part)
    if len(rows) == 0:
        return None
    own = np.zeros_like(group.own)
    group.crop(own)[...] = part
    return Box(group.x0 + int(cols.min()), group.y0 + int(rows.min()), group.x0 + int(cols.max()) + 1,
               group.y0 + int(rows.max()) + 1, own)


def least_ink_paths(cost: np.ndarray, windows: list[tuple[int, int]], bend: float = 0.05) -> list[np.ndarray]:
    """For each window (lo, hi) of columns, the column of a top-to-bottom path through `cost` (h, w)
    within it: (h,) ints each, all found together in one pass over the rows.

    Dynamic programming: each row the path moves at most one column, paying
    `bend` for a diagonal step, and the path of least total cost wins; its
    pixels left of the path go to one digit, the rest to the next.
    """
    h, widest = len(cost), max(hi - lo for lo, hi in windows)
    # (P, h, widest): each window's columns, padded on the right with columns no path may enter
    bands = np.full((len(windows), h, widest), np.inf)
    for band, (lo, hi) in zip(bands, windows):
        band[:, : hi - lo] = cost[:, lo:hi]
    total = np.full((len(windows), widest + 2), np.inf)  # best cost so far, an impassable column either side
    total[:, 1:-1] = bands[:, 0]
    step = np.zeros((h, len(windows), widest), dtype=np.int8)  # -1, 0, +1: where the best predecessor is
    for y in range(1, h):
        moves = np.stack([total[:, :-2] + bend, total[:, 1:-1], total[:, 2:] + bend])  # (3, P, widest)
        choice = np.argmin(moves, axis=0)  # ties go to the first: left, then straight
        step[y] = choice - 1
        total[:, 1:-1] = moves.min(axis=0) + bands[:, y]
    paths = np.empty((len(windows), h), dtype=int)
    paths[:, -1] = np.argmin(total[:, 1:-1], axis=1)
    every = np.arange(len(windows))
    for y in range(h - 1, 0, -1):
        paths[:, y - 1] = paths[:, y] + step[y, every, paths[:, y]]
    return [path + lo for path, (lo, _) in zip(paths, windows)]
