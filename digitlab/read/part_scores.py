"""How well a piece of a line reads as one digit: the score that picks among candidate splits.

A blob's candidate splits share pieces (the lattice's best route is made of
spans it has already read, and an even cut often finds the same piece), so
`PartScores` reads each distinct piece once.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from digitlab.preprocess.frame import frame_digit
from digitlab.read.box import Box
from digitlab.read.digitness import ONE_DIGIT, digitness

ONE_WIDTH = 0.5  # grid: a "1" is about half as wide as other digits
LIKENESS_WEIGHT = 0.25  # grid-600: weight of log digit-likeness beside the model's (0.2-0.3 read best)


def digit_input(reader, ink, piece: Box) -> np.ndarray:
    """The model input for one piece: its own ink only, framed like MNIST."""
    own = piece.crop(piece.own)
    # the crop stops at the piece's box, so a cut piece never reaches into its neighbour
    near = ndimage.binary_dilation(own, iterations=2)
    return frame_digit(piece.crop(ink.ink) * near, own, reader.shape, deskew=reader.deskew)


class PartScores:
    """score(parts) -> (score, width): each piece's log max-probability plus weighted log
    digit-likeness (n,), and its width in typical digits (n,), a "1" counting `ONE_WIDTH`.

    The model's own probabilities, not the calibrated ones: a temperature
    below 1 (the default CNN's is 0.43) pushes nearly every part to 1.00
    and hides how much better one cut reads than another. Half a "0" can
    read as a confident "6"; it does not look like a handwritten digit,
    which is what the digit-likeness term catches. It asks the one-digit
    detector (`ONE_DIGIT`), trained on touching pairs too, because a "4"
    with a "1" touching it also reads as a confident "4" (on 600 check
    lines, seeds 10-12: 95.2% -> 96.3% of numbers right, "too few digits"
    16 -> 7).
    """

    def __init__(self, reader, ink):
        self.reader, self.ink = reader, ink
        self._known: dict[tuple, tuple[float, float]] = {}  # piece key -> (score, width)

    def __call__(self, parts: list[Box]) -> tuple[np.ndarray, np.ndarray]:
        keys = [_key(p) for p in parts]
        new = {key: part for key, part in zip(keys, parts) if key not in self._known}  # each once, in order
        if new:
            self._known.update(zip(new, zip(*self._read(list(new.values())))))
        score, width = zip(*(self._known[key] for key in keys))
        return np.array(score), np.array(width)

    def _read(self, parts: list[Box]) -> tuple[np.ndarray, np.ndarray]:
        inputs = np.stack([digit_input(self.reader, self.ink, p) for p in parts])
        proba = self.reader.raw_proba(inputs)
        score = np.log(np.clip(proba.max(axis=1), 1e-12, None))
        looks_like = digitness(inputs, ONE_DIGIT) if self.reader.check_digitness else None
        if looks_like is not None:
            score += LIKENESS_WEIGHT * np.log(np.clip(looks_like, 1e-6, None))
        is_one = np.array(self.reader.classes)[proba.argmax(axis=1)] == 1
        return score, np.where(is_one, ONE_WIDTH, 1.0)


def _key(piece: Box) -> tuple:
    """A piece's bounds and its own pixels: equal keys, equal model inputs."""
    return piece.x0, piece.y0, piece.x1, piece.y1, np.packbits(piece.crop(piece.own)).tobytes()
