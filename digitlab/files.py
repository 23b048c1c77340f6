"""Atomic file writes: a file is either complete or absent, never half-written; JSON read back.

Everything digitlab writes for a user (downloads, model files, checkpoints,
run folders, submissions) goes through `atomic_path`: write to a temporary file
in the same folder, then `os.replace` it into place. On any error, Ctrl-C
included, the temporary file is removed and the old file, if any, is kept.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path

from digitlab.errors import DigitlabError


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; rename it to `path` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path, obj) -> Path:
    return write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_jsonable) + "\n")


def read_json(path, what: str = "JSON file"):
    """The JSON value in `path`; one clear line (`DigitlabError`) when it is not one we can read."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DigitlabError(f"{path}: not a {what} (not UTF-8 text)") from None
    return parse_json(text, f"{path}: not a {what}")


def parse_json(text: str, failure: str):
    """`json.loads(text)`, or `DigitlabError('<failure> (why)')`.

    Valid JSON nested deeper than Python's parser goes (about 1,000 levels)
    raises RecursionError, not ValueError: it is called too deep, not invalid.
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise DigitlabError(f"{failure} (nested too deeply to read: more than about "
                            f"{sys.getrecursionlimit():,} levels of brackets)") from None
    except ValueError as exc:
        raise DigitlabError(f"{failure} (not valid JSON: {exc})") from None


def _jsonable(value):
    """numpy scalars and arrays, tuples and paths as plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "get_params"):  # an estimator nested in another's parameters
        return repr(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON")
