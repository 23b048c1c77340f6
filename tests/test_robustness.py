"""`digitlab robustness`: scores checked by hand, every kind of model, the report, and bad input."""

from __future__ import annotations

import json
import zlib

import numpy as np
import pytest
from PIL import Image

from digitlab.cli import main
from digitlab.data import load_dataset, stratified_subsample, to_features
from digitlab.models import load_model, save_model
from digitlab.nn.estimators import MLPClassifier

N = 120
FEW = "brightness,gaussian-noise,bar"


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return load_dataset("mnist", data_dir=mnist_dir)


@pytest.fixture(scope="module")
def tiny_model(mnist, tmp_path_factory):
    """A small MLP trained here on 3,000 MNIST digits (a second or two), saved as a model file."""
    train = stratified_subsample(mnist.train, 3000, seed=0)
    model = MLPClassifier((32,), max_iter=4, learning_rate_init=3e-3, validation_fraction=0.0,
                          random_state=0).fit(to_features(train.images), train.labels)
    path = tmp_path_factory.mktemp("model") / "tiny.npz"
    save_model(model, path, {"input_shape": [28, 28], "classes": list(range(10)), "name": "tiny"})
    return path


@pytest.fixture(scope="module")
def folders(mnist, tmp_path_factory):
    """Two labelled folders of 30 MNIST test digits as dark-on-light PNGs: class sub-folders and a labels.csv."""
    root = tmp_path_factory.mktemp("folders")
    images, labels = mnist.test.images[-30:], mnist.test.labels[-30:]
    lines = ["file,label"]
    for i, (image, label) in enumerate(zip(images, labels)):
        (root / "classes" / str(label)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(255 - image).save(root / "classes" / str(label) / f"{i}.png")
        (root / "csv").mkdir(exist_ok=True)
        Image.fromarray(255 - image).save(root / "csv" / f"{i}.png")
        lines.append(f"{i}.png,{label}")
    (root / "csv" / "labels.csv").write_text("\n".join(lines) + "\n")
    return root / "classes", root / "csv"


def robustness(capsys, *args):
    code = main(["robustness", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_figures_match_an_independent_computation(capsys, tiny_model, mnist_dir, mnist):
    code, out, _ = robustness(capsys, tiny_model, "--n", N, "--seed", 3, "--corruptions", FEW,
                              "--data-dir", mnist_dir, "--json")
    assert code == 0
    card = json.loads(out)
    model, _ = load_model(tiny_model)
    sample = stratified_subsample(mnist.test, N, seed=3)
    x = sample.images.astype(np.float64) / 255

    def score(images):  # images float (N, 28, 28) in [0, 1]
        return float(np.mean(model.predict(images.reshape(N, -1).astype(np.float32)) == sample.labels))

    assert card["clean"] == pytest.approx(score(x))
    for s, b in ((1, 0.2), (2, 0.35), (3, 0.5)):  # grey paper: b + (1 - b) x, rounded to uint8
        grey = np.round((b + (1 - b) * x) * 255) / 255
        assert card["corruptions"]["brightness"]["accuracy"][str(s)] == pytest.approx(score(grey))
    rng = np.random.default_rng([3, zlib.crc32(b"gaussian-noise"), 2])  # the documented seeding
    noisy = np.round(np.clip(x + rng.normal(0, 0.16, x.shape), 0, 1) * 255) / 255
    assert card["corruptions"]["gaussian-noise"]["accuracy"]["2"] == pytest.approx(score(noisy))
    rows = card["corruptions"]
    for row in rows.values():
        assert row["mean"] == pytest.approx(np.mean(list(row["accuracy"].values())))
    assert card["families"]["noise"] == rows["gaussian-noise"]["mean"]
    assert card["mean"] == pytest.approx(np.mean([r["mean"] for r in rows.values()]))
    assert card["worst"]["mean"] == min(r["mean"] for r in rows.values())
    assert card["held_out_mean"] is None  # none of the three is held out
    assert (card["model"], card["n"], card["seed"], card["severities"]) == ("tiny", N, 3, [1, 2, 3])


def test_a_figure_does_not_depend_on_which_others_are_measured(tiny_model, mnist):
    from digitlab.evaluate.robustness import score_suite

    model, _ = load_model(tiny_model)
    sample = stratified_subsample(mnist.test, 60, seed=0)

    def fog_at_3(names, severities, seed):  # (accuracy, the example digits as damaged)
        card = score_suite(model, sample.images, sample.labels, names, severities, seed, examples=True)
        return card["corruptions"]["fog"]["accuracy"][3], card["examples"]["images"]["fog"][-1]

    alone, among = fog_at_3(["fog"], (3,), 5), fog_at_3(["zigzag", "fog", "bar"], (1, 2, 3), 5)
    assert alone[0] == among[0] and np.array_equal(alone[1], among[1])
    assert not np.array_equal(fog_at_3(["fog"], (3,), 6)[1], alone[1])  # the seed does matter


def test_table_report_and_folders(capsys, tmp_path, tiny_model, mnist_dir, folders):
    report = tmp_path / "out" / "card.html"
    code, out, _ = robustness(capsys, tiny_model, "--n", N, "--corruptions", FEW, "--severities",
                              "1,3", "--data-dir", mnist_dir, "--data", *folders, "-o", report)
    assert code == 0
    assert "gaussian-noise" in out and "sev 3" in out and "sev 2" not in out
    assert "folder classes: 30 images" in out and "folder csv: 30 images" in out
    html = report.read_text()
    for key in ("fig-families", "fig-corruptions", "id='corruptions'", "id='folders'",
                "fig-examples-brightness", "fig-examples-bar"):
        assert key in html
    assert "<script" not in html and "src='http" not in html  # one self-contained file
    assert [p.name for p in report.parent.iterdir()] == ["card.html"]  # no temporary file left


def test_folders_score_through_the_reading_path(capsys, tiny_model, mnist_dir, folders):
    from digitlab.read.reader import Reader

    code, out, _ = robustness(capsys, tiny_model, "--n", 20, "--corruptions", "bar", "--data-dir",
                              mnist_dir, "--data", *folders, "--json")
    assert code == 0
    by_folder = {f["folder"]: f for f in json.loads(out)["folders"]}
    reader = Reader.load(str(tiny_model))
    files = sorted(folders[1].glob("*.png"), key=lambda p: int(p.stem))
    truth = [int(line.split(",")[1]) for line in (folders[1] / "labels.csv").read_text().split()[1:]]
    digits = [p.digit for p in (reader.predict_image(f) for f in files)]
    expected = np.mean([d == t for d, t in zip(digits, truth)])
    assert by_folder["csv"]["accuracy"] == pytest.approx(expected)
    assert by_folder["classes"]["accuracy"] == pytest.approx(expected)  # the same pictures


@pytest.mark.parametrize("model", ["numpy-mlp-512", "torch-cnn-64-128-robust", "ensemble"])
def test_shipped_names_torch_trained_files_and_ensembles(capsys, tmp_path, model, tiny_model,
                                                         mnist_dir):
    if model == "ensemble":
        from digitlab.models.ensemble import EnsembleClassifier

        members = [load_model(tiny_model)[0], load_model(tiny_model)[0]]
        model = save_model(EnsembleClassifier.from_fitted(members), tmp_path / "ens.npz",
                           {"input_shape": [28, 28], "name": "ens"})
    code, out, _ = robustness(capsys, model, "--n", 20, "--corruptions", "fog", "--severities", "1",
                              "--data-dir", mnist_dir, "--json")
    assert code == 0
    assert json.loads(out)["clean"] >= 0.8


def _assert_one_line_error(capsys, tmp_path, *args, match: str):
    report = tmp_path / "never.html"
    code, out, err = robustness(capsys, *args, "-o", report)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and match in err, err
    assert not report.exists() and list(tmp_path.iterdir()) == []


def test_a_missing_model_is_one_line_and_writes_nothing(capsys, tmp_path, mnist_dir):
    _assert_one_line_error(capsys, tmp_path, tmp_path / "nope.npz", "--data-dir", mnist_dir,
                           match="no such model")


def test_a_model_file_that_cannot_be_read_is_one_line(capsys, tmp_path, mnist_dir):
    bad = tmp_path / "models" / "bad.npz"
    bad.parent.mkdir()
    bad.write_bytes(b"not a zip file")
    code, out, err = robustness(capsys, bad, "--data-dir", mnist_dir, "-o", tmp_path / "r.html")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "bad.npz" in err
    assert not (tmp_path / "r.html").exists()


def test_a_missing_or_unlabelled_folder_is_one_line(capsys, tmp_path, tiny_model, mnist_dir):
    _assert_one_line_error(capsys, tmp_path, tiny_model, "--data", tmp_path / "gone", "--data-dir",
                           mnist_dir, match="no such folder")
    bare = tmp_path / "bare"
    bare.mkdir()
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(bare / "a.png")
    code, _, err = robustness(capsys, tiny_model, "--data", bare, "--data-dir", mnist_dir)
    assert code == 2 and "no labelled images" in err and len(err.strip().splitlines()) == 1
    (bare / "labels.csv").write_text("file,label\na.png,x\n")
    code, _, err = robustness(capsys, tiny_model, "--data", bare, "--data-dir", mnist_dir)
    assert code == 2 and "label must be a digit" in err


@pytest.mark.parametrize("flag, value, match", [("--corruptions", "fog,haze", "unknown corruption haze"),
                                                ("--severities", "2,4", "severities must be from")])
def test_unknown_corruptions_and_severities_are_one_line(capsys, tmp_path, tiny_model, flag, value,
                                                         match):
    _assert_one_line_error(capsys, tmp_path, tiny_model, flag, value, match=match)


def test_a_folder_as_the_report_name_is_refused_before_scoring(capsys, tmp_path, tiny_model):
    code, _, err = robustness(capsys, tiny_model, "-o", tmp_path)
    assert code == 2 and "is a folder" in err and list(tmp_path.iterdir()) == []


def test_a_model_for_other_image_sizes_is_refused(capsys, tmp_path, digits):
    X, y, _, _ = digits
    small = save_model(MLPClassifier((8,), max_iter=2, validation_fraction=0.0).fit(X, y),
                       tmp_path / "m" / "digits.npz", {"input_shape": [8, 8]})
    code, _, err = robustness(capsys, small)
    assert code == 2 and "28x28" in err and len(err.strip().splitlines()) == 1
