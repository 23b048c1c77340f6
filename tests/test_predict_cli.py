"""`digitlab predict`, `read` and `inspect` end to end, through `digitlab.cli.main`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitlab.cli import main
from digitlab.data import synth


@pytest.fixture(scope="module")
def model_file(mnist_dir, tmp_path_factory):
    import digitlab.models.baselines  # noqa: F401  (registers the MLPClassifier codec)
    from digitlab.models.modelfile import save_model

    path = tmp_path_factory.mktemp("model") / "small.npz"
    return str(save_model(synth.small_model(str(mnist_dir)), path, info={"input_shape": [28, 28]}))


@pytest.fixture(scope="module")
def folder(mnist_dir, tmp_path_factory):
    """Five photos of MNIST test digits, a blank page and a file that is not an image."""
    root = tmp_path_factory.mktemp("photos")
    images = synth.read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz")[:5]
    labels = synth.read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz")[:5]
    for i, image in enumerate(images):
        Image.fromarray(255 - np.kron(image, np.ones((3, 3), np.uint8))).save(root / f"d{i}_{labels[i]}.png")
    Image.fromarray(np.full((50, 50), 230, np.uint8)).save(root / "blank.png")
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    return root


def test_predict_folder_reports_the_bad_file_and_reads_the_rest(model_file, folder, capsys):
    assert main(["predict", str(folder), "--model", model_file, "--csv"]) == 1
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 7
    by_name = {Path(r["file"]).name: r for r in rows}
    assert by_name["broken.jpg"]["status"] == "error" and "broken.jpg" in err and err.count("\n") == 2
    assert by_name["blank.png"]["status"] == "no digit" and by_name["blank.png"]["digit"] == ""
    digits = [r for name, r in by_name.items() if name.startswith("d")]
    # the name holds the label; a small model reads at least 4 of these 5 clean digits
    assert sum(r["digit"] == Path(r["file"]).stem.split("_")[1] for r in digits) >= 4


def test_predict_json_and_glob(model_file, folder, capsys):
    assert main(["predict", str(folder / "d*.png"), "--model", model_file, "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert len(items) == 5 and {"file", "digit", "status", "probability", "top3"} <= set(items[0])
    assert all(abs(sum(i["probabilities"]) - 1) < 1e-6 for i in items)


def test_predict_table(model_file, folder, capsys):
    assert main(["predict", str(folder / "d0_7.png"), "--model", model_file]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:4] == ["file", "digit", "status", "prob"] and row.split()[1] == "7"


def test_read_json(model_file, capsys, tmp_path, mnist_dir):
    images = synth.read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz")[:3]  # 7, 2, 1
    line = np.concatenate([np.pad(image, 6) for image in images], axis=1)
    Image.fromarray(255 - line).save(tmp_path / "line.png")
    assert main(["read", str(tmp_path / "line.png"), "--model", model_file, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["text"] == "721" and [d["digit"] for d in result["digits"]] == [7, 2, 1]
    xs = [d["box"][0] for d in result["digits"]]
    assert xs == sorted(xs)


def test_inspect_writes_the_figure(model_file, folder, tmp_path, capsys):
    out = tmp_path / "stages.png"
    assert main(["inspect", str(folder / "d0_7.png"), "-o", str(out), "--model", model_file]) == 0
    assert Image.open(out).size[0] > 600
    assert "stages written" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["read", "{folder}/broken.jpg"],
    ["inspect", "{folder}/broken.jpg", "-o", "{tmp}/x.png"],
    ["predict", "{folder}/nothing-*.png"],
    ["inspect", "{folder}/d0_7.png", "-o", "{tmp}/x.txt"],
])
def test_user_errors_are_one_line_and_exit_2(argv, model_file, folder, tmp_path, capsys):
    argv = [a.format(folder=folder, tmp=tmp_path) for a in argv] + ["--model", model_file]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("digitlab: error:") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "x.png").exists()
