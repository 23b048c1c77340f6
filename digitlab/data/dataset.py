"""The one data contract every loader returns.

A `Split` is images uint8 `(n, H, W)`, white ink on black, with labels int64
`(n,)` (or None for unlabelled data such as Kaggle's test.csv). A `Dataset` is a
name plus its official train and test splits. Models never see this: they take
features made by `to_features`, the single place where pixels become floats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitlab.errors import DigitlabError


@dataclass(frozen=True)
class Split:
    images: np.ndarray  # uint8 (n, H, W)
    labels: np.ndarray | None  # int64 (n,), None when unlabelled

    def __post_init__(self):
        check_images(self.images)
        if self.labels is not None:
            check_labels(self.labels, len(self.images))

    def __len__(self) -> int:
        return len(self.images)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.images.shape[1:])

    def subset(self, index) -> Split:
        labels = None if self.labels is None else self.labels[index]
        return Split(self.images[index], labels)


@dataclass(frozen=True)
class Dataset:
    name: str
    train: Split
    test: Split | None = None

    @property
    def image_shape(self) -> tuple[int, int]:
        return self.train.shape

    @property
    def classes(self) -> np.ndarray:
        """The labels seen in the train split (empty when it is unlabelled)."""
        return np.unique(self.train.labels) if self.train.labels is not None else np.array([], np.int64)


def check_images(images: np.ndarray) -> None:
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 3:
        raise DigitlabError(
            f"images must be a uint8 array of shape (n, H, W), got "
            f"{getattr(images, 'dtype', type(images).__name__)} {getattr(images, 'shape', '')}"
        )


def check_labels(labels: np.ndarray, n: int) -> None:
    if labels.dtype != np.int64 or labels.shape != (n,):
        raise DigitlabError(f"labels must be int64 of shape ({n},), got {labels.dtype} {labels.shape}")


def to_features(images: np.ndarray) -> np.ndarray:
    """uint8 (n, H, W) -> float32 (n, H*W) in [0, 1], the input of every model."""
    images = np.asarray(images)
    return (images.reshape(len(images), -1).astype(np.float32)) / np.float32(255.0)


def stratified_subsample(split: Split, n: int, seed: int = 0) -> Split:
    """At most `n` examples, the same share of each class as the whole split (every class at least once)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise DigitlabError(f"a subsample is a whole number of images, 1 or more; got {n!r}")
    if n >= len(split):
        return split
    n_classes = len(np.unique(split.labels)) if split.labels is not None else 0
    if n < n_classes:
        raise DigitlabError(f"a subsample of {n} images cannot hold one of each of the {n_classes} "
                            f"classes; use {n_classes} or more")
    from sklearn.model_selection import train_test_split

    index, _ = train_test_split(
        np.arange(len(split)), train_size=n, stratify=split.labels, random_state=seed
    )
    return split.subset(np.sort(index))
