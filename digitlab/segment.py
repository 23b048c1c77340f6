"""A line of handwriting -> one picture per digit, left to right.

1. Connected components of the ink mask (`scipy.ndimage.label`, 8-connected).
2. Merge the pieces of one digit: a 5's detached top bar or a 4 drawn in two
   strokes overlap horizontally; a small piece joins its nearest neighbour.
3. Split touching digits: a blob much wider than a digit is tall is cut into
   k parts at the emptiest columns near w/k, 2w/k...; the classifier picks k
   (the cut whose pieces it reads most confidently, with a prior from the
   width), because a "0" and a touching "11" can have the same width.
4. Each piece goes through the single-digit recipe (`frame_digit`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from digitlab.preprocess.decode import load_grey
from digitlab.preprocess.digitness import digitness
from digitlab.preprocess.frame import frame_digit
from digitlab.preprocess.ink import find_ink
from digitlab.preprocess.pipeline import no_digit_reason

DIGIT_ASPECT = 0.6  # a typical handwritten digit's width / height
SPLIT_FROM = 0.95  # consider splitting blobs at least this wide relative to the line height
WIDTH_PRIOR = 1.5  # log-probability penalty per digit of difference from the width's guess
SPLIT_COST = 1.5  # log-probability penalty per cut: half a digit still reads as some digit
# WIDTH_PRIOR and SPLIT_COST were chosen on 100 synthetic lines (seed 1) from a small grid;
# BENCHMARKS.md ("Reading") reports other lines (seed 0).


@dataclass
class Reading:
    """A number read from a picture: `text` and one `Prediction` (with `.box`) per digit."""

    text: str
    digits: list
    warnings: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"text": self.text, "digits": [d.to_dict() for d in self.digits],
                "warnings": list(self.warnings)}


def read_line(reader, image) -> Reading:
    """Read every digit in `image` with `reader` (a `digitlab.predict.Reader`)."""
    grey = load_grey(image)
    ink = find_ink(grey)
    reason = no_digit_reason(ink)
    if reason:
        return Reading("", [], [reason])
    groups = merge_pieces(components(ink.mask))
    height = float(np.median([g[3] - g[1] for g in groups]))
    groups = [g for g in groups if (g[3] - g[1]) >= 0.3 * height]  # dots, dashes, specks
    digit_width = typical_width(groups, height)
    pieces = []
    for group in groups:
        pieces.extend(split_group(reader, ink, group, height, digit_width))
    inputs = [digit_input(reader, ink, piece) for piece in pieces]
    boxes = [_original_box(piece, ink.scale, grey.shape) for piece in pieces]
    digits = reader.predict_inputs(inputs, boxes=boxes) if inputs else []
    warnings = [f"digit {i + 1} ({d.digit}) is unsure" for i, d in enumerate(digits) if d.status == "unsure"]
    return Reading("".join(str(d.digit) for d in digits), digits, warnings)


# -- boxes are (x0, y0, x1, y1) at working scale, x1/y1 exclusive, plus a label set ---------

def components(mask: np.ndarray) -> list[tuple]:
    """One (x0, y0, x1, y1, labels_image, {label}) per connected component."""
    labels, _ = ndimage.label(mask, structure=np.ones((3, 3)))
    out = []
    for index, found in enumerate(ndimage.find_objects(labels), start=1):
        if found is not None:
            rows, cols = found
            out.append((cols.start, rows.start, cols.stop, rows.stop, labels, frozenset([index])))
    return out


def merge_pieces(boxes: list[tuple]) -> list[tuple]:
    """Join components that belong to one digit; return groups sorted left to right."""
    groups = sorted(boxes, key=lambda b: b[0])
    changed = True
    while changed and len(groups) > 1:
        changed = False
        height = float(np.median([b[3] - b[1] for b in groups]))
        for i in range(len(groups) - 1):
            a, b = groups[i], groups[i + 1]
            if _belong_together(a, b, height):
                groups[i: i + 2] = [_union(a, b)]
                changed = True
                break
    return groups


def _belong_together(a, b, height: float) -> bool:
    overlap = min(a[2], b[2]) - max(a[0], b[0])
    narrower = min(a[2] - a[0], b[2] - b[0])
    if overlap >= 0.5 * narrower:  # one above the other: strokes of one digit
        return True
    small = min(a[3] - a[1], b[3] - b[1]) < 0.45 * height
    gap = b[0] - a[2]
    return small and gap < 0.15 * height and _union_width(a, b) < 1.0 * height


def _union(a, b):
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]), a[4], a[5] | b[5])


def _union_width(a, b) -> int:
    return max(a[2], b[2]) - min(a[0], b[0])


def group_mask(group) -> np.ndarray:
    """bool mask of a group's own components, cropped to its box: (y1-y0, x1-x0)."""
    x0, y0, x1, y1, labels, members = group
    return np.isin(labels[y0:y1, x0:x1], list(members))


