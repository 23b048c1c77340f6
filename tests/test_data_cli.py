"""`digitlab data info|show|download`: numbers recomputed independently, one-line errors, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from digitlab.cli import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_info_digits_json_matches_scikit_learn(capsys):
    from sklearn.datasets import load_digits

    code, out, _ = _run(capsys, "data", "info", "digits", "--json")
    info = json.loads(out)
    assert code == 0 and info["name"] == "digits" and info["image_shape"] == [8, 8]
    bunch = load_digits()
    train, test = info["splits"]["train"], info["splits"]["test"]
    assert train["n"] + test["n"] == len(bunch.target) == 1797
    total = {d: train["class_counts"][str(d)] + test["class_counts"][str(d)] for d in range(10)}
    assert total == dict(enumerate(np.bincount(bunch.target).tolist()))
    # mean pixel of both splits together, recomputed from scikit-learn's 0-16 levels
    mean = (train["mean_pixel"] * train["n"] + test["mean_pixel"] * test["n"]) / 1797
    assert mean == pytest.approx(np.round(bunch.images * 255 / 16).mean() / 255, abs=1e-9)


def test_info_mnist_text(capsys, mnist_dir):
    code, out, _ = _run(capsys, "data", "info", "mnist", "--data-dir", str(mnist_dir))
    assert code == 0
    assert f"source: {mnist_dir} (MD5 verified: canonical, png-rebuild)" in out
    assert "train       60,000      0.1307" in out and "test        10,000      0.1325" in out
    assert "1           6,742  11.2%    1,135  11.3%" in out


def test_info_unlabelled_csv(tmp_path, capsys):
    path = tmp_path / "test.csv"
    path.write_text("pixel0,pixel1,pixel2,pixel3\n0,255,0,255\n0,0,0,0\n")
    code, out, _ = _run(capsys, "data", "info", str(path), "--json")
    info = json.loads(out)
    assert code == 0 and info["splits"]["train"]["n"] == 2 and "test" not in info["splits"]
    assert info["splits"]["train"]["mean_pixel"] == 0.25 and info["classes"] == []
    code, out, _ = _run(capsys, "data", "info", str(path))
    assert out.strip().endswith("no labels")


def test_show_writes_a_grid(tmp_path, capsys):
    out_path = tmp_path / "grid.png"
    code, out, _ = _run(capsys, "data", "show", "digits", "--n", "10", "-o", str(out_path))
    assert code == 0 and out.startswith(f"wrote {out_path}: 10 train images of digits")
    with Image.open(out_path) as im:
        width, height = im.size
        grey = np.asarray(im.convert("L"))
    assert (width, height) == (
        440,
        415,
    )  # 4 x 3 cells of 1.1 x 1.25 in, 0.4 in for the title, 100 dpi
    assert grey.min() < 50 and grey.max() > 200  # black cells with white digits were drawn
    code, _, _ = _run(
        capsys, "data", "show", "digits", "--split", "test", "-o", str(tmp_path / "g.svg")
    )
    assert code == 0 and (tmp_path / "g.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["data", "show", "digits", "--n", "0"], "--n 0: show between 1 and 400 images"),
        (["data", "show", "digits", "-o", "grid.xyz"], "grid.xyz: cannot write .xyz"),
        (["data", "info", "no-such-set"], "unknown dataset 'no-such-set'"),
    ],
)
def test_errors_are_one_line_exit_2(capsys, argv, message):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("digitlab: error: ") and message in err and err.count("\n") == 1


def test_wrong_dataset_in_folder(capsys, mnist_dir):
    code, _, err = _run(capsys, "data", "info", "fashion-mnist", "--data-dir", str(mnist_dir))
    assert code == 2 and "this is mnist's train-images-idx3-ubyte.gz, not fashion-mnist's" in err


def test_bad_csv_from_a_real_process(tmp_path):
    """The installed entry point: exit status 2 and one line on stderr, no traceback."""
    path = tmp_path / "train.csv"
    path.write_text("label,pixel0,pixel1,pixel2,pixel3\n3,0,0,0,0\n11,0,0,0,0\n")
    result = subprocess.run(
        [sys.executable, "-m", "digitlab", "data", "info", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"digitlab: error: {path} line 3: label 11 is outside 0-9\n"


def _bad_sources(tmp_path):
    """One broken dataset of each kind, and the words its error must contain."""
    csv = tmp_path / "bad.csv"
    csv.write_text("label,pixel0,pixel1,pixel2,pixel3\n3,0,0,0\n")
    npz = tmp_path / "bad.npz"
    np.savez(npz, images=np.zeros((3, 2, 2), np.uint8))
    idx = tmp_path / "idx"
    idx.mkdir()
    for name in ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte"):
        (idx / name).write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2]) + b"\0")
    for name in ("train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"):
        (idx / name).write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 1, 0]))
    images = tmp_path / "images"
    (images / "4").mkdir(parents=True)
    (images / "4" / "x.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    return [
        (csv, "bad.csv line 2: 4 values, expected 5"),
        (npz, "bad.npz: needs arrays 'images' and 'labels'"),
        (idx, "train-images-idx3-ubyte: truncated"),
        (images, "x.jpg: not an image Pillow can read"),
    ]


def test_every_kind_of_bad_file_is_one_line_exit_2(tmp_path, capsys):
    for path, message in _bad_sources(tmp_path):
        grid = str(tmp_path / "g.png")
        for argv in (["data", "info", str(path)], ["data", "show", str(path), "-o", grid]):
            code, out, err = _run(capsys, *argv)
            assert code == 2 and out == "", argv
            assert err.startswith("digitlab: error: ") and err.count("\n") == 1, err
            assert message in err, err
    assert not (tmp_path / "g.png").exists()
