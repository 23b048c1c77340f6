"""Digit datasets stored as one numpy `.npz` file.

Arrays: `images` (n, H, W) and `labels` (n,), optionally `test_images` and
`test_labels` for an official test split; without them we hold out one sixth
(see `holdout.py`). Read with `allow_pickle=False`: an `.npz` can carry pickled
objects, and loading those would run code from the file.

Images may be uint8, other integers 0-255, or floats in [0, 1] (as many
tutorials store them; scaled by 255 and rounded); (n, H*W) with a square H*W
and (n, H, W, 1) are reshaped to (n, H, W). Labels are whole numbers 0-9.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from digitlab.data.arrayfile import read_npz
from digitlab.data.dataset import Dataset, Split
from digitlab.data.holdout import holdout_split
from digitlab.errors import DigitlabError


def load_npz_dataset(path) -> Dataset:
    """Load and validate an `.npz` dataset file, named after the file."""
    path = Path(path)
    arrays = _read_arrays(path)
    if "images" not in arrays or "labels" not in arrays:
        raise DigitlabError(
            f"{path}: needs arrays 'images' and 'labels', found "
            f"{', '.join(sorted(arrays)) or 'none'}"
        )
    has_test = ("test_images" in arrays, "test_labels" in arrays)
    if any(has_test) and not all(has_test):
        raise DigitlabError(f"{path}: has one of 'test_images' and 'test_labels' but not the other")
    images = _images(path, "images", arrays["images"])
    labels = _labels(path, "labels", arrays["labels"], len(images))
    if not all(has_test):
        return holdout_split(path.stem, images, labels)
    test_images = _images(path, "test_images", arrays["test_images"])
    test_labels = _labels(path, "test_labels", arrays["test_labels"], len(test_images))
    if test_images.shape[1:] != images.shape[1:]:
        raise DigitlabError(
            f"{path}: test_images are {test_images.shape[1:]} but images are {images.shape[1:]}"
        )
    return Dataset(path.stem, Split(images, labels), Split(test_images, test_labels))


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    arrays = read_npz(path)
    for key in ("images", "labels", "test_images", "test_labels"):
        if key in arrays and arrays[key].dtype.kind not in "biuf":
            raise DigitlabError(f"{path}: '{key}' has dtype {arrays[key].dtype}, expected numbers")
    return arrays


def _images(path: Path, key: str, images: np.ndarray) -> np.ndarray:
    """uint8 (n, H, W) from any of the accepted layouts and value ranges."""
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim == 2 and math.isqrt(images.shape[1]) ** 2 == images.shape[1] > 0:
        side = math.isqrt(images.shape[1])
        images = images.reshape(len(images), side, side)
    if images.ndim != 3 or 0 in images.shape:
        raise DigitlabError(
            f"{path}: '{key}' has shape {images.shape}, expected (n, H, W) "
            "or (n, H*W) with a square H*W"
        )
    if images.dtype == np.uint8:
        return images
    if images.dtype.kind in "iu":
        if images.min() < 0 or images.max() > 255:
            raise DigitlabError(
                f"{path}: '{key}' values run {images.min()}..{images.max()}, expected 0-255"
            )
        return images.astype(np.uint8)
    if images.dtype.kind == "f":
        if not np.isfinite(images).all() or images.min() < 0 or images.max() > 1:
            raise DigitlabError(
                f"{path}: '{key}' is {images.dtype} with values outside [0, 1]; "
                "store uint8 0-255 or floats in [0, 1]"
            )
        return np.round(images * 255).astype(np.uint8)
    raise DigitlabError(f"{path}: '{key}' has dtype {images.dtype}, expected uint8 pixels")


def _labels(path: Path, key: str, labels: np.ndarray, n: int) -> np.ndarray:
    """int64 (n,) digits 0-9."""
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.shape != (n,):
        raise DigitlabError(
            f"{path}: '{key}' has shape {labels.shape}, expected ({n},) to match the images"
        )
    if (
        labels.dtype.kind == "f"
        and np.isfinite(labels).all()
        and (labels == np.round(labels)).all()
    ):
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "iu":
        raise DigitlabError(f"{path}: '{key}' has dtype {labels.dtype}, expected whole numbers 0-9")
    if n and (labels.min() < 0 or labels.max() > 9):
        raise DigitlabError(
            f"{path}: '{key}' values run {labels.min()}..{labels.max()}, expected digits 0-9"
        )
    return labels.astype(np.int64)
