"""The train/evaluate pipeline end to end on the embedded digits data."""

import json

import numpy as np
import pytest

from digitlab.cli import main
from digitlab.errors import DigitlabError
from digitlab.evaluate.runs import train
from digitlab.models import load_model, make_model


def test_train_knn_on_digits_writes_a_complete_run(tmp_path, capsys):
    assert main(["train", "--model", "knn", "--runs-dir", str(tmp_path), "--name", "r", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    run = tmp_path / "r"
    assert {p.name for p in run.iterdir()} >= {"settings.json", "metrics.json", "model.npz",
                                               "predictions.npz", "report.html"}
    assert summary["metrics"]["test"]["accuracy"] > 0.97
    # the stored predictions reproduce the stored metrics
    with np.load(run / "predictions.npz", allow_pickle=False) as p:
        predicted = p["classes"][p["proba"].argmax(1)]
        assert np.mean(predicted == p["labels"]) == pytest.approx(summary["metrics"]["test"]["accuracy"])
        confusion = np.zeros((10, 10), int)
        np.add.at(confusion, (p["labels"], predicted), 1)
    assert confusion.tolist() == summary["metrics"]["test"]["confusion_matrix"]


@pytest.mark.parametrize("name", ["knn", "logreg", "sk-mlp"])
def test_pickle_free_baselines_round_trip(tmp_path, name):
    summary = train(model=name, runs_dir=tmp_path, run_name=name, log=lambda _: None)
    model, info = load_model(tmp_path / name)
    from digitlab.data import load_dataset, to_features

    X = to_features(load_dataset("digits").test.images)
    with np.load(tmp_path / name / "predictions.npz") as p:
        np.testing.assert_allclose(model.predict_proba(X), p["proba"], rtol=1e-5, atol=1e-6)
    assert info["test_accuracy"] == summary["metrics"]["test"]["accuracy"]


def test_pickled_baseline_needs_trust(tmp_path, capsys):
    train(model="forest", runs_dir=tmp_path, run_name="f", log=lambda _: None)
    with pytest.raises(DigitlabError, match="--trust"):
        load_model(tmp_path / "f")
    assert main(["evaluate", str(tmp_path / "f")]) == 2
    assert "--trust" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "f"), "--trust", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] > 0.9


def test_unknown_model_and_parameter_are_one_line_errors(capsys):
    assert main(["train", "--model", "nope"]) == 2
    assert main(["train", "--model", "knn", "--param", "bogus=1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "nope" in err[0] and "bogus" in err[1]
    with pytest.raises(DigitlabError):
        make_model("knn", bogus=1)


def test_failed_run_leaves_no_folder(tmp_path, monkeypatch):
    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("digitlab.evaluate.runs.save_model", broken_save)
    with pytest.raises(OSError, match="disk full"):
        train(model="knn", runs_dir=tmp_path, log=lambda _: None)
    assert list(tmp_path.iterdir()) == []


def test_evaluate_rejects_other_image_size(tmp_path, capsys, mnist_dir):
    train(model="knn", runs_dir=tmp_path, run_name="k", log=lambda _: None)
    assert main(["evaluate", str(tmp_path / "k"), "--dataset", "mnist", "--data-dir", str(mnist_dir)]) == 2
    assert "8x8" in capsys.readouterr().err


# -- an architecture file as the model -----------------------------------------

TINY_CNN = {"input_shape": [1, 8, 8], "layers": [
    {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": 1}, {"type": "relu"},
    {"type": "maxpool2d"}, {"type": "flatten"}, {"type": "dense", "units": 10}]}


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_train_an_architecture_file(tmp_path, capsys, engine):
    if engine == "torch":
        pytest.importorskip("torch")
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY_CNN))
    runs = tmp_path / "runs"
    assert main(["train", "--model", str(path), "--engine", engine, "--epochs", "8", "--lr", "0.01",
                 "--runs-dir", str(runs), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    (run,) = runs.iterdir()
    assert run.name.startswith("digits-tiny-")  # the file's stem, not its path
    assert summary["settings"]["params"]["architecture"]["layers"][0]["filters"] == 8
    assert summary["metrics"]["test"]["accuracy"] > 0.85
    model, _ = load_model(run)
    assert model.architecture_["input_shape"] == [1, 8, 8]


@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("text, message", [
    ("{not json", "not a JSON architecture"),
    (json.dumps({"input_shape": [1, 8, 8], "layers": [{"type": "dense3"}]}), "unknown type 'dense3'"),
    (json.dumps({**TINY_CNN, "input_shape": [1, 28, 28]}), "takes 784 features"),
    (json.dumps({**TINY_CNN, "layers": TINY_CNN["layers"][:-1] + [{"type": "dense", "units": 3}]}),
     "3,), but there are 10 classes"),
])
def test_a_bad_architecture_file_is_one_clear_error_and_writes_nothing(tmp_path, capsys, engine, text, message):
    if engine == "torch":
        pytest.importorskip("torch")
    path = tmp_path / "bad.json"
    path.write_text(text)
    runs = tmp_path / "runs"
    assert main(["train", "--model", str(path), "--engine", engine, "--runs-dir", str(runs)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1 and message in errors[0]
    assert not runs.exists() or list(runs.iterdir()) == []


def test_a_missing_architecture_file_is_named():
    with pytest.raises(DigitlabError, match="missing.json: cannot read"):
        make_model("missing.json")


def test_the_example_architecture_is_the_deotte_cnn():
    from digitlab.nn.architecture import count_params, load, output_shapes

    arch = load("examples/deotte-cnn.json")
    assert count_params(arch) == 326_410 and output_shapes(arch)[-1] == (10,)
