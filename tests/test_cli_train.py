"""The train/evaluate pipeline end to end on the embedded digits data."""

import json

import numpy as np
import pytest

from digitlab.cli import main
from digitlab.errors import DigitlabError
from digitlab.models import load_model, make_model
from digitlab.runs import train


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

    monkeypatch.setattr("digitlab.runs.save_model", broken_save)
    with pytest.raises(OSError, match="disk full"):
        train(model="knn", runs_dir=tmp_path, log=lambda _: None)
    assert list(tmp_path.iterdir()) == []


def test_evaluate_rejects_other_image_size(tmp_path, capsys, mnist_dir):
    train(model="knn", runs_dir=tmp_path, run_name="k", log=lambda _: None)
    assert main(["evaluate", str(tmp_path / "k"), "--dataset", "mnist", "--data-dir", str(mnist_dir)]) == 2
    assert "8x8" in capsys.readouterr().err
