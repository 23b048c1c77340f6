"""Inputs that are not one whole digit: what the digit-likeness detectors learn to refuse.

Pieces of a digit, and two digits framed as one (side by side, or written ink
to ink as in a line whose digits touch). Each takes MNIST uint8 (28, 28)
digits and a `np.random.Generator` and returns a framed 28x28 uint8 input.
`benchmarks/reading_digitness.py` trains the detectors on them.
"""

from __future__ import annotations

import numpy as np

from digitlab.preprocess.frame import frame_digit


def fragment(digit: np.ndarray, rng) -> np.ndarray | None:
    """The part of an MNIST digit on one side of a random line through its middle, reframed."""
    ys, xs = np.mgrid[:28, :28]
    angle = rng.uniform(0, 2 * np.pi)
    side = (xs - 14 - rng.normal(0, 3)) * np.cos(angle) + (ys - 14 - rng.normal(0, 3)) * np.sin(angle) > 0
    part = np.where(side, digit, 0).astype(np.float32) / 255.0
    share = part.sum() / max(digit.sum() / 255.0, 1e-6)
    rows, cols = np.nonzero(part > 0.2)
    if not 0.25 <= share <= 0.7 or np.ptp(cols) < 0.45 * np.ptp(rows):
        return None  # a thin upright sliver is a fair "1": not a negative
    return frame_digit(part, part > 0.2)


def pair(a: np.ndarray, b: np.ndarray, rng) -> np.ndarray:
    """Two MNIST digits side by side (gap -6..4 px), framed as one."""
    gap = int(rng.integers(-6, 5))
    canvas = np.zeros((28, 56 + gap), np.float32)
    canvas[:, :28] = a / 255.0
    right = canvas[:, 28 + gap:]
    np.maximum(right, b / 255.0, out=right)
    return frame_digit(canvas, canvas > 0.2)


def touching_pair(a: np.ndarray, b: np.ndarray, rng) -> np.ndarray:
    """Two MNIST digits written ink to ink, overlapping a little to a small gap, framed as one.

    What a line's touching digits look like before they are cut: the reader
    must not take "41" or "99" for one wide digit. The gap is measured from
    ink to ink (-3..2 px at MNIST's 20 px digit height), not between the 28 px
    frames, whose margins would keep a narrow "1" far from its neighbour.
    """
    a, b = (x[:, np.nonzero(x.max(axis=0) > 50)[0]] for x in (a, b))  # columns with ink
    gap = int(rng.integers(-3, 3))
    canvas = np.zeros((28, a.shape[1] + b.shape[1] + gap), np.float32)
    canvas[:, : a.shape[1]] = a / 255.0
    right = canvas[:, a.shape[1] + gap:]
    np.maximum(right, b / 255.0, out=right)
    return frame_digit(canvas, canvas > 0.2)
