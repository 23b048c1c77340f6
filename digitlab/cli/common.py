"""Flags several commands share, defined once."""

from __future__ import annotations

import argparse
import json
import sys


def add_data_flags(parser: argparse.ArgumentParser, default: str | None = "digits") -> None:
    parser.add_argument("--dataset", default=default,
                        help="digits (default), mnist, fashion-mnist, or a .csv/.npz/folder path")
    parser.add_argument("--data-dir", default=None,
                        help="where MNIST files are cached or kept (default $DIGITLAB_DATA or ~/.cache/digitlab)")


def int_list(text: str) -> list[int]:
    """'128,64,32' -> [128, 64, 32]"""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive whole numbers, got {text!r}")
    return values


def print_json(obj) -> None:
    from digitlab.files import _jsonable

    json.dump(obj, sys.stdout, indent=2, default=_jsonable)
    sys.stdout.write("\n")
