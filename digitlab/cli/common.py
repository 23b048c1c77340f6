"""Flags several commands share, defined once."""

from __future__ import annotations

import argparse
import json
import sys

from digitlab.data import DATASET_NAMES

# every name the loader knows, from its own list, then the paths it reads
DATASETS_HELP = f"{', '.join(DATASET_NAMES)}, or a .csv/.npz/folder path"


def add_data_flags(parser: argparse.ArgumentParser, default: str | None = "digits") -> None:
    parser.add_argument("--dataset", default=default,
                        help=DATASETS_HELP + (f" (default {default})" if default else ""))
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


def int_at_least(low: int):
    """An argparse type: a whole number >= `low`, e.g. `type=int_at_least(1)` for --subsample."""
    def parse(text: str) -> int:
        value = _int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {text}")
        return value
    parse.__name__ = f"whole number >= {low}"
    return parse


def port(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free port) to 65535."""
    value = _int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535 (0 picks a free one), got {text}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def print_json(obj) -> None:
    from digitlab.files import _jsonable

    json.dump(obj, sys.stdout, indent=2, default=_jsonable)
    sys.stdout.write("\n")
