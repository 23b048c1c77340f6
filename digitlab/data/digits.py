"""scikit-learn's embedded 8x8 digits: 1,797 images, no download.

The images come as 0-16 grey levels; we scale them to 0-255 uint8 like every
other dataset. The set has no official split, so we fix one: a stratified 75/25
split with seed 0 (1,347 train, 450 test), the same on every machine.
"""

import numpy as np
from sklearn.datasets import load_digits as _sklearn_digits
from sklearn.model_selection import train_test_split

from digitlab.data.dataset import Dataset, Split


def load_digits() -> Dataset:
    bunch = _sklearn_digits()
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)
    labels = bunch.target.astype(np.int64)
    train, test = train_test_split(np.arange(len(labels)), test_size=0.25, stratify=labels,
                                   random_state=0)
    train, test = np.sort(train), np.sort(test)
    return Dataset("digits", Split(images[train], labels[train]), Split(images[test], labels[test]))
