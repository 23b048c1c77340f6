"""`digitlab kaggle` end to end on Kaggle-shaped files made from MNIST, scored against MNIST's labels.

Kaggle's Digit Recognizer hides its test labels; MNIST does not. This writes
`train.csv` (label,pixel0..pixel783: MNIST train[:42000], Kaggle's size) and
`test.csv` (pixel0..pixel783: the 10,000 MNIST test images) into a temporary
folder, runs the command a Kaggle user runs, and scores `submission.csv`.

    python benchmarks/kaggle_mnist.py --data-dir ../shared/data/mnist --model mlp   # or knn, cnn, ...

Prints the command's wall time (reading the CSVs, training, predicting and
writing, as the user waits) and the submission's accuracy.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from digitlab.data.synth import read_idx

TRAIN_ROWS = 42000  # Kaggle's train.csv has 42,000 rows


def write_csv(path: Path, images: np.ndarray, labels: np.ndarray | None = None) -> None:
    """Kaggle's layout: a header, then one row per image (its label first in train.csv)."""
    pixels = images.reshape(len(images), -1)
    header = [f"pixel{i}" for i in range(pixels.shape[1])]
    if labels is not None:
        pixels, header = np.column_stack([labels, pixels]), ["label", *header]
    np.savetxt(path, pixels, fmt="%d", delimiter=",", header=",".join(header), comments="")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data/mnist")
    parser.add_argument("--model", default="mlp", help="what `digitlab kaggle --model` trains (default mlp)")
    args = parser.parse_args()
    data = Path(args.data_dir)
    train_images = read_idx(data / "train-images-idx3-ubyte.gz")[:TRAIN_ROWS]
    train_labels = read_idx(data / "train-labels-idx1-ubyte.gz")[:TRAIN_ROWS]
    test_images = read_idx(data / "t10k-images-idx3-ubyte.gz")
    test_labels = read_idx(data / "t10k-labels-idx1-ubyte.gz")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_csv(folder / "train.csv", train_images, train_labels)
        write_csv(folder / "test.csv", test_images)
        command = [sys.executable, "-m", "digitlab", "kaggle", "--train", "train.csv", "--test", "test.csv",
                   "-o", "submission.csv", "--model", args.model]
        start = time.perf_counter()
        subprocess.run(command, cwd=folder, check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        with open(folder / "submission.csv", newline="") as file:
            rows = list(csv.DictReader(file))
    answers = np.array([int(row["Label"]) for row in sorted(rows, key=lambda row: int(row["ImageId"]))])
    print(f"digitlab kaggle --model {args.model}: {seconds:.0f} s end to end; submission accuracy against "
          f"the MNIST test labels {np.mean(answers == test_labels):.4f} ({len(answers)} rows)")


if __name__ == "__main__":
    main()
