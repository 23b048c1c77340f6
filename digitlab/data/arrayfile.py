"""Reading `.npy` and `.npz` files that may come from anywhere, with no surprises.

`np.load(allow_pickle=False)` already refuses pickled objects, but it trusts
the rest: an `.npz` member that is not an `.npy` file comes back as raw bytes,
an `.npy` header may claim a shape far larger than the file (numpy allocates
it before finding the data missing: terabytes for a 200-byte file), and a text
file gets numpy's advice to unpickle it. `read_npz` and `read_npy` check each
array's header against the bytes really there before reading it, and say what
is wrong in one line (`DigitlabError`). Every reader of user files uses them.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from digitlab.errors import DigitlabError

MAX_HEADER = 10_000  # numpy's own limit on an .npy header (bytes)
# deflate cannot shrink data more than 1032:1, so a member that claims more than this many bytes
# per stored byte lies about its size (np.savez writes stored or deflated members)
MOST_DEFLATED = 1032


def read_npz(path) -> dict[str, np.ndarray]:
    """Every array of an `.npz` (a zip of `.npy` files, as `np.savez` writes), by name without `.npy`."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            if f.read(4) != b"PK\x03\x04":
                raise DigitlabError(f"{path}: not an .npz archive (a zip of .npy arrays, as np.savez writes)")
        with zipfile.ZipFile(path) as archive:
            return {info.filename[:-4]: _member(archive, info, path) for info in archive.infolist()
                    if not info.is_dir()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise DigitlabError(f"{path}: not a readable .npz archive ({exc or type(exc).__name__})") from None
    except OSError as exc:
        if isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
            raise
        raise DigitlabError(f"{path}: cannot read the .npz archive ({exc.strerror or exc})") from None


def read_npy(path) -> np.ndarray:
    """The array in one `.npy` file."""
    path = Path(path)
    with open(path, "rb") as f:
        return _array(f, os.fstat(f.fileno()).st_size, str(path))


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> np.ndarray:
    where = f"{path}: member {info.filename!r}"
    if not info.filename.endswith(".npy"):
        raise DigitlabError(f"{where} is not an .npy array (an .npz holds only NAME.npy files)")
    size = info.file_size
    if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        ratio = 1 if info.compress_type == zipfile.ZIP_STORED else MOST_DEFLATED
        size = min(size, info.compress_size * ratio + 64)
    with archive.open(info) as f:
        return _array(f, size, where)


def _array(f, size: int, where: str) -> np.ndarray:
    """Check the header of the .npy file open in `f` (`size` bytes long), then read the array."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
        read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        shape, fortran, dtype = read_header(f, max_header_size=MAX_HEADER)
    except (ValueError, EOFError, IndexError, TypeError) as exc:  # numpy's own checks miss e.g. 'descr': ()
        raise DigitlabError(f"{where}: not an .npy array ({_first_line(exc)})") from None
    if dtype.hasobject:
        raise DigitlabError(f"{where}: holds Python objects, which digitlab refuses to load "
                            "(unpickling them can run code); store plain numeric arrays")
    claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
    there = size - f.tell()
    if claimed != there:
        raise DigitlabError(f"{where}: its header says shape {shape} of {dtype} ({claimed:,} bytes) "
                            f"but the file holds {there:,} bytes")
    array = np.empty(shape, dtype, order="F" if fortran else "C")
    got = f.readinto(memoryview(array.reshape(-1, order="A")).cast("B")) if claimed else 0
    if got != claimed:
        raise DigitlabError(f"{where}: ends early ({got:,} of {claimed:,} bytes)")
    return array


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
