"""MNIST download against mirrors on 127.0.0.1: fallback order, checksums, no partial files.

The server (started per test in a thread) offers:
    /good/FILE      FILE as it is
    /corrupt/FILE   one byte flipped (right length, wrong MD5)
    /missing/FILE   404
    /drop/FILE      promises the whole FILE, sends half, closes the connection
    /slow/FILE      answers only after SLOW_SECONDS
    /stall/FILE     sends half of FILE, then nothing for STALL_SECONDS (a download to kill midway)
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.server
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from digitlab.cli import main
from digitlab.data import download as dl
from digitlab.data.idx import load_idx_folder
from digitlab.errors import DigitlabError

REPO = Path(__file__).resolve().parents[1]
SLOW_SECONDS = 3.0
STALL_SECONDS = 20.0
FILES = list(dl.FILES.values())


def _handler(files: dict[str, bytes], requests: list[str]):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            kind, _, name = self.path.strip("/").partition("/")
            body = files.get(name)
            if body is None or kind == "missing":
                self.send_error(404, "Not Found")
                return
            if kind == "slow":
                time.sleep(SLOW_SECONDS)
            if kind == "corrupt":
                body = body[:-1] + bytes([body[-1] ^ 0xFF])
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if kind in ("drop", "stall") else body)
            if kind == "stall":
                self.wfile.flush()
                time.sleep(STALL_SECONDS)
            self.close_connection = kind in ("drop", "stall")

        def log_message(self, *args):  # keep pytest's output clean
            pass

    return Handler


@contextlib.contextmanager
def serve(files: dict[str, bytes]):
    """(base URL, list of request paths in order) of a server on 127.0.0.1."""
    requests: list[str] = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(files, requests))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def _idx(array: np.ndarray) -> bytes:
    return (
        bytes([0, 0, 8, array.ndim])
        + b"".join(d.to_bytes(4, "big") for d in array.shape)
        + array.tobytes()
    )


@pytest.fixture(scope="module")
def tiny():
    """Four small gzipped IDX files, and a checksum table that accepts exactly them."""
    rng = np.random.default_rng(0)
    arrays = [
        rng.integers(0, 256, (20, 6, 6), dtype=np.uint8),
        rng.integers(0, 10, 20, dtype=np.uint8),
        rng.integers(0, 256, (8, 6, 6), dtype=np.uint8),
        rng.integers(0, 10, 8, dtype=np.uint8),
    ]
    files = {name: gzip.compress(_idx(a), mtime=0) for name, a in zip(FILES, arrays)}
    checksums = {name: {hashlib.md5(body).hexdigest(): "test"} for name, body in files.items()}
    return files, checksums, arrays


def _leftovers(folder):
    return sorted(
        p.name for p in folder.rglob("*") if p.name.endswith(".part") or p.name.startswith(".")
    )


def test_mirrors_are_tried_in_order_until_one_serves_a_good_file(tmp_path, tiny):
    files, checksums, arrays = tiny
    messages = []
    with serve(files) as (url, requests):
        mirrors = [f"{url}/missing", f"{url}/corrupt", f"{url}/drop", f"{url}/good"]
        folder, variants = dl.prepare_idx_dataset(
            "mnist", data_dir=tmp_path, mirrors=mirrors, checksums=checksums, log=messages.append
        )
    assert folder == tmp_path / "mnist"
    assert requests[:4] == [
        f"/{kind}/{FILES[0]}" for kind in ("missing", "corrupt", "drop", "good")
    ]
    # the mirror that worked is asked first for the remaining files
    assert requests[4:] == [f"/good/{name}" for name in FILES[1:]]
    assert variants == dict.fromkeys(FILES, "test")
    assert {p.name for p in folder.iterdir()} == set(FILES) and _leftovers(tmp_path) == []
    for name in FILES:
        assert (folder / name).read_bytes() == files[name]
    data = load_idx_folder(folder, name="mnist")
    np.testing.assert_array_equal(data.train.images, arrays[0])
    np.testing.assert_array_equal(data.test.labels, arrays[3])


def test_every_mirror_failing_says_what_to_do_and_leaves_nothing(tmp_path, tiny):
    files, checksums, _ = tiny
    with serve(files) as (url, requests):
        mirrors = [f"{url}/missing", f"{url}/corrupt", f"{url}/drop"]
        with pytest.raises(DigitlabError) as err:
            dl.prepare_idx_dataset(
                "mnist", data_dir=tmp_path, mirrors=mirrors, checksums=checksums, log=lambda m: None
            )
    message = str(err.value)
    assert "\n" not in message
    assert f"{url}/missing/{FILES[0]}: HTTP 404 Not Found" in message
    assert f"{url}/corrupt/{FILES[0]}: checksum mismatch (MD5 " in message
    assert f"{url}/drop/{FILES[0]}: connection dropped after " in message
    assert message.endswith(
        f"no network? put the four files in {tmp_path / 'mnist'} or set DIGITLAB_DATA"
    )
    assert not (tmp_path / "mnist").exists()  # the folder it made for the download is gone too
    assert len(requests) == 3  # it stops at the first file nobody can serve


def test_unreachable_and_silent_mirrors_time_out(tmp_path, tiny):
    files, checksums, _ = tiny
    with serve(files) as (url, _):
        start = time.perf_counter()
        mirrors = ["http://127.0.0.1:9/", f"{url}/slow", f"{url}/good"]  # port 9: nothing listens
        dl.prepare_idx_dataset(
            "mnist",
            data_dir=tmp_path,
            mirrors=mirrors,
            checksums=checksums,
            timeout=0.5,
            log=lambda m: None,
        )
        assert time.perf_counter() - start < SLOW_SECONDS + 2
        with pytest.raises(
            DigitlabError, match=r"slow/train-images-idx3-ubyte.gz: no answer within 0.5 s"
        ):
            dl.fetch_file(
                FILES[0],
                tmp_path / "again",
                [f"{url}/slow"],
                dl.accepted_md5s("train_images", "mnist", checksums),
                timeout=0.5,
                log=lambda m: None,
            )
    assert _leftovers(tmp_path) == []


def test_ctrl_c_mid_download_leaves_no_partial_file(tmp_path, tiny, monkeypatch):
    files, checksums, _ = tiny
    real_urlopen = urllib.request.urlopen

    def interrupted(*args, **kwargs):
        response = real_urlopen(*args, **kwargs)
        reads = iter(
            [lambda n: response.fp.read(8), lambda n: (_ for _ in ()).throw(KeyboardInterrupt)]
        )
        response.read = lambda n=-1: next(reads)(n)
        return response

    monkeypatch.setattr(urllib.request, "urlopen", interrupted)
    with serve(files) as (url, _), pytest.raises(KeyboardInterrupt):
        dl.prepare_idx_dataset(
            "mnist",
            data_dir=tmp_path,
            mirrors=[f"{url}/good"],
            checksums=checksums,
            log=lambda m: None,
        )
    assert list((tmp_path / "mnist").iterdir()) == []


def test_digitlab_data_env_sets_the_cache(tmp_path, tiny, monkeypatch):
    files, checksums, _ = tiny
    monkeypatch.setenv("DIGITLAB_DATA", str(tmp_path / "env"))
    assert dl.data_root() == tmp_path / "env"
    assert dl.data_root(tmp_path / "flag") == tmp_path / "flag"  # --data-dir beats the variable
    with serve(files) as (url, _):
        folder, _ = dl.prepare_idx_dataset(
            "mnist", mirrors=[f"{url}/good"], checksums=checksums, log=lambda m: None
        )
    assert folder == tmp_path / "env" / "mnist"
    monkeypatch.delenv("DIGITLAB_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert dl.data_root() == tmp_path / "home" / ".cache" / "digitlab"


def test_corrupt_cached_file_is_downloaded_again(tmp_path, tiny):
    files, checksums, _ = tiny
    cache = tmp_path / "mnist"
    cache.mkdir()
    for name, body in files.items():
        (cache / name).write_bytes(body)
    (cache / FILES[2]).write_bytes(files[FILES[2]][:-10])  # truncated earlier
    messages = []
    with serve(files) as (url, requests):
        dl.prepare_idx_dataset(
            "mnist",
            data_dir=tmp_path,
            mirrors=[f"{url}/good"],
            checksums=checksums,
            log=messages.append,
        )
    assert requests == [f"/good/{FILES[2]}"]  # the three good files are kept
    assert (cache / FILES[2]).read_bytes() == files[FILES[2]]
    assert "checksum does not match" in messages[0]


def test_bad_file_in_a_folder_you_keep_is_reported_not_replaced(tmp_path, tiny):
    files, checksums, _ = tiny
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
    (tmp_path / FILES[1]).write_bytes(b"not gzip")
    with pytest.raises(DigitlabError, match=f"{FILES[1]}: MD5 .* matches no known mnist file"):
        dl.prepare_idx_dataset(
            "mnist",
            data_dir=tmp_path,
            mirrors=["http://127.0.0.1:9/"],
            checksums=checksums,
            log=lambda m: None,
        )
    assert (tmp_path / FILES[1]).read_bytes() == b"not gzip"


def test_missing_files_without_download(tmp_path):
    with pytest.raises(DigitlabError, match="run `digitlab data download mnist`"):
        dl.load_idx_dataset("mnist", data_dir=tmp_path, download=False)


def test_shared_copy_is_a_known_local_variant(mnist_dir):
    folder, variants = dl.prepare_idx_dataset("mnist", data_dir=mnist_dir, download=False)
    assert folder == mnist_dir
    assert variants == {
        "train-images-idx3-ubyte.gz": "png-rebuild",
        "train-labels-idx1-ubyte.gz": "canonical",
        "t10k-images-idx3-ubyte.gz": "canonical",
        "t10k-labels-idx1-ubyte.gz": "canonical",
    }
    with pytest.raises(
        DigitlabError, match="this is mnist's train-images-idx3-ubyte.gz, not fashion-mnist's"
    ):
        dl.prepare_idx_dataset("fashion-mnist", data_dir=mnist_dir, download=False)


def test_real_manifest_accepts_canonical_downloads_only(tmp_path, mnist_dir):
    """Served the shared copy, the three canonical files download; its rebuilt train
    images are a local variant, which no mirror may serve."""
    files = {name: (mnist_dir / name).read_bytes() for name in FILES}
    with serve(files) as (url, _):
        with pytest.raises(DigitlabError, match="train-images-idx3-ubyte.gz: checksum mismatch"):
            dl.prepare_idx_dataset(
                "mnist", data_dir=tmp_path / "a", mirrors=[f"{url}/good"], log=lambda m: None
            )
        # with the variant already on disk, the rest comes from the mirror: the CLI, end to end
        (tmp_path / "b" / "mnist").mkdir(parents=True)
        shutil.copy(mnist_dir / FILES[0], tmp_path / "b" / "mnist" / FILES[0])
        assert (
            main(
                [
                    "data",
                    "download",
                    "mnist",
                    "--data-dir",
                    str(tmp_path / "b"),
                    "--mirror",
                    f"{url}/missing",
                    "--mirror",
                    f"{url}/good",
                ]
            )
            == 0
        )
    for name in FILES:
        assert (tmp_path / "b" / "mnist" / name).read_bytes() == files[name]
    assert _leftovers(tmp_path) == []


def test_cli_download_failure_is_one_line_exit_2(tmp_path, capsys):
    code = main(
        [
            "data",
            "download",
            "mnist",
            "--data-dir",
            str(tmp_path),
            "--mirror",
            "http://127.0.0.1:9/",
            "--timeout",
            "1",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("digitlab: error: could not download train-images-idx3-ubyte.gz (")
    assert err[-1].endswith("or set DIGITLAB_DATA")


def _zip_of(members: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    return buffer.getvalue()


def test_emnist_digits_come_out_of_the_archive(tmp_path, tiny):
    from digitlab.data.emnist import MEMBERS, load_emnist_digits, prepare_emnist_digits

    files, _, arrays = tiny
    members = {f"gzip/{m}": files[f] for m, f in zip(MEMBERS, FILES)}
    members["gzip/emnist-letters-train-labels-idx1-ubyte.gz"] = b"not wanted"
    archive = _zip_of(members)
    md5s = {hashlib.md5(archive).hexdigest()}
    with serve({"gzip.zip": archive}) as (url, requests):
        folder = prepare_emnist_digits(
            tmp_path, mirrors=[f"{url}/missing", f"{url}/good"], log=lambda m: None, md5s=md5s
        )
    assert requests == ["/missing/gzip.zip", "/good/gzip.zip"]
    assert folder == tmp_path / "emnist-digits"
    assert sorted(p.name for p in folder.iterdir()) == sorted(MEMBERS)  # zip gone, letters skipped
    data = load_emnist_digits(tmp_path, download=False)  # no network needed any more
    # EMNIST stores images column-major: the loader turns them upright
    np.testing.assert_array_equal(data.train.images, arrays[0].transpose(0, 2, 1))
    np.testing.assert_array_equal(data.test.labels, arrays[3])


def test_emnist_bad_archive_is_reported_and_removed(tmp_path):
    from digitlab.data.emnist import load_emnist_digits, prepare_emnist_digits

    with pytest.raises(DigitlabError, match="run `digitlab data download emnist-digits`"):
        load_emnist_digits(tmp_path, download=False)
    body = b"PK\x03\x04 not a zip at all"
    with (
        serve({"gzip.zip": body}) as (url, _),
        pytest.raises(DigitlabError, match="cannot extract"),
    ):
        prepare_emnist_digits(
            tmp_path,
            mirrors=[f"{url}/good"],
            log=lambda m: None,
            md5s={hashlib.md5(body).hexdigest()},
        )
    wrong = _zip_of({"gzip/other.gz": b""})
    with (
        serve({"gzip.zip": wrong}) as (url, _),
        pytest.raises(DigitlabError, match="has no emnist-digits-train-images-idx3-ubyte.gz"),
    ):
        prepare_emnist_digits(
            tmp_path,
            mirrors=[f"{url}/good"],
            log=lambda m: None,
            md5s={hashlib.md5(wrong).hexdigest()},
        )
    assert list((tmp_path / "emnist-digits").iterdir()) == []


def _killed_download(tmp_path, files, sig):
    """`digitlab data download mnist` in a subprocess, sent `sig` once its temporary file is being written.

    Returns (exit status, stderr, the files left in the data folder).
    """
    url_files = {name: body * 64 for name, body in files.items()}  # big enough to be caught midway
    with serve(url_files) as (url, _):
        process = subprocess.Popen(
            [sys.executable, "-m", "digitlab", "data", "download", "mnist", "--data-dir", str(tmp_path),
             "--mirror", f"{url}/stall"],
            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        folder = tmp_path / "mnist"
        deadline = time.monotonic() + 60
        while not (folder.is_dir() and any(p.name.endswith(".part") for p in folder.iterdir())):
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
            time.sleep(0.05)
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr, sorted(p.name for p in folder.iterdir())


def test_sigterm_mid_download_removes_the_temporary(tmp_path, tiny):
    status, stderr, left = _killed_download(tmp_path, tiny[0], signal.SIGTERM)
    assert status == 143 and stderr.strip().splitlines()[-1] == "digitlab: terminated"
    assert "Traceback" not in stderr and left == []


def test_a_killed_downloads_temporary_is_swept_by_the_next_run(tmp_path, tiny):
    """SIGKILL cannot be caught, so its .part stays; the next download clears it once it is stale."""
    files, checksums, _ = tiny
    status, _, left = _killed_download(tmp_path, files, signal.SIGKILL)
    assert status == -signal.SIGKILL and len(left) == 1 and left[0].endswith(".part")
    stale = tmp_path / "mnist" / left[0]
    with serve(files) as (url, _):
        dl.prepare_idx_dataset("mnist", data_dir=tmp_path, mirrors=[f"{url}/good"], checksums=checksums,
                               log=lambda m: None)
    assert stale.exists()  # written seconds ago: the rule waits a minute, in case its writer lives on
    old = time.time() - 120
    os.utime(stale, (old, old))
    with serve(files) as (url, _):
        dl.prepare_idx_dataset("mnist", data_dir=tmp_path, mirrors=[f"{url}/good"], checksums=checksums,
                               log=lambda m: None)
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(FILES)
