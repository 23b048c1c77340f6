"""IDX files, the format of MNIST, Fashion-MNIST and EMNIST.

An IDX file is a 4-byte magic number, one big-endian uint32 per dimension,
then the values in C order::

    00 00 08 03 | n H W (3 x uint32) | n*H*W bytes     images, uint8, rank 3
    00 00 08 01 | n     (1 x uint32) | n bytes         labels, uint8, rank 1

Byte 3 of the magic is the dtype code (0x08 is unsigned byte, the only one
digit images and labels use) and byte 4 the rank. We check every part and the
payload length, so a truncated download or a wrong file gives one clear
`DigitlabError` naming the file, never a half-loaded dataset.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from pathlib import Path

import numpy as np

from digitlab.data.dataset import Dataset, Split
from digitlab.errors import DigitlabError

DTYPE_NAMES = {
    0x08: "uint8",
    0x09: "int8",
    0x0B: "int16",
    0x0C: "int32",
    0x0D: "float32",
    0x0E: "float64",
}
ROLES = ("train_images", "train_labels", "test_images", "test_labels")
# EMNIST-byclass train images are 0.55 GB; anything far beyond that is not a digit set
MAX_BYTES = 2**31

# train-images-idx3-ubyte(.gz), t10k-labels.idx1-ubyte (Kaggle's copy),
# emnist-digits-test-images-idx3-ubyte.gz, ...
_NAME = re.compile(
    r"^(?P<prefix>.*?[-_.])?(?P<split>train|t10k|test)[-_.](?P<kind>images|labels)"
    r"[-_.]idx(?P<rank>[13])[-_.]ubyte(?P<gz>\.gz)?$",
    re.IGNORECASE,
)


def parse_idx(data: bytes, source: str, rank: int | None = None) -> np.ndarray:
    """Decode the bytes of one IDX file into a uint8 array of its shape.

    Parameters
    ----------
    data : bytes
        The whole (uncompressed) file.
    source : str
        The file's name, used in error messages.
    rank : int, optional
        The number of dimensions expected (3 for images, 1 for labels).

    Returns
    -------
    np.ndarray
        uint8, shape as the header says, e.g. (60000, 28, 28); a writable copy.
    """
    if len(data) < 4:
        raise DigitlabError(
            f"{source}: not an IDX file ({len(data)} bytes, shorter than the header)"
        )
    zero, code, ndim = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0:
        raise DigitlabError(
            f"{source}: not an IDX file (magic number starts {data[:2].hex()}, expected 0000)"
        )
    if code != 0x08:
        what = DTYPE_NAMES.get(code, "unknown")
        raise DigitlabError(
            f"{source}: IDX dtype code 0x{code:02X} ({what}); digit images and labels "
            "are unsigned bytes (0x08)"
        )
    if rank is not None and ndim != rank:
        raise DigitlabError(
            f"{source}: IDX rank {ndim}, expected {rank} "
            f"({'images n x H x W' if rank == 3 else 'labels n'})"
        )
    if ndim == 0:
        raise DigitlabError(f"{source}: IDX rank 0, expected at least one dimension")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DigitlabError(
            f"{source}: truncated IDX header ({len(data)} bytes, need {header} for rank {ndim})"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if 0 in shape:
        raise DigitlabError(f"{source}: IDX dimensions {_dims(shape)} include a zero")
    size = int(np.prod(shape, dtype=object))  # Python ints: no overflow on hostile headers
    if len(data) - header != size:
        state = "truncated" if len(data) - header < size else "has trailing bytes"
        raise DigitlabError(
            f"{source}: {state}: IDX dimensions {_dims(shape)} need {size:,} bytes "
            f"of data, found {len(data) - header:,}"
        )
    return np.frombuffer(data, dtype=np.uint8, count=size, offset=header).reshape(shape).copy()


def _dims(shape) -> str:
    return " x ".join(str(d) for d in shape)


def read_idx(path, rank: int | None = None) -> np.ndarray:
    """Read one IDX file, gzip-compressed or raw, as `parse_idx` does."""
    path = Path(path)
    return parse_idx(read_maybe_gzip(path), str(path), rank=rank)


def read_maybe_gzip(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The file's bytes, decompressed when it is gzip (by content, not by name)."""
    if path.stat().st_size > limit:
        raise DigitlabError(
            f"{path}: {path.stat().st_size:,} bytes is more than any digit IDX file"
        )
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as g:
            data = g.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise DigitlabError(f"{path}: corrupt or truncated gzip file ({exc or type(exc).__name__})")
    if len(data) > limit:
        raise DigitlabError(
            f"{path}: decompresses to more than {limit:,} bytes; not a digit IDX file"
        )
    return data


