"""EMNIST digits: 240,000 train and 40,000 test handwritten digits in MNIST's format.

NIST publishes EMNIST only as one 562 MB zip of all six EMNIST splits. We
download it once (checksummed, into a temporary file, like every download),
take out the four `emnist-digits-*` IDX files, and delete the zip. The digits
then live in `<data root>/emnist-digits/` (or directly in `--data-dir` when you
keep them there) and load through the IDX parser, which also turns EMNIST's
column-major images upright.

The extracted files have no published checksums; on later loads the IDX
parser's checks (header, length, counts, labels) are what guards them.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from digitlab.data.dataset import Dataset
from digitlab.data.download import TIMEOUT, data_root, fetch_file, manifest, stderr_log
from digitlab.data.idx import load_idx_folder
from digitlab.errors import DigitlabError
from digitlab.files import atomic_path

NAME = "emnist-digits"
MIRRORS = ("https://biometrics.nist.gov/cs_links/EMNIST/",)
ARCHIVE = "gzip.zip"
MEMBERS = tuple(
    f"emnist-digits-{split}-{kind}-ubyte.gz"
    for split in ("train", "test")
    for kind in ("images-idx3", "labels-idx1")
)


def load_emnist_digits(
    data_dir=None, download: bool = True, mirrors=None, timeout: float = TIMEOUT, log=stderr_log
) -> Dataset:
    """EMNIST digits as a validated `Dataset`, downloading the archive when needed."""
    folder = prepare_emnist_digits(data_dir, download, mirrors, timeout, log)
    return load_idx_folder(folder, name=NAME)


def prepare_emnist_digits(
    data_dir=None, download=True, mirrors=None, timeout=TIMEOUT, log=stderr_log, md5s=None
) -> Path:
    """The folder holding the four emnist-digits files; downloads and extracts if needed.

    `md5s` replaces the manifest's checksum of the archive (for tests).
    """
    root = data_root(data_dir)
    for folder in (root, root / NAME):
        if all((folder / member).is_file() for member in MEMBERS):
            return folder
    folder = root / NAME
    if not download:
        raise DigitlabError(
            f"{NAME}: the four emnist-digits-*.gz files are not in {folder}; run "
            f"`digitlab data download {NAME}` (a 562 MB archive), or put them there"
        )
    accepted = md5s or {manifest()[NAME]["canonical"]["md5"][ARCHIVE]}
    log(f"{NAME} comes inside NIST's 562 MB EMNIST archive; downloading it once")
    archive = fetch_file(ARCHIVE, folder, list(mirrors or MIRRORS), accepted, timeout, log)
    try:
        _extract(archive, folder)
    finally:
        archive.unlink(missing_ok=True)  # the other EMNIST splits are not digits
    return folder


def _extract(archive: Path, folder: Path) -> None:
    """Copy the four members, wherever they sit inside the zip, into `folder`."""
    try:
        with zipfile.ZipFile(archive) as zf:
            by_name = {Path(info.filename).name: info for info in zf.infolist()}
            missing = [m for m in MEMBERS if m not in by_name]
            if missing:
                raise DigitlabError(f"{archive}: has no {', '.join(missing)}")
            for member in MEMBERS:
                with zf.open(by_name[member]) as src, atomic_path(folder / member) as tmp:
                    tmp.write_bytes(src.read())  # one member is at most ~40 MB
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DigitlabError(f"{archive}: cannot extract ({exc})")
