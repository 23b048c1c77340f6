"""A labelled folder of digit pictures, as file paths and labels (the pictures stay unread).

Two layouts, the two that digitlab's loaders and the handwriting-dev sets use:

    FOLDER/0/*.png ... FOLDER/9/*.png     one sub-folder per digit
    FOLDER/labels.csv + FOLDER/*.png      `file,label` rows, files relative to FOLDER

`digitlab robustness --data` and `benchmarks/real_handwriting.py` read them
through the product's own path (`digitlab.evaluate.reading`).
"""

from __future__ import annotations

import csv
from pathlib import Path

from digitlab.data.imagefolder import CLASS_NAMES, EXTENSIONS
from digitlab.errors import DigitlabError


def labelled_files(folder) -> list[tuple[str, int]]:
    """(path, label) for every picture, in a fixed order; labels.csv wins when both layouts are there."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DigitlabError(f"{folder}: no such folder")
    if (folder / "labels.csv").is_file():
        return _from_csv(folder / "labels.csv")
    files = [(str(p), int(sub.name)) for sub in sorted(folder.iterdir())
             if sub.is_dir() and sub.name in CLASS_NAMES
             for p in sorted(sub.rglob("*")) if p.is_file() and p.suffix.lower() in EXTENSIONS]
    if not files:
        raise DigitlabError(f"{folder}: no labelled images (expected sub-folders 0-9 of images, "
                            "or a labels.csv of file,label)")
    return files


def _from_csv(path: Path) -> list[tuple[str, int]]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DigitlabError(f"{path}: not a UTF-8 CSV of file,label rows ({type(exc).__name__})") from None
    if not rows or not {"file", "label"} <= set(rows[0]):
        raise DigitlabError(f"{path}: expected a header line 'file,label' and one row per image")
    out = []
    for i, row in enumerate(rows, start=2):  # line 1 is the header
        label = (row["label"] or "").strip()
        if label not in CLASS_NAMES:
            raise DigitlabError(f"{path}: line {i}: label must be a digit 0-9, got {label!r}")
        name = (row["file"] or "").strip()
        if not name:
            raise DigitlabError(f"{path}: line {i}: no file name")
        out.append((str(path.parent / name), int(label)))
    return out
