"""The connected blobs of a mask, kept by their size beside the largest one.

    large_blobs(mask, 0.02)        # drop specks: blobs under 2% of the largest
    large_blobs(light, 1.0, CROSS) # the largest region alone (4-connected)
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

EIGHT = np.ones((3, 3), bool)  # diagonal neighbours touch: a thin pen stroke's pixels
CROSS = ndimage.generate_binary_structure(2, 1)  # edge neighbours only: regions, not strokes


def large_blobs(mask: np.ndarray, share: float, structure: np.ndarray = EIGHT, at_least: int = 1) -> np.ndarray:
    """bool (h, w): the blobs of `mask` of at least `share` of the largest blob's size and `at_least`
    pixels; `mask` itself when it holds fewer than two blobs."""
    labels, count = ndimage.label(mask, structure=structure)
    if count <= 1:
        return mask
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0  # the background is no blob
    return (sizes >= max(at_least, share * sizes.max()))[labels]
