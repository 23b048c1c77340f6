"""One meaning per setting: every engine takes its defaults and valid values from `digitlab.nn.settings`,
checks them in `fit`, and the CLI refuses a bad or unhonoured setting before any work, in one line."""

from __future__ import annotations

import inspect
import io
import re

import numpy as np
import pytest

from digitlab.cli import main
from digitlab.errors import DigitlabError
from digitlab.models import load_model
from digitlab.nn import settings as S
from digitlab.nn.estimators import CNNClassifier, LeNet5Classifier, MLPClassifier
from digitlab.nn.schedules import learning_rate
from digitlab.progress import Progress


def estimator_classes():
    classes = {"numpy": [MLPClassifier, CNNClassifier, LeNet5Classifier]}
    try:
        from digitlab.torch_engine.estimator import TorchNetClassifier

        classes["torch"] = [TorchNetClassifier]
    except ImportError:
        pass
    from digitlab.keras_engine.estimator import KerasNetClassifier

    classes["keras"] = [KerasNetClassifier]
    return [(engine, cls) for engine, found in classes.items() for cls in found]


@pytest.mark.parametrize("engine, cls", estimator_classes(), ids=lambda x: getattr(x, "__name__", x))
def test_every_estimator_takes_the_tables_defaults_and_only_the_settings_its_engine_honours(engine, cls):
    signature = inspect.signature(cls.__init__).parameters
    own_defaults = {"CNNClassifier": {"hidden_layer_sizes", "dropout"}}.get(cls.__name__, set())  # the cnn's own
    for name, setting in S.SETTINGS.items():
        if name in signature and name not in own_defaults:
            assert signature[name].default == setting.default, (cls.__name__, name)
        if engine not in setting.engines:
            assert name not in signature, f"{cls.__name__} takes {name}, which the table says {engine} cannot honour"
    shared = {n for n, s in S.SETTINGS.items() if s.engines == S.ENGINES} - {"channels", "hidden_layer_sizes",
                                                                            "activation", "dropout", "init"}
    assert shared <= set(signature), shared - set(signature)


@pytest.mark.parametrize("name, bad", [("learning_rate_init", -1.0), ("learning_rate_init", float("nan")),
                                       ("dropout", 1.5), ("alpha", -1.0), ("momentum", 1.0), ("max_iter", 0),
                                       ("batch_size", 0), ("augment", 1), ("solver", "lbfgs"),
                                       ("schedule", "warm"), ("validation_fraction", 1.0), ("verbose", -1)])
def test_numpy_estimators_refuse_bad_settings_in_fit_naming_the_valid_range(digits, name, bad):
    X, y, _, _ = digits
    with pytest.raises(ValueError, match=re.escape(f"{name} must be {S.SETTINGS[name].valid}")):
        MLPClassifier((4,), **{"max_iter": 1, name: bad}).fit(X[:40], y[:40])


@pytest.mark.parametrize("args, message", [
    (["--lr", "-1"], "--lr must be a finite number > 0, got -1.0"),
    (["--dropout", "1.5"], r"--dropout must be a rate in [0, 1), got 1.5"),
    (["--alpha", "-1"], "--alpha must be a finite number >= 0, got -1.0"),
    (["--engine", "torch", "--nproc", "0"], "--nproc must be a whole number >= 1, got 0"),
    (["--augment", "1"], "--augment must be one of none, shift, affine, elastic, robust, got '1'"),
    (["--augment", "affine"], "--augment 'affine': the numpy engine cannot honour it (torch can)"),
    (["--engine", "keras", "--augment", "robust"], "the keras engine cannot honour it (torch can)"),
    (["--label-smoothing", "0.1"], "--label-smoothing: the numpy engine cannot honour it (torch can)"),
    (["--engine", "keras", "--nproc", "2"], "--nproc: the keras engine cannot honour it (torch can)"),
    (["--engine", "torch", "--validation-fraction", "0.2"], "the torch engine cannot honour it (numpy, keras can)"),
    (["--epochs", "0"], "--epochs must be a whole number >= 1 or 'auto', got 0"),
    (["--model", "knn", "--engine", "torch"], "knn is a scikit-learn baseline: the torch engine does not build it"),
])
def test_cli_refuses_a_bad_or_unhonoured_setting_in_one_line_before_any_work(tmp_path, capsys, args, message):
    argv = ["train", "--model", "mlp", "--runs-dir", str(tmp_path)] + args
    if "--model" in args:
        argv = ["train", "--runs-dir", str(tmp_path)] + args
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not any(tmp_path.iterdir())


def test_augment_means_a_name_in_every_engine(tmp_path, capsys):
    """`--augment 1` was a pixel count to numpy and a TypeError to the CLI; shift is up to 2 px of 28."""
    assert main(["train", "--model", "mlp", "--hidden", "8", "--epochs", "1", "--augment", "shift", "--quiet",
                 "--runs-dir", str(tmp_path), "--name", "s", "--json"]) == 0
    model, _ = load_model(tmp_path / "s")
    assert model.get_params()["augment"] == "shift"
    assert [S.shift_pixels("shift", side) for side in (8, 28, 56)] == [1, 2, 4]
    assert S.shift_pixels("none", 28) == 0


