"""A folder of digit pictures, one sub-folder per class::

    my_digits/0/a.png  my_digits/0/b.jpg  ...  my_digits/9/z.bmp

or, with an official split, `my_digits/train/0/...` and `my_digits/test/0/...`.
Without one we hold out a sixth (stratified, seed 0; see `holdout.py`).

Each picture becomes what every digit model expects: grey uint8, white ink on
black. It is decoded as `digitlab predict` decodes it (`decode.load_grey`:
EXIF, transparency, pixel cap); dark-on-light pictures (ink on paper) are
inverted, judged by the border, which is background in a digit picture. All images
get one size: kept when every picture has the same size, otherwise padded to
a square with background and resized to `size` x `size` (28 by default).
This is deliberately simple; the preprocess module has the full MNIST recipe.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digitlab.data.dataset import Dataset, Split
from digitlab.data.decode import MAX_PIXELS, load_grey
from digitlab.data.holdout import holdout_split
from digitlab.errors import DigitlabError

EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
DEFAULT_SIZE = 28
CLASS_NAMES = tuple("0123456789")


def load_image_folder(path, size: int | None = None, max_pixels: int = MAX_PIXELS) -> Dataset:
    """Load a class-per-sub-folder image tree as a `Dataset`.

    Parameters
    ----------
    path : folder holding sub-folders `0`..`9` (or `train/` and `test/` holding them).
    size : side of the square output images; None keeps a common size when
        all pictures share one and uses 28 otherwise.
    max_pixels : pictures larger than this (width * height) are refused.
    """
    path = Path(path)
    if not path.is_dir():
        raise DigitlabError(f"{path}: not a folder")
    if (path / "train").is_dir() and (path / "test").is_dir():
        train_pictures, train_labels = _read_classes(path / "train", max_pixels)
        test_pictures, test_labels = _read_classes(path / "test", max_pixels)
        images = _common_size(train_pictures + test_pictures, size)  # one size for both
        n = len(train_pictures)
        return Dataset(path.name, Split(images[:n], train_labels), Split(images[n:], test_labels))
    pictures, labels = _read_classes(path, max_pixels)
    return holdout_split(path.name, _common_size(pictures, size), labels)


def _read_classes(folder: Path, max_pixels: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Every picture under folder/<digit>/, as grey white-on-black arrays, with labels."""
    pictures, labels = [], []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if sub.name not in CLASS_NAMES:
            raise DigitlabError(f"{sub}: class folders must be named 0-9 (one per digit)")
        files = sorted(
            p
            for p in sub.iterdir()
            if p.is_file() and p.suffix.lower() in EXTENSIONS and not p.name.startswith(".")
        )
        pictures += [read_digit_image(f, max_pixels) for f in files]
        labels += [int(sub.name)] * len(files)
    if not pictures:
        raise DigitlabError(
            f"{folder}: no images found (expected sub-folders 0-9 holding PNG, JPEG or BMP files)"
        )
    return pictures, np.array(labels, dtype=np.int64)


def read_digit_image(path: Path, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """One picture as uint8 (H, W), grey, white ink on black."""
    return _white_on_black(load_grey(path, max_pixels) * 255.0)


def _white_on_black(grey: np.ndarray) -> np.ndarray:
    """Invert when the border (background in a digit picture) is light."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 127:
        grey = 255.0 - grey
    return np.clip(np.round(grey), 0, 255).astype(np.uint8)


def _common_size(pictures: list[np.ndarray], size: int | None) -> np.ndarray:
    """uint8 (n, S, S), or (n, H, W) unchanged when all share one shape and size is None."""
    shapes = {p.shape for p in pictures}
    if size is None and len(shapes) == 1:
        return np.stack(pictures)
    side = size or DEFAULT_SIZE
    return np.stack([_square_resize(p, side) for p in pictures])


def _square_resize(picture: np.ndarray, side: int) -> np.ndarray:
    """Pad to a square with black (the background, after inversion), then resize."""
    from PIL import Image

    h, w = picture.shape
    square = np.zeros((max(h, w),) * 2, dtype=np.uint8)
    top, left = (len(square) - h) // 2, (len(square) - w) // 2
    square[top : top + h, left : left + w] = picture
    return np.asarray(Image.fromarray(square).resize((side, side), Image.LANCZOS))
