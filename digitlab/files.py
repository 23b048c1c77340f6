"""Atomic file writes: a file is either complete or absent, never half-written; JSON read back.

Everything digitlab writes for a user (downloads, model files, checkpoints,
run folders, submissions) goes through `atomic_path` (or `atomic_dir`): write
to a temporary `.NAME.PID-XXXXXXXX.part` beside the target, then `os.replace`
it into place. On any error, Ctrl-C and SIGTERM included (the CLI turns SIGTERM
into an exception), the temporary is removed and the old file, if any, is kept.
Only a process killed outright (SIGKILL, power loss) can leave one behind; the
next write into the same folder removes it (`sweep_stale`), once its process is
gone and it has not changed for a minute. Nothing not named by us is touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from digitlab.errors import DigitlabError

PART = ".part"
QUIET_SECONDS = 60  # a temporary unchanged this long, whose process is gone, is stale
ORPHAN_SECONDS = 3600  # older digitlab named temporaries without the writer's PID: stale after an hour
DAY_SECONDS = 86_400  # untouched for a day: stale even if its PID now names another process


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; rename it to `path` on success."""
    path = _prepare(path)
    fd, tmp = tempfile.mkstemp(prefix=_prefix(path), suffix=PART, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_dir(path):
    """Yield a temporary folder beside `path`; rename it to `path` (which must not exist) on success."""
    path = _prepare(path)
    tmp = Path(tempfile.mkdtemp(prefix=_prefix(path), suffix=PART, dir=path.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def final_name(path) -> str:
    """The name a temporary will be renamed to ('.model.npz.123-abcd1234.part' -> 'model.npz')."""
    match = _OURS.fullmatch(Path(path).name)
    return match[1] if match else Path(path).name


def sweep_stale(path) -> list[Path]:
    """Remove stale temporaries of ours beside `path` (earlier writes of it or of its neighbours)."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    swept = []
    for tmp in path.parent.iterdir():
        if tmp.name.startswith(".") and tmp.name.endswith(PART) and _stale(tmp, path.name):
            shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
            swept.append(tmp)
    return swept


# ".NAME.PID-XXXXXXXX.part": mkstemp/mkdtemp with our prefix (8 random [a-z0-9_])
_OURS = re.compile(r"\.(.+)\.(\d+)-[a-z0-9_]{8}\.part")


def _stale(tmp: Path, target: str) -> bool:
    """Ours, written by a process that is gone, untouched for QUIET_SECONDS; or, named as digitlab did
    before the PID was in the name, a temporary of `target` untouched for ORPHAN_SECONDS."""
    match = _OURS.fullmatch(tmp.name)
    older = re.fullmatch(rf"\.{re.escape(target)}\.[a-z0-9_]{{8}}\.part", tmp.name)
    if not (match or older):
        return False
    try:
        age = time.time() - tmp.lstat().st_mtime
    except FileNotFoundError:
        return False
    if match:
        return age > DAY_SECONDS or (age > QUIET_SECONDS and not _alive(int(match[2])))
    return age > ORPHAN_SECONDS


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # cannot tell without os.kill's signal 0: keep it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _prepare(path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(path)
    return path


def _prefix(path: Path) -> str:
    return f".{path.name}.{os.getpid()}-"


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
