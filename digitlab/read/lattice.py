"""Over-segmentation: many candidate cuts through a blob, and the best reading through them.

`cuts.bands` looks for k - 1 cuts near the places that split a blob into k
even parts, so a narrow "1" among wide digits ("261") puts a boundary
outside every band. Here a cut is searched every `STEP` of the line's
height (each a least-ink path, `cuts.least_ink_paths`), the ink between any
two cuts is a segment, every plausible segment is read once, and for each
count k the k segments in a row that read best (a Viterbi pass over the
cuts) become one more candidate for `segment._best` to weigh.

    paths = cut_paths(group, ink.ink, height, bends)    # left edge, cuts left to right, right edge
    spans = segments(group, paths, height, min_height)  # {(i, j): Box} between paths i < j
    best = best_readings(list(spans), read, len(paths), max_k)  # {k: [i0, i1, ..., ik]}, paths used

Lengths are shares of the line's height; "prior" marks a number set by hand.
"""

from __future__ import annotations

import itertools

import numpy as np

from digitlab.read.box import Box
from digitlab.read.cuts import GREY_COST, least_ink_paths, piece

STEP = 0.15  # prior: a cut is searched this often along the blob
WINDOW = 0.15  # prior: ...and may bend this far either side of its place
MIN_WIDTH = 0.1  # prior: a segment at least this wide (a thin "1")...
MAX_WIDTH = 1.3  # prior: ...and at most this wide (a wide "0" or "2")


def cut_paths(group: Box, strength: np.ndarray, height: float, bends=(0.05,)) -> list[np.ndarray]:
    """Top-to-bottom paths (columns of `group`'s box, one per row), the box's edges first and last;
    from each place one path per cost of a diagonal step in `bends` (`segment.CUT_BENDS`)."""
    mask = group.crop(group.own)
    cost = mask.astype(float) + GREY_COST * group.crop(strength)
    h, w = mask.shape
    step, window = max(1, round(STEP * height)), max(1, round(WINDOW * height))
    windows = [(max(1, place - window), min(w - 1, place + window + 1)) for place in range(step, w - step + 1, step)]
    windows = [(lo, hi) for lo, hi in windows if hi > lo]  # a blob a few pixels wide has no room for a cut
    found = [least_ink_paths(cost, windows, bend) for bend in bends] if windows else []
    inner = []
    for path in itertools.chain.from_iterable(zip(*found)):  # place by place, each bend in turn
        # a path within a pixel of one already found cuts the same ink: one more read for nothing
        if all(np.abs(path - other).max() > 1 for other in inner):
            inner.append(path)
    inner.sort(key=lambda p: p.mean())
    return [np.zeros(h, int), *inner, np.full(h, w)]


def segments(group: Box, paths: list[np.ndarray], height: float,
             min_height: float = 0.0) -> dict[tuple[int, int], Box]:
    """{(i, j): the ink of `group` between paths i and j} for every digit-sized span, at least
    `min_height` of the line's height tall (`segment.MIN_PART_HEIGHT`)."""
    mask = group.crop(group.own)
    columns = np.arange(mask.shape[1])
    right_of = [columns >= p[:, None] for p in paths]  # (h, w) each: pixels at or right of path i
    spans = {}
    for i in range(len(paths) - 1):
        for j in range(i + 1, len(paths)):
            if paths[j].mean() - paths[i].mean() > MAX_WIDTH * height:
                break
            box = piece(group, mask & right_of[i] & ~right_of[j])
            if box is not None and box.height >= min_height * height and \
                    MIN_WIDTH * height <= box.width <= MAX_WIDTH * height:
                spans[(i, j)] = box
    return spans


def best_readings(spans: list[tuple[int, int]], read, n_paths: int, max_k: int,
                  floor: float = -np.inf) -> dict[int, list[int]]:
    """For k = 2..max_k, the paths [0, ..., n_paths - 1] of the k spans in a row whose scores sum highest.

    Viterbi over the paths, left to right: best[j][k] = max over i of best[i][k - 1] + score(i, j).
    `read(some spans)` scores spans (each at most 0, a log-probability);
    they are read one left path at a time, and only from a path some
    reading reaches with a sum above `floor`: scores only fall, so a route
    through a path below it can never sum above `floor`.
    """
    best = [{} for _ in range(n_paths)]  # best[j][k]: (sum, paths) of the best k spans from path 0 to j
    best[0][0] = (0.0, [0])
    leaving_from = {}  # path i -> the spans (i, j) leaving it
    for span in spans:
        leaving_from.setdefault(span[0], []).append(span)
    for i in range(n_paths - 1):
        if not best[i] or max(total for total, _ in best[i].values()) <= floor:
            continue
        leaving = leaving_from.get(i, [])
        for (_, j), score in zip(leaving, read(leaving) if leaving else []):
            for k, (total, route) in best[i].items():
                if k < max_k and (k + 1 not in best[j] or total + score > best[j][k + 1][0]):
                    best[j][k + 1] = (total + score, route + [j])
    return {k: route for k, (_, route) in sorted(best[-1].items()) if k >= 2}
