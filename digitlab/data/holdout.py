"""A fixed test split for data that comes without one (Kaggle CSV, image folders, .npz).

We hold out one sixth of the examples (MNIST's own ratio is 1/7; 1/6 keeps a
few more for testing small folders), stratified by class and seeded, so the
same file gives the same split on every machine and every run. Classes too
small to stratify (fewer than two examples) fall back to a seeded shuffle.
"""

from __future__ import annotations

import numpy as np

from digitlab.data.dataset import Dataset, Split

TEST_FRACTION = 1 / 6
SEED = 0


def holdout_split(
    name: str,
    images: np.ndarray,
    labels: np.ndarray | None,
    test_fraction: float = TEST_FRACTION,
    seed: int = SEED,
) -> Dataset:
    """Split uint8 images (n, H, W) and int64 labels (n,) into train and test.

    Unlabelled data (labels None) or a single example has nothing to hold out:
    everything goes to train and `test` is None.
    """
    n = len(images)
    if labels is None or n < 2:
        return Dataset(name, Split(images, labels), None)
    n_test = min(n - 1, max(1, round(n * test_fraction)))
    train, test = _split_index(labels, n_test, seed)
    return Dataset(name, Split(images[train], labels[train]), Split(images[test], labels[test]))


def _split_index(labels: np.ndarray, n_test: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted train and test indices; stratified when every class can give one to each side."""
    from sklearn.model_selection import train_test_split

    counts = np.unique(labels, return_counts=True)[1]
    n = len(labels)
    stratify = labels if counts.min() >= 2 and len(counts) <= min(n_test, n - n_test) else None
    train, test = train_test_split(
        np.arange(n), test_size=n_test, stratify=stratify, random_state=seed
    )
    return np.sort(train), np.sort(test)
