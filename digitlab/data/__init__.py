"""Digit datasets behind one contract (see `dataset.py`).

`load_dataset(name)` takes a dataset name (`digits`, `mnist`, `fashion-mnist`,
`emnist-digits`, `mnist-lab20`) or a path: a Kaggle `.csv`, an `.npz`, a folder
with the four IDX files, or a folder of images with one sub-folder per class.
"""

from __future__ import annotations

from pathlib import Path

from digitlab.data.dataset import Dataset, Split, stratified_subsample, to_features
from digitlab.errors import DigitlabError

__all__ = ["DATASET_NAMES", "DOWNLOADABLE", "Dataset", "Split", "load_dataset", "stratified_subsample",
           "to_features"]

DATASET_NAMES = ("digits", "mnist", "fashion-mnist", "emnist-digits", "mnist-lab20")
DOWNLOADABLE = ("mnist", "fashion-mnist", "emnist-digits")  # mnist-lab20 is cut from mnist


def load_dataset(name: str = "digits", data_dir=None, download: bool = True) -> Dataset:
    """Load a named dataset or a dataset file/folder, validated, as a `Dataset`."""
    if name == "digits":
        from digitlab.data.digits import load_digits

        return load_digits()
    if name in ("mnist", "fashion-mnist"):
        from digitlab.data.download import load_idx_dataset

        return load_idx_dataset(name, data_dir=data_dir, download=download)
    if name == "emnist-digits":
        from digitlab.data.emnist import load_emnist_digits

        return load_emnist_digits(data_dir=data_dir, download=download)
    if name == "mnist-lab20":  # the learners' TensorFlow lab: 5000 MNIST digits at 20x20
        from digitlab.data.lab20 import load_lab20

        return load_lab20(data_dir=data_dir, download=download)
    return _load_path(Path(name))


def _load_path(path: Path) -> Dataset:
    if not path.exists():
        raise DigitlabError(
            f"unknown dataset {str(path)!r}: use one of {', '.join(DATASET_NAMES)}, "
            "or a .csv, .npz or folder that exists"
        )
    if path.suffix.lower() == ".csv":
        from digitlab.data.csvfile import load_csv_dataset

        return load_csv_dataset(path)
    if path.suffix.lower() == ".npz":
        from digitlab.data.npzfile import load_npz_dataset

        return load_npz_dataset(path)
    if path.is_dir():
        from digitlab.data.idx import find_idx_files, load_idx_folder
        from digitlab.data.imagefolder import load_image_folder

        return load_idx_folder(path) if find_idx_files(path) else load_image_folder(path)
    raise DigitlabError(f"{path}: not a dataset (expected a .csv, an .npz or a folder)")