def typical_width(groups, height: float) -> float:
    """The line's usual digit width: the median of blobs shaped like one digit (not a 1)."""
    widths = [g[2] - g[0] for g in groups if 0.35 * height <= g[2] - g[0] < SPLIT_FROM * height]
    return float(np.median(widths)) if widths else DIGIT_ASPECT * height


def split_group(reader, ink, group, height: float, digit_width: float) -> list[tuple]:
    """`group` itself, or its parts when it is several touching digits.

    Each candidate count k is scored by how confidently the model reads the
    parts (sum of log-probabilities), minus a penalty for straying from the
    count the width suggests and a cost per cut.
    """
    width = group[2] - group[0]
    if width < SPLIT_FROM * height:
        return [group]
    mask = group_mask(group)
    guess = width / digit_width
    best, best_score = [group], _score(reader, ink, [group]) - WIDTH_PRIOR * abs(1 - guess)
    for k in range(2, min(8, round(guess) + 1) + 1):
        parts = _cut(group, mask, k)
        if len(parts) != k:
            continue
        score = _score(reader, ink, parts) - WIDTH_PRIOR * abs(k - guess) - SPLIT_COST * (k - 1)
        if score > best_score:
            best, best_score = parts, score
    return best


def _cut(group, mask: np.ndarray, k: int) -> list[tuple]:
    """Cut into k parts at the columns with least ink near each j*w/k."""
    x0, y0, x1, y1, labels, _ = group
    width = x1 - x0
    profile = ndimage.uniform_filter1d(mask.sum(axis=0).astype(float), size=3)
    cuts, window = [0], max(1, int(0.3 * width / k))
    for j in range(1, k):
        centre = round(j * width / k)
        lo, hi = max(cuts[-1] + 1, centre - window), min(width - 1, centre + window)
        if lo >= hi:
            return []
        cuts.append(lo + np.argmin(profile[lo:hi]).item())
    cuts.append(width)
    parts = []
    for left, right in itertools.pairwise(cuts):
        part = mask[:, left:right]
        rows = np.nonzero(part.any(axis=1))[0]
        if len(rows) == 0:
            return []
        piece_mask = np.zeros_like(labels, dtype=bool)
        piece_mask[y0:y1, x0 + left: x0 + right] = part
        parts.append((x0 + left, y0 + int(rows[0]), x0 + right, y0 + int(rows[-1]) + 1,
                      piece_mask, None))
    return parts


def _score(reader, ink, parts) -> float:
    """How well the parts read as digits: sum of log max-probability, plus log digit-likeness.

    Half a "0" can read as a confident "6"; it does not look like a
    handwritten digit, which is what the digit-likeness term catches.
    """
    inputs = np.stack([digit_input(reader, ink, p) for p in parts])
    proba = reader.calibration.apply(reader.raw_proba(inputs))
    score = np.log(np.clip(proba.max(axis=1), 1e-12, None)).sum()
    looks_like = digitness(inputs) if reader.check_digitness else None
    if looks_like is not None:
        score += np.log(np.clip(looks_like, 1e-6, None)).sum()
    return float(score)


def digit_input(reader, ink, piece) -> np.ndarray:
    """The model input for one piece: its own ink only, framed like MNIST."""
    x0, y0, x1, y1, labels, members = piece
    own = labels[y0:y1, x0:x1] if members is None else np.isin(labels[y0:y1, x0:x1], list(members))
    # the crop stops at the piece's box, so a cut piece never reaches into its neighbour
    near = ndimage.binary_dilation(own, iterations=2)
    return frame_digit(ink.ink[y0:y1, x0:x1] * near, own, reader.shape, deskew=reader.deskew)


def _original_box(piece, scale: float, shape) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = piece[:4]
    return (int(x0 * scale), int(y0 * scale), min(shape[1], int(np.ceil(x1 * scale))),
            min(shape[0], int(np.ceil(y1 * scale))))