def test_files_written_before_the_table_load_with_its_names():
    """The shipped numpy CNN stored `dense=128` and `augment=0`; the MLP `augment=2` (pixels)."""
    from digitlab.models.pretrained import load_pretrained

    cnn, _ = load_pretrained("numpy-cnn-16-32-3ep")
    mlp, _ = load_pretrained("numpy-mlp-512")
    assert cnn.get_params()["hidden_layer_sizes"] == (128,) and cnn.get_params()["augment"] == "none"
    assert mlp.get_params()["augment"] == "shift"
    S.check(cnn.get_params(), "numpy")
    S.check(mlp.get_params(), "numpy")


def test_torch_step_and_constant_schedules_follow_the_numpy_curve():
    torch = pytest.importorskip("torch")
    from digitlab.torch_engine.loop import TrainConfig, make_schedule

    for name in ("step", "cosine", "constant"):
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        schedule = make_schedule(opt, TrainConfig(lr=0.1, schedule=name), total_steps=20)
        rates = []
        for _ in range(20):
            rates.append(opt.param_groups[0]["lr"])
            opt.step()
            schedule.step()
        np.testing.assert_allclose(rates, [learning_rate(name, 0.1, t / 20) for t in range(20)], rtol=1e-6)


def test_progress_is_a_line_per_step_off_a_terminal_and_nothing_when_quiet():
    out = io.StringIO()
    with Progress(3, "training", verbose=1, inner=5, file=out) as progress:
        for epoch in range(3):
            progress.advance(5)
            progress.step(loss=0.5 / (epoch + 1))
    lines = out.getvalue().splitlines()
    assert [line.split("(")[0].strip() for line in lines] == [
        "training: epoch 1/3  loss 0.5000", "training: epoch 2/3  loss 0.2500", "training: epoch 3/3  loss 0.1667"]
    quiet = io.StringIO()
    with Progress(3, "training", verbose=0, file=quiet) as progress:
        progress.step(loss=1.0)
    assert quiet.getvalue() == ""


def test_train_shows_progress_unless_quiet(tmp_path, capsys):
    base = ["train", "--model", "mlp", "--hidden", "8", "--epochs", "3", "--runs-dir", str(tmp_path), "--json"]
    assert main([*base, "--name", "a"]) == 0
    epochs = [line for line in capsys.readouterr().err.splitlines() if line.startswith("training: epoch")]
    assert [line.split()[2] for line in epochs] == ["1/3", "2/3", "3/3"]
    assert main([*base, "--name", "b", "--quiet"]) == 0
    assert "training:" not in capsys.readouterr().err


def test_a_setting_check_names_the_valid_values_for_each_engine():
    with pytest.raises(DigitlabError, match="the keras engine takes none or shift"):
        S.check({"augment": "elastic"}, "keras")
    S.check({"augment": "elastic"}, "torch")
    S.check({"architecture": "anything", "n_neighbors": 3}, "numpy")  # not the table's: left to the estimator


@pytest.mark.parametrize("argv, message", [
    (["--model", "sk-mlp", "--param", "learning_rate_init=-1"], "'learning_rate_init' parameter of MLPClassifier"),
    (["--model", "knn", "--param", "n_neighbors=0"], "'n_neighbors' parameter of KNeighborsClassifier"),
    (["--model", "mlp", "--param", "momentum=2"], "momentum must be a number in [0, 1), got 2"),
])
def test_a_param_out_of_range_is_refused_when_the_model_is_made(tmp_path, capsys, argv, message):
    """--param bypasses the flags' checks: make_model checks every value (scikit-learn's baselines
    too, which scikit-learn itself checks only in fit), before the data is loaded."""
    assert main(["train", "--runs-dir", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    from digitlab.models import make_model

    with pytest.raises(DigitlabError, match="learning_rate_init must be a finite number > 0"):
        make_model("mlp", engine="keras", learning_rate_init=0.0)


def test_cross_validation_shows_each_fold_and_scores_as_scikit_learn_does(digits, capsys):
    """The folds run through our own loop (for the progress); scikit-learn's cross_validate is the oracle."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.model_selection import cross_validate as sk_cross_validate

    from digitlab.evaluate.compare import cross_validate

    X, y, _, _ = digits
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    ours = cross_validate(LogisticRegression(max_iter=300), X[:300], y[:300], folds, 1, "logreg", verbose=1)
    theirs = sk_cross_validate(LogisticRegression(max_iter=300), X[:300], y[:300], cv=folds,
                               return_train_score=True)
    np.testing.assert_allclose(ours["test_score"], theirs["test_score"])
    np.testing.assert_allclose(ours["train_score"], theirs["train_score"])
    lines = capsys.readouterr().err.splitlines()
    assert [line.split("  ")[0] for line in lines] == [f"cross-validating logreg: fold {i}/3" for i in (1, 2, 3)]
