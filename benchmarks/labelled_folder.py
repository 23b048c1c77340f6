"""A labelled folder of digit pictures -> (paths, labels), and what a reader made of them.

Two layouts are read, the two that digitlab's own loaders and the
handwriting-dev sets use:

    FOLDER/0/*.png ... FOLDER/9/*.png     one sub-folder per digit
    FOLDER/labels.csv + FOLDER/*.png      `file,label` rows (file relative to FOLDER)

`read_all` runs the product's own path, `Reader.predict_files` (what
`digitlab predict FOLDER` runs), and `summary` turns its answers into the
figures the benchmark prints.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


def labelled_files(folder) -> tuple[list[Path], np.ndarray]:
    """(paths, int64 labels (n,)) of a labelled folder, in a fixed order.

    labels.csv wins when both layouts are present (it names its files
    exactly). Raises ValueError for a folder with neither, or a bad row.
    """
    folder = Path(folder)
    table = folder / "labels.csv"
    if table.is_file():
        return _from_csv(table)
    paths, labels = [], []
    for digit in range(10):
        sub = folder / str(digit)
        if sub.is_dir():
            found = sorted(p for p in sub.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            paths += found
            labels += [digit] * len(found)
    if not paths:
        raise ValueError(f"{folder}: no labels.csv and no images in sub-folders 0-9")
    return paths, np.array(labels, dtype=np.int64)


def _from_csv(table: Path) -> tuple[list[Path], np.ndarray]:
    paths, labels = [], []
    with open(table, newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f), start=2):  # line 1 is the header
            try:
                name, label = row["file"].strip(), int(row["label"])
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ValueError(f"{table}:{i}: expected a 'file,label' row with an integer label") from exc
            if not 0 <= label <= 9:
                raise ValueError(f"{table}:{i}: label {label} is not a digit")
            paths.append(table.parent / name)
            labels.append(label)
    if not paths:
        raise ValueError(f"{table}: no rows")
    return paths, np.array(labels, dtype=np.int64)


def read_all(reader, paths) -> tuple[list, list[str]]:
    """(digits, statuses) for each path through `reader.predict_files`; a file error reads as "error"."""
    digits, statuses = [], []
    for _, result in reader.predict_files(paths):
        if isinstance(result, Exception):
            digits.append(None)
            statuses.append("error")
        else:
            digits.append(result.digit)
            statuses.append(result.status)
    return digits, statuses


def summary(labels, digits, statuses, top: int = 3) -> dict:
    """Accuracy (a "no digit" answer is wrong), the share of each status, accuracy on "ok",
    and the `top` confusions as "true->read n"."""
    labels = np.asarray(labels)
    read = np.array([-1 if d is None else d for d in digits])
    status = np.asarray(statuses)
    right = read == labels
    ok = status == "ok"
    confusions = Counter((int(t), int(r)) for t, r in zip(labels, read) if r >= 0 and r != t)
    return {"n": len(labels), "accuracy": float(right.mean()),
            "no_digit": float(np.mean(status == "no digit")), "unsure": float(np.mean(status == "unsure")),
            "ok_accuracy": float(right[ok].mean()) if ok.any() else float("nan"),
            "confusions": [f"{t}->{r} {n}" for (t, r), n in confusions.most_common(top)]}
