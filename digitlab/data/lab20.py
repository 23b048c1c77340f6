"""`mnist-lab20`: the 5000-image, 20x20 MNIST subset of the learners' TensorFlow lab.

The lab trains on 5,000 MNIST digits, 500 of each, shrunk to 20x20 pixels
(400 features). We rebuild it from MNIST itself: 500 images per digit drawn
from the MNIST train split with a seeded random choice, and, for scoring
(which the lab never does), the whole 10,000-image MNIST test split shrunk
the same way.

Shrinking is area averaging: each output pixel is the mean of the 1.4 x 1.4
input pixels it covers, so ink is neither lost nor invented (no ringing).
"""

from __future__ import annotations

import numpy as np

from digitlab.data.dataset import Dataset, Split

NAME = "mnist-lab20"
SIDE = 20
PER_CLASS = 500


def load_lab20(data_dir=None, download: bool = True, seed: int = 0) -> Dataset:
    """The lab's 5000 x 20x20 train split (500 per digit, seeded) and MNIST's test split at 20x20."""
    from digitlab.data import load_dataset

    mnist = load_dataset("mnist", data_dir=data_dir, download=download)
    index = per_class_sample(mnist.train.labels, PER_CLASS, seed)
    train = Split(shrink(mnist.train.images[index]), mnist.train.labels[index])
    test = Split(shrink(mnist.test.images), mnist.test.labels)
    return Dataset(NAME, train, test)


def per_class_sample(labels: np.ndarray, per_class: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of exactly `per_class` examples of every class, chosen at random (seeded)."""
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(labels == c), size=per_class, replace=False)
              for c in np.unique(labels)]
    return np.sort(np.concatenate(chosen))


def shrink(images: np.ndarray, side: int = SIDE) -> np.ndarray:
    """uint8 (n, H, W) -> uint8 (n, side, side) by area averaging."""
    rows = area_matrix(images.shape[1], side)  # (side, H)
    cols = area_matrix(images.shape[2], side)  # (side, W)
    out = rows @ images.astype(np.float32) @ cols.T  # (side, H) @ (n, H, W) @ (W, side) -> (n, side, side)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in): the share of input pixel j inside output pixel i; each row sums to 1."""
    scale = n_in / n_out
    edges_out = np.arange(n_out + 1) * scale  # output pixel i covers [edges_out[i], edges_out[i+1])
    lo = np.maximum(edges_out[:-1, None], np.arange(n_in)[None, :])
    hi = np.minimum(edges_out[1:, None], np.arange(n_in)[None, :] + 1)
    return (np.clip(hi - lo, 0, None) / scale).astype(np.float32)
