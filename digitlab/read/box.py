"""A piece of ink on a line of handwriting: where it is, and which pixels are its own."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Box:
    """A piece of ink at working scale: its bounds (x1, y1 exclusive) and which pixels are its own.

    `own` is bool over the whole working image (H, W), so the pieces of one
    digit join by `|`, and a piece cut out of a blob keeps only its side.
    """

    x0: int
    y0: int
    x1: int
    y1: int
    own: np.ndarray

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def crop(self, image: np.ndarray) -> np.ndarray:
        """`image` (H, W) inside the box: (height, width)."""
        return image[self.y0:self.y1, self.x0:self.x1]

    def original(self, scale: float, shape) -> tuple[int, int, int, int]:
        """The bounds in the original picture's pixels (x0, y0, x1, y1), clipped to its `shape` (H, W)."""
        return (int(self.x0 * scale), int(self.y0 * scale), min(shape[1], int(np.ceil(self.x1 * scale))),
                min(shape[0], int(np.ceil(self.y1 * scale))))

    def union(self, other: Box) -> Box:
        return Box(min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1),
                   max(self.y1, other.y1), self.own | other.own)

    def union_width(self, other: Box) -> int:
        return max(self.x1, other.x1) - min(self.x0, other.x0)
