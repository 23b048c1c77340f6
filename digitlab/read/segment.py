"""A line of handwriting -> one picture per digit, left to right.

1. Connected components of the ink mask (`scipy.ndimage.label`, 8-connected).
2. Merge the pieces of one digit: a 5's detached top bar or a 4 drawn in two
   strokes overlap horizontally; a small piece joins its nearest neighbour.
   Groups that nearly touch are offered to step 3 both joined and apart.
3. Split touching digits: a blob much wider than a digit is tall is cut into
   k parts along least-ink paths that bend round the strokes (dynamic
   programming, not straight columns, since touching digits overlap), each
   cut once supple and once stiff; a blob at least `LATTICE_FROM` digits
   wide is also cut at many places, and the best reading through those cuts
   for each count of digits joins the candidates (`lattice.py`). The
   classifier picks among the candidates (the one whose parts it reads most
   confidently and that look most like digits, with priors from the width),
   because a "0" and a touching "11" can have the same width.
4. Each piece goes through the single-digit recipe (`frame_digit`).
5. A second network, which reads the line without cutting it, checks the
   reading and may overrule it (line_check.py).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from digitlab.data.decode import load_grey
from digitlab.preprocess.ink import find_ink
from digitlab.preprocess.pipeline import no_digit_reason
from digitlab.read import lattice
from digitlab.read.box import Box
from digitlab.read.cuts import bands, cut_each
from digitlab.read.line_check import second_opinion
from digitlab.read.part_scores import ONE_WIDTH, PartScores, digit_input

# Lengths are shares of the line's height (the median height of its ink groups). Where each
# number came from: "grid" = chosen on 200 synthetic lines (seeds 1-2), "grid-600" on 600
# (seeds 1-4), "A/B" = kept after an A/B on seeds 3-4, "prior" = set by hand from what
# handwriting looks like and not tuned. BENCHMARKS.md ("Reading whole numbers") reports other seeds.
DIGIT_ASPECT = 0.6  # prior: a typical handwritten digit's width / height
SPLIT_FROM = 0.6  # grid (0.75 on MNIST lines), then 0.6 on scan lines (seeds 1-3): a "14" or "91" of
# USPS-shaped digits, a narrow first digit against a "1", is only 0.7 of the height wide
WIDTH_PRIOR = 1.0  # grid: log-probability penalty per digit of difference from the width's guess
SPLIT_COST = 0.5  # grid: log-probability penalty per cut (half a digit still reads as some digit)
MIN_PART_HEIGHT = 0.55  # prior: a part of a split spans at least this much of the height
JOIN_GAP = 0.1  # prior: groups closer than this may be one broken digit
SHORT_JOIN_GAP = 0.3  # prior: ...or this, when one of them is shorter than MIN_PART_HEIGHT
JOIN_WIDTH = 1.2  # prior: ...when together they are no wider than this
CUT_BENDS = (0.05, 0.5)  # A/B: cost per diagonal step of a cut path, a supple one and a stiff one
SPECK_HEIGHT = 0.3  # prior: groups shorter than this are dots, dashes and specks, not digits
STACKED = 0.5  # prior: pieces overlapping this much of the narrower one's width are one digit's strokes
SMALL_PIECE = 0.45  # prior: a piece shorter than this...
SMALL_GAP = 0.15  # prior: ...this close to its neighbour...
SMALL_UNION = 1.0  # prior: ...whose union is no wider than this, joins it
ONE_WIDE = (0.35, 0.75)  # prior: blob widths that look like one digit that is not a 1
MAX_DIGITS_IN_BLOB = 8  # prior: the most touching digits one blob is cut into
LATTICE_FROM = 1.5  # prior: blobs at least this many digits wide are also cut by the lattice (lattice.py)
LATTICE_EXTRA_CUTS = 0.6  # grid (0, 0.6), scan, photo and MNIST lines of seeds 1-3: a lattice route pays
# for this many more cuts, being the best of many readings (a wide "0" read as "67" by 0.01 without it)


@dataclass
class Reading:
    """A number read from a picture: `text` and one `Prediction` (with `.box`) per digit."""

    text: str
    digits: list
    warnings: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"text": self.text, "digits": [d.to_dict() for d in self.digits],
                "warnings": list(self.warnings)}

    def _repr_html_(self) -> str:  # a notebook shows the number and each digit with its box
        from digitlab.read.display import reading_html

        return reading_html(self)


def read_line(reader, image, line_model: bool = True) -> Reading:
    """Read every digit in `image` with `reader` (a `digitlab.read.reader.Reader`).

    `line_model`: let the line model overrule the cuts when it finds their reading unlikely (line_check.py).
    """
    grey = load_grey(image)
    ink = find_ink(grey, shortest=1)  # a line keeps its size: the cuts were tuned on lines 16-48 px tall
    reason = no_digit_reason(ink)
    if reason:
        return Reading("", [], [reason])
    groups = merge_pieces(components(ink.mask))
    height = float(np.median([g.height for g in groups]))
    groups = [g for g in groups if g.height >= SPECK_HEIGHT * height]
    digit_width = typical_width(groups, height)
    pieces = []
    for group, parts in join_close(groups, height):
        pieces.extend(split_group(reader, ink, group, height, digit_width, parts))
    inputs = [digit_input(reader, ink, piece) for piece in pieces]
    boxes = [piece.original(ink.scale, grey.shape) for piece in pieces]
    digits = reader.predict_inputs(inputs, boxes=boxes) if inputs else []
    if line_model:
        digits = second_opinion(reader, ink, grey.shape, groups, digits) or digits
    warnings = [unsure_warning(i, len(digits), d) for i, d in enumerate(digits) if d.status == "unsure"]
    return Reading("".join(str(d.digit) for d in digits), digits, warnings)


def unsure_warning(index: int, n: int, digit) -> str:
    """'digit 3 of 4, read as 1, is unsure: <why>': which place in the number, and the reason when known."""
    why = f": {digit.warnings[-1]}" if digit.warnings else ""
    return f"digit {index + 1} of {n}, read as {digit.digit}, is unsure{why}"


def components(mask: np.ndarray) -> list[Box]:
    """One box per connected component of `mask` (H, W), 8-connected."""
    labels, _ = ndimage.label(mask, structure=np.ones((3, 3)))
    return [Box(cols.start, rows.start, cols.stop, rows.stop, labels == index)
            for index, (rows, cols) in enumerate(ndimage.find_objects(labels), start=1)]


def merge_pieces(boxes: list[Box]) -> list[Box]:
    """Join components that belong to one digit; return groups sorted left to right."""
    groups = sorted(boxes, key=lambda b: b.x0)
    changed = True
    while changed and len(groups) > 1:
        changed = False
        height = float(np.median([b.height for b in groups]))
        for i in range(len(groups) - 1):
            a, b = groups[i], groups[i + 1]
            if _belong_together(a, b, height):
                groups[i: i + 2] = [a.union(b)]
                changed = True
                break
    return groups


def _belong_together(a: Box, b: Box, height: float) -> bool:
    overlap = min(a.x1, b.x1) - max(a.x0, b.x0)
    if overlap >= STACKED * min(a.width, b.width):  # one above the other: strokes of one digit
        return True
    small = min(a.height, b.height) < SMALL_PIECE * height
    return small and b.x0 - a.x1 < SMALL_GAP * height and a.union_width(b) < SMALL_UNION * height


def typical_width(groups: list[Box], height: float) -> float:
    """The line's usual digit width: the median of blobs shaped like one digit (not a 1).

    With fewer than three such blobs the median says little (in "13" written
    touching, the only blob is both digits), so a typical aspect is used.
    """
    lo, hi = ONE_WIDE
    widths = [g.width for g in groups if lo * height <= g.width < hi * height]
    return float(np.median(widths)) if len(widths) >= 3 else DIGIT_ASPECT * height


def join_close(groups, height: float) -> list[tuple]:
    """(group, parts) for each run of groups closer than `JOIN_GAP`: the union and its pieces.

    A stroke broken beside its digit (a 4's stem drawn apart from its arm)
    sits as close to it as two neighbouring digits may; `split_group` lets the
    classifier choose between the union and the pieces. `parts` is None for a
    group that stands alone.
    """
    out = []
    for group in groups:
        last = out[-1][0] if out else None
        # a piece too short to be a digit on its own reaches further for its digit
        short = last is not None and min(last.height, group.height) < MIN_PART_HEIGHT * height
        if last is not None and group.x0 - last.x1 < (SHORT_JOIN_GAP if short else JOIN_GAP) * height and \
                last.union_width(group) < JOIN_WIDTH * height:
            joined, parts = out[-1]
            out[-1] = (joined.union(group), (parts or [joined]) + [group])
        else:
            out.append((group, None))
    return out


def split_group(reader, ink, group: Box, height: float, digit_width: float, parts=None) -> list[Box]:
    """`group` itself, or its parts when it is several touching digits.

    Each candidate split (k parts, cut along curved paths) is scored by how
    confidently the model reads the parts (sum of log-probabilities, plus
    log digit-likeness), minus a penalty for straying from the count the
    width suggests and a cost per cut (none for `parts`: pieces with a gap
    between them are not cut, so no half digit is made). Every part must reach most of the
    line's height: digits in one number are about equally tall, while half
    of a slanted "1" or a 5's detached bar is not.
    """
    width, scores = group.width, PartScores(reader, ink)
    candidates = [[group]] + ([parts] if parts and _tall_enough(parts, height) else [])
    cuts = [0] * len(candidates)
    if width < SPLIT_FROM * height:
        return candidates[0] if len(candidates) == 1 else _best(scores, candidates, width / digit_width, cuts)
    guess = width / digit_width
    seen = set()
    band_sets = [b for k in range(2, min(MAX_DIGITS_IN_BLOB, round(guess) + 1) + 1) for b in bands(width, k)]
    by_bend = [cut_each(group, band_sets, ink.ink, bend) for bend in CUT_BENDS]
    for cut in itertools.chain.from_iterable(zip(*by_bend)):  # k by k, each band set once supple, once stiff
        if len(cut) >= 2 and _tall_enough(cut, height) and _key(cut) not in seen:
            seen.add(_key(cut))
            candidates.append(cut)
            cuts.append(len(cut) - 1)
    max_k = min(MAX_DIGITS_IN_BLOB, round(guess) + 1)
    # the lattice reads dozens of spans: only those that may lead to a route beating the best so far
    floor = _totals(scores, candidates, guess, cuts).max() - _route_bound(guess, max_k) \
        if guess >= LATTICE_FROM else 0.0
    if floor < 0:
        for route in _lattice(scores, ink, group, height, max_k, floor):
            if _key(route) not in seen:
                seen.add(_key(route))
                candidates.append(route)
                cuts.append(len(route) - 1 + LATTICE_EXTRA_CUTS)
    return _best(scores, candidates, guess, cuts)


def _key(parts: list[Box]) -> tuple:
    """What tells two candidate splits apart: each part's bounds and ink."""
    return tuple((p.x0, p.y0, p.x1, p.y1, int(p.own.sum())) for p in parts)


def _lattice(scores: PartScores, ink, group: Box, height: float, max_k: int, floor: float) -> list[list[Box]]:
    """For each count of parts, the split through the blob's many candidate cuts that reads best
    (`digitlab.read.lattice`): the cuts that even bands miss, as around a narrow "1". Routes whose
    parts sum to `floor` or less are not followed (`lattice.best_readings`)."""
    paths = lattice.cut_paths(group, ink.ink, height, CUT_BENDS)
    spans = lattice.segments(group, paths, height, MIN_PART_HEIGHT)
    if not spans:
        return []
    routes = lattice.best_readings(list(spans), lambda some: scores([spans[s] for s in some])[0], len(paths),
                                   max_k, floor)
    return [[spans[span] for span in itertools.pairwise(route)] for route in routes.values()]


def _tall_enough(pieces: list[Box], height: float) -> bool:
    return all(p.height >= MIN_PART_HEIGHT * height for p in pieces)


def _best(scores: PartScores, candidates: list[list[Box]], guess: float, cuts: list[float]) -> list[Box]:
    """The candidate split that reads best, with priors on the width and per cut.

    `guess` is the group's width in typical digit widths; a candidate's
    parts should fill it, a "1" counting as `ONE_WIDTH` of a digit.
    `cuts[i]` is how many cuts made candidate i (a lattice route's count
    includes `LATTICE_EXTRA_CUTS`). Separate pieces offered
    whole cost nothing: on 600 scan lines (seeds 1-3) charging them as cuts
    lost "11" and "1127" written with gaps to a bold "1" (88.7% -> 89.5% right,
    MNIST lines unchanged).
    """
    return candidates[int(np.argmax(_totals(scores, candidates, guess, cuts)))]


def _totals(scores: PartScores, candidates: list[list[Box]], guess: float, cuts: list[float]) -> np.ndarray:
    """Each candidate's total (n,): its parts' scores, less the width prior and the cost of its cuts."""
    per_part, widths = scores([p for parts in candidates for p in parts])
    owner = np.repeat(np.arange(len(candidates)), [len(c) for c in candidates])  # candidate of each part
    total = np.bincount(owner, weights=per_part, minlength=len(candidates))
    width = np.bincount(owner, weights=widths, minlength=len(candidates))
    return total - WIDTH_PRIOR * np.abs(width - guess) - SPLIT_COST * np.asarray(cuts)


def _route_bound(guess: float, max_k: int) -> float:
    """The highest total a lattice route of 2..max_k parts could reach: every part scoring 0 (the most
    a log-probability can), its width as near `guess` as some of its parts being 1s allows."""
    def width_gap(k):
        return min(abs(k - ones * (1 - ONE_WIDTH) - guess) for ones in range(k + 1))
    return max(-SPLIT_COST * (k - 1 + LATTICE_EXTRA_CUTS) - WIDTH_PRIOR * width_gap(k) for k in range(2, max_k + 1))
