"""Where the notebooks find MNIST, with no machine path written in them and no download.

`mnist_dir()` returns the first folder holding MNIST's four IDX files among:
$DIGITLAB_TEST_MNIST; `shared/data/mnist` beside this clone (where the tests and CI
find it); digitlab's own download folder ($DIGITLAB_DATA or ~/.cache/digitlab, filled
by `digitlab data download mnist`). None when there is none: each notebook then
says so and uses the embedded 8x8 `digits` instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from digitlab.data.download import dataset_folder
from digitlab.data.idx import find_idx_files

CLONE = Path(__file__).resolve().parents[2]


def mnist_dir() -> Path | None:
    candidates = [os.environ.get("DIGITLAB_TEST_MNIST"), CLONE.parent / "shared" / "data" / "mnist",
                  dataset_folder("mnist")]
    for folder in filter(None, candidates):
        folder = Path(folder)
        if folder.is_dir() and find_idx_files(folder):
            return folder
    return None


def dataset_and_folder() -> tuple[str, Path | None]:
    """("mnist", its folder) when MNIST is here, else ("digits", None) with a note saying so."""
    folder = mnist_dir()
    if folder is None:
        print("MNIST is not on this machine (run `digitlab data download mnist`); "
              "using the embedded 8x8 `digits` instead.")
        return "digits", None
    return "mnist", folder
