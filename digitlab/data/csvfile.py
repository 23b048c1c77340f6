"""Kaggle "Digit Recognizer" CSV files.

    train.csv   label,pixel0,pixel1,...,pixel783    one image per row, label 0-9
    test.csv    pixel0,pixel1,...,pixel783          no label column

Pixels are whole numbers 0-255, row-major, white ink on black (28 x 28 for
Kaggle; any square size works). We accept a UTF-8 byte-order mark, Windows or
old Mac line endings and blank lines, and check the header, the column count of
every row, every value and every label; an error names the file and the line.

Parsing is numpy's C reader (`np.loadtxt`) over the whole body at once: about
2-3 s for Kaggle's 42,000-row train.csv on a loaded 2-core machine. Only when it
fails do we walk the rows in Python, to say exactly which line is wrong.
"""

from __future__ import annotations

import codecs
import io
import math
import re
from pathlib import Path

import numpy as np

from digitlab.data.dataset import Dataset, Split
from digitlab.data.holdout import holdout_split
from digitlab.errors import DigitlabError

_INTEGER = re.compile(rb"\s*[+-]?[0-9]+\s*")


def read_kaggle_csv(path) -> Split:
    """Read a Kaggle digit CSV into a `Split`.

    Returns
    -------
    Split
        images uint8 (n, side, side) and labels int64 (n,), or labels None when
        the file has no `label` column (Kaggle's test.csv).
    """
    path = Path(path)
    rows = _nonblank_lines(path)
    if not rows:
        raise DigitlabError(f"{path}: empty file (expected a header label,pixel0,...,pixel783)")
    header_line, header = rows[0]
    has_label, side = _parse_header(path, header_line, header)
    body = rows[1:]
    if not body:
        raise DigitlabError(f"{path}: no data rows after the header")
    n_cols = side * side + has_label
    values = _parse_body(path, body, n_cols)
    line_numbers = np.array([number for number, _ in body])
    labels = None
    if has_label:
        labels = values[:, 0].astype(np.int64)
        _check_range(path, labels, line_numbers, 0, 9, "label")
    pixels = values[:, int(has_label) :]
    _check_range(path, pixels, line_numbers, 0, 255, "pixel value")
    return Split(pixels.astype(np.uint8).reshape(-1, side, side), labels)


def load_csv_dataset(path) -> Dataset:
    """A Kaggle CSV as a `Dataset`, named after the file.

    With labels, the test split is a fixed hold-out: one sixth of the rows,
    stratified by digit, seed 0 (see `holdout.py`); 42,000 rows give 35,000
    train and 7,000 test. Without labels (test.csv) all rows are `train` and
    `test` is None.
    """
    path = Path(path)
    split = read_kaggle_csv(path)
    return holdout_split(path.stem, split.images, split.labels)


def _nonblank_lines(path: Path) -> list[tuple[int, bytes]]:
    """(1-based line number, line) for every line with content; BOM and CR handled."""
    raw = path.read_bytes()
    raw = raw.removeprefix(codecs.BOM_UTF8)
    # bytes.splitlines splits on \n, \r\n and \r only, so Windows and old Mac files both work
    return [(i + 1, line) for i, line in enumerate(raw.splitlines()) if line and not line.isspace()]


def _parse_header(path: Path, number: int, line: bytes) -> tuple[bool, int]:
    """Whether the file has a label column, and the image side (28 for 784 pixels)."""
    try:
        names = [
            name.strip().strip('"').strip().lower() for name in line.decode("utf-8").split(",")
        ]
    except UnicodeDecodeError:
        raise DigitlabError(f"{path} line {number}: not UTF-8 text; expected a CSV header")
    has_label = names[0] == "label"
    pixels = names[int(has_label) :]
    for i, name in enumerate(pixels):
        if name != f"pixel{i}":
            column = i + 1 + has_label
            shown = name if len(name) <= 30 else name[:27] + "..."
            raise DigitlabError(
                f"{path} line {number}: column {column} is {shown!r}, expected "
                f"'pixel{i}' (header: label,pixel0,...,pixel783 or pixel0,...,pixel783)"
            )
    side = math.isqrt(len(pixels))
    if not pixels or side * side != len(pixels):
        raise DigitlabError(
            f"{path} line {number}: {len(pixels)} pixel columns is not a square "
            "image (Kaggle has 784 = 28 x 28)"
        )
    return has_label, side


def _parse_body(path: Path, body: list[tuple[int, bytes]], n_cols: int) -> np.ndarray:
    """int16 (n, n_cols) from the data lines; one line-numbered error on anything malformed."""
    text = b"\n".join(line for _, line in body)
    try:
        # int16 holds every valid value and makes out-of-range numbers fail to parse
        values = np.loadtxt(
            io.BytesIO(text),
            delimiter=",",
            dtype=np.int16,
            ndmin=2,
            comments=None,
            encoding="utf-8",
        )
    except ValueError:
        values = None
    if values is None or values.shape != (len(body), n_cols):
        _diagnose(path, body, n_cols)
        raise DigitlabError(f"{path}: not a valid digit CSV")
    return values


def _diagnose(path: Path, body: list[tuple[int, bytes]], n_cols: int) -> None:
    """Raise a DigitlabError naming the first bad line; the slow path, run only on failure."""
    for number, line in body:
        fields = line.split(b",")
        if len(fields) != n_cols:
            raise DigitlabError(
                f"{path} line {number}: {len(fields)} values, expected {n_cols} as in the header"
            )
        for column, field in enumerate(fields, start=1):
            if not _INTEGER.fullmatch(field):
                shown = field.decode("utf-8", "replace").strip()[:20]
                raise DigitlabError(
                    f"{path} line {number}, column {column}: {shown!r} is not a whole number 0-255"
                )
            if not 0 <= int(field) <= 255:
                raise DigitlabError(
                    f"{path} line {number}, column {column}: {int(field)} is outside 0-255"
                )


def _check_range(
    path: Path, values: np.ndarray, line_numbers: np.ndarray, low: int, high: int, what: str
) -> None:
    bad = (values < low) | (values > high)
    if bad.any():
        row = int(np.argmax(bad.reshape(len(values), -1).any(axis=1)))
        value = values.reshape(len(values), -1)[row][bad.reshape(len(values), -1)[row]][0]
        raise DigitlabError(
            f"{path} line {line_numbers[row]}: {what} {value} is outside {low}-{high}"
        )
