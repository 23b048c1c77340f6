"""MNIST and Fashion-MNIST: find the four IDX files locally, or download them.

Where the files live (first match wins):

1. `data_dir` (`--data-dir`), else `$DIGITLAB_DATA`, else `~/.cache/digitlab`;
2. that folder itself when it holds IDX files (e.g. a copy you keep), otherwise
   its sub-folder named after the dataset (`~/.cache/digitlab/mnist`).

Every file, found or downloaded, must match an MD5 in `checksums.json`. A
download tries each mirror in turn (the one that served the last file first),
streams into a temporary file beside the target and renames it into place only
when its length and checksum are right; any failure or Ctrl-C removes the
temporary file (`digitlab.files.atomic_path`). A bad file in digitlab's own
cache folder is downloaded again; a bad file in a folder you pointed at is
reported and left alone.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from digitlab.data.dataset import Dataset
from digitlab.data.idx import ROLES, find_idx_files, load_idx_folder
from digitlab.errors import DigitlabError
from digitlab.files import atomic_path, sweep_stale

MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",  # PyTorch's copy
        "https://storage.googleapis.com/cvdf-datasets/mnist/",  # Google's copy
        "http://yann.lecun.com/exdb/mnist/",  # the original; often answers 403 these days
    ),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}
FILES = dict(
    zip(
        ROLES,
        (
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ),
    )
)
TIMEOUT = 30.0  # seconds without a byte before a mirror counts as down
CHUNK = 1 << 16
MANIFEST = Path(__file__).with_name("checksums.json")


def stderr_log(message: str) -> None:
    print(f"digitlab: {message}", file=sys.stderr)


def load_idx_dataset(
    name: str,
    data_dir=None,
    download: bool = True,
    mirrors=None,
    timeout: float = TIMEOUT,
    log=stderr_log,
) -> Dataset:
    """MNIST or Fashion-MNIST as a validated `Dataset`, downloading what is missing."""
    folder, _ = prepare_idx_dataset(
        name, data_dir=data_dir, download=download, mirrors=mirrors, timeout=timeout, log=log
    )
    return load_idx_folder(folder, name=name)


def data_root(data_dir=None) -> Path:
    """`data_dir`, else $DIGITLAB_DATA, else ~/.cache/digitlab."""
    root = data_dir or os.environ.get("DIGITLAB_DATA") or Path.home() / ".cache" / "digitlab"
    return Path(root).expanduser()


def dataset_folder(name: str, data_dir=None) -> Path:
    """The folder that holds, or will hold, `name`'s four files."""
    root = data_root(data_dir)
    return root if find_idx_files(root) else root / name


def prepare_idx_dataset(
    name: str,
    data_dir=None,
    download: bool = True,
    mirrors=None,
    timeout: float = TIMEOUT,
    log=stderr_log,
    checksums=None,
) -> tuple[Path, dict]:
    """Make sure `name`'s four files are present and verified.

    Parameters
    ----------
    mirrors : list of base URLs to try in turn (default `MIRRORS[name]`).
    checksums : {file name: {md5: variant}} to accept instead of the manifest (tests).

    Returns
    -------
    (folder, {file name: variant}) : where the files are, and which known
        variant each one matched ("canonical", or a named local copy).
    """
    if name not in MIRRORS:
        raise DigitlabError(f"no download for {name!r}: use one of {', '.join(MIRRORS)}")
    folder = dataset_folder(name, data_dir)
    managed = folder != data_root(data_dir)  # our own cache sub-folder, safe to repair
    found = find_idx_files(folder) or {}
    order = list(mirrors or MIRRORS[name])
    variants = {}
    for role, filename in FILES.items():
        if managed:  # an earlier download killed outright left its temporary here
            sweep_stale(folder / filename)
        path = found.get(role)
        variant = _verify(path, role, name, checksums) if path else None
        if path and not variant:
            _discard(path, name, repair=managed and download, log=log)
        if not variant and not download:
            raise DigitlabError(
                f"{name}: {filename} is not in {folder}; run `digitlab data download "
                f"{name}`, or put the four files in {folder} or set DIGITLAB_DATA"
            )
        if not variant:
            accepted = accepted_md5s(role, name, checksums, download=True)
            path = fetch_file(filename, folder, order, accepted, timeout=timeout, log=log)
            variant = _verify(path, role, name, checksums)
        variants[path.name] = variant
    return folder, variants


def _discard(path: Path, name: str, repair: bool, log) -> None:
    """A file with an unknown checksum: removed from our own cache, reported anywhere else."""
    if not repair:
        raise DigitlabError(_mismatch_message(path, name))
    log(f"{path}: checksum does not match any known {name} file; downloading it again")
    path.unlink()


