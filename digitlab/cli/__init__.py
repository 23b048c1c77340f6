"""`digitlab ...`: one sub-command per module in this package.

Each command module defines `add_parser(subparsers)`, which registers its
flags and sets `func`, a function taking the parsed flags as keyword
arguments (flags map one-to-one onto the library's keyword arguments). A
user's mistake (`DigitlabError`, a missing file, a usage error: see `parser.py`)
prints one line to stderr and exits with status 2; Ctrl-C exits with 130 and
SIGTERM with 143, both after removing what was half-written.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading

from digitlab import __version__
from digitlab.cli.parser import Parser
from digitlab.errors import DigitlabError

COMMANDS = (  # in the order --help lists them
    "data",
    "train",
    "evaluate",
    "compare",
    "report",
    "predict",
    "read",
    "inspect",
    "calibrate",
    "adapt",
    "serve",
    "export",
    "ensemble",
    "kaggle",
    "robustness",
)

# optional dependencies -> the pyproject extra that installs them
EXTRA_FOR_MODULE = {"torch": "torch", "keras": "keras", "fastapi": "serve", "uvicorn": "serve",
                    "onnx": "onnx", "onnxruntime": "onnx", "playwright": "dev",
                    "dask": "cluster", "distributed": "cluster"}


def build_parser() -> Parser:
    parser = Parser(
        prog="digitlab", description="Recognise handwritten digits: data, models, reports, serving."
    )
    parser.add_argument("--version", action="version", version=f"digitlab {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"digitlab.cli.{name}").add_parser(subparsers)
    return parser


def main(argv=None) -> int:
    args = vars(build_parser().parse_args(argv))
    func = args.pop("func")
    args.pop("command")
    with _sigterm_unwinds():
        return _run(func, args)


@contextlib.contextmanager
def _sigterm_unwinds():
    """SIGTERM (`kill`, a scheduler's time limit) unwinds like Ctrl-C, so temporaries are removed.

    Python's default is to die at once, leaving `.part` files beside what was being written.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _terminated(signum, frame):
    raise Terminated


class Terminated(BaseException):
    """SIGTERM arrived: unwind (removing temporaries) and exit with 143."""


def _run(func, args: dict) -> int:
    try:
        return func(**args) or 0
    except DigitlabError as exc:
        print(f"digitlab: error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"digitlab: error: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    except ImportError as exc:
        extra = EXTRA_FOR_MODULE.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        print(f"digitlab: error: this needs the optional dependency {exc.name}: "
              f"pip install 'digitlab[{extra}]'", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `digitlab ... | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("digitlab: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("digitlab: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
