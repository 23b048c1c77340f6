"""How long loading takes: MNIST from its .gz IDX files, and a Kaggle-size CSV.

Each of ours is timed beside a plain peer that does the same job with no checks:

    MNIST   digitlab's load_dataset("mnist") (gunzip, parse, validate, MD5 of the
            four files)  vs  gzip.open + np.frombuffer (what tutorials write)
    CSV     read_kaggle_csv on a generated 42,000 x 785 train.csv (Kaggle's size)
            vs  np.loadtxt(skiprows=1) on the same file

Usage: python benchmarks/data_load.py --data-dir ../shared/data/mnist [--repeat 3]
Prints one line per measurement (best of --repeat) and the ratio ours / peer.
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from pathlib import Path

import numpy as np

from digitlab.data import load_dataset
from digitlab.data.csvfile import read_kaggle_csv


def best_of(repeat: int, func) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def plain_mnist(folder: Path) -> None:
    """The few lines every tutorial writes: no validation, no checksums."""
    for stem in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        with gzip.open(folder / f"{stem}.gz", "rb") as f:
            data = f.read()
        offset = 16 if "images" in stem else 8
        np.frombuffer(data, np.uint8, offset=offset)


def kaggle_like_csv(path: Path, rows: int = 42000, seed: int = 0) -> None:
    """A train.csv with Kaggle's shape and roughly its sparsity (about 80% zero pixels)."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 256, (rows, 785))
    values[:, 1:][rng.random((rows, 784)) < 0.8] = 0
    values[:, 0] %= 10
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    np.savetxt(path, values, fmt="%d", delimiter=",", header=header, comments="")


def main(data_dir: str, repeat: int) -> None:
    folder = Path(data_dir)
    ours = best_of(repeat, lambda: load_dataset("mnist", data_dir=folder, download=False))
    peer = best_of(repeat, lambda: plain_mnist(folder))
    ratio = ours / peer
    print(f"mnist gz  digitlab {ours:.2f} s   gzip+frombuffer {peer:.2f} s   ratio {ratio:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.csv"
        kaggle_like_csv(path)
        size = path.stat().st_size / 1e6
        ours = best_of(repeat, lambda: read_kaggle_csv(path))
        peer = best_of(repeat, lambda: np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64))
        print(
            f"csv {size:.0f} MB 42000 rows  digitlab {ours:.2f} s   np.loadtxt {peer:.2f} s   "
            f"ratio {ours / peer:.2f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data/mnist")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    main(args.data_dir, args.repeat)