def fetch_file(
    filename: str, folder, mirrors: list[str], md5s, timeout: float = TIMEOUT, log=stderr_log
) -> Path:
    """Download `filename` from the first mirror that serves it whole and with a known MD5.

    `mirrors` is reordered in place so the mirror that worked is tried first
    for the next file. Raises DigitlabError naming every mirror's failure.
    """
    folder = Path(folder)
    created = not folder.exists()
    try:  # a read-only or misnamed place fails here, once, clearly
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DigitlabError(f"{folder}: cannot create the data folder ({exc.strerror or exc})")
    target, failures = folder / filename, []
    for base in list(mirrors):
        url = base.rstrip("/") + "/" + filename
        log(f"downloading {url}")
        try:
            _download(url, target, set(md5s), timeout)
        except (OSError, http.client.HTTPException, ValueError, _BadDownload) as exc:
            failures.append(f"{url}: {_reason(exc, timeout)}")
            continue
        mirrors.remove(base)
        mirrors.insert(0, base)
        return target
    if created and not any(folder.iterdir()):
        folder.rmdir()  # leave no trace of a download that never happened
    raise DigitlabError(
        f"could not download {filename} ({'; '.join(failures)}); no network? "
        f"put the four files in {folder} or set DIGITLAB_DATA"
    )


class _BadDownload(Exception):
    """A mirror answered, but with the wrong bytes."""


def _download(url: str, target: Path, md5s: set[str], timeout: float) -> None:
    from digitlab import __version__
    from digitlab.progress import Progress

    request = urllib.request.Request(url, headers={"User-Agent": f"digitlab/{__version__}"})
    with atomic_path(target) as tmp:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(tmp, "wb") as out:
            length = response.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            digest, received = hashlib.md5(usedforsecurity=False), 0
            # a bar on a terminal; no per-chunk lines in a log (the mirror's line says what is fetched)
            with Progress(expected, target.name, unit="B", lines=False) as progress:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    progress.advance(len(chunk))
        if expected is not None and received != expected:
            raise _BadDownload(f"connection dropped after {received:,} of {expected:,} bytes")
        if digest.hexdigest() not in md5s:
            raise _BadDownload(f"checksum mismatch (MD5 {digest.hexdigest()})")


def _reason(exc: BaseException, timeout: float) -> str:
    """A few words on why one mirror failed."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason  # what went wrong underneath: refused, unknown host, timeout
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def manifest() -> dict:
    """checksums.json: {dataset: {variant: {"download": bool, "md5": {file: md5}}}}."""
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def _known(name: str, checksums) -> dict[str, dict[str, tuple[str, bool]]]:
    """{file name: {md5: (variant, downloadable)}} for one dataset."""
    if checksums is not None:
        return {
            file: {md5: (variant, True) for md5, variant in sums.items()}
            for file, sums in checksums.items()
        }
    known: dict[str, dict[str, tuple[str, bool]]] = {}
    for variant, entry in manifest()[name].items():
        for file, md5 in entry["md5"].items():
            # first listed wins, so a file shared by two variants reports as "canonical"
            known.setdefault(file, {}).setdefault(md5, (variant, entry["download"]))
    return known


def accepted_md5s(role: str, name: str, checksums=None, download: bool = True) -> set[str]:
    """MD5s accepted for `role` ("train_images", ...), raw or .gz; only downloadable variants
    when `download`."""
    stem = FILES[role][: -len(".gz")]
    known = _known(name, checksums)
    return {
        md5
        for file in (stem, stem + ".gz")
        for md5, (_, downloadable) in known.get(file, {}).items()
        if downloadable or not download
    }


def _verify(path: Path, role: str, name: str, checksums) -> str | None:
    """The variant `path` matches, or None."""
    digest = file_md5(path)
    stem = FILES[role][: -len(".gz")]
    known = _known(name, checksums)
    for file in (stem, stem + ".gz"):
        if digest in known.get(file, {}):
            return known[file][digest][0]
    return None


def _mismatch_message(path: Path, name: str) -> str:
    """Say what a rejected file is, when it is another dataset's known file."""
    digest = file_md5(path)
    for other, variants in manifest().items():
        if other.startswith("_"):
            continue
        for entry in variants.values():
            for file, md5 in entry["md5"].items():
                if md5 == digest and other != name:
                    return (
                        f"{path}: this is {other}'s {file}, not {name}'s; give {name} a "
                        "folder of its own (--data-dir or DIGITLAB_DATA)"
                    )
    return (
        f"{path}: MD5 {digest} matches no known {name} file (corrupt, truncated or another "
        "version); delete it to download it again, or load the folder as a path to skip checksums"
    )


def file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