def find_idx_files(folder) -> dict[str, Path] | None:
    """The IDX files in `folder` by role (train_images, train_labels, test_images, test_labels).

    Recognises the standard names (`train-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`),
    `test` for `t10k`, dots for dashes (Kaggle's copy), a prefix (`emnist-digits-...`),
    each raw or `.gz`. The raw file wins when both exist (no decompression).
    Returns None when the folder holds no IDX file at all; roles that are missing
    are absent from the dict.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return None
    found: dict[str, list[tuple[bool, Path]]] = {}
    for path in sorted(folder.iterdir()):
        match = _NAME.match(path.name)
        if not match or not path.is_file():
            continue
        split = "test" if match["split"].lower() in ("t10k", "test") else "train"
        role = f"{split}_{match['kind'].lower()}"
        found.setdefault(role, []).append((bool(match["gz"]), path))
    if not found:
        return None
    files = {}
    for role, candidates in found.items():
        stems = {p.name[:-3] if gz else p.name for gz, p in candidates}
        if len(stems) > 1:
            raise DigitlabError(
                f"{folder}: several files could be the {role.replace('_', ' ')}: "
                f"{', '.join(sorted(p.name for _, p in candidates))}"
            )
        files[role] = min(candidates)[1]  # (False, raw) sorts before (True, .gz)
    return {role: files[role] for role in ROLES if role in files}


def load_idx_folder(folder, name: str | None = None) -> Dataset:
    """Load the four IDX files of `folder` as a validated `Dataset`.

    Checks that each images file has rank 3 and each labels file rank 1, that
    image and label counts agree, that labels are digits 0-9, and that train and
    test images have one size. EMNIST files (name starting `emnist`) store each
    image transposed; we transpose them back so digits stand upright.
    """
    folder = Path(folder)
    files = find_idx_files(folder) or {}
    missing = [role for role in ROLES if role not in files]
    if missing:
        raise DigitlabError(
            f"{folder}: missing IDX files for {', '.join(m.replace('_', ' ') for m in missing)} "
            "(expected train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
            "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)"
        )
    splits = {
        split: _load_split(files[f"{split}_images"], files[f"{split}_labels"])
        for split in ("train", "test")
    }
    if splits["train"].shape != splits["test"].shape:
        raise DigitlabError(
            f"{folder}: train images are {_dims(splits['train'].shape)} but test "
            f"images are {_dims(splits['test'].shape)}"
        )
    return Dataset(name or folder.name, splits["train"], splits["test"])


def _load_split(images_path: Path, labels_path: Path) -> Split:
    images = read_idx(images_path, rank=3)
    labels = read_idx(labels_path, rank=1)
    if len(images) != len(labels):
        raise DigitlabError(
            f"{labels_path}: {len(labels):,} labels for {len(images):,} images "
            f"in {images_path.name}"
        )
    if labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise DigitlabError(
            f"{labels_path}: label {labels[bad]} at index {bad}; digit labels are 0-9"
        )
    if images_path.name.lower().startswith("emnist"):
        images = np.ascontiguousarray(images.transpose(0, 2, 1))  # EMNIST stores columns first
    return Split(images, labels.astype(np.int64))
