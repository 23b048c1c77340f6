"""Kaggle's "Digit Recognizer": train.csv and test.csv in, submission.csv out.

    train.csv        label,pixel0,...,pixel783    42,000 rows
    test.csv         pixel0,...,pixel783          28,000 rows
    submission.csv   ImageId,Label                one row per test row, ids from 1

The CSVs are read by `digitlab.data.csvfile.read_kaggle_csv`, which checks
them. The submission is built in memory, read back and checked (header, one
row per test image, ids 1..n in order, labels 0-9) before it is written, and
then written atomically, so a failed run never leaves a half-written or
malformed file where Kaggle would take it.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from digitlab.data.dataset import to_features
from digitlab.errors import DigitlabError
from digitlab.files import write_text

HEADER = "ImageId,Label"


def make_submission(test, output="submission.csv", train=None, model: str = "mlp", engine: str = "numpy",
                    params: dict | None = None, seed: int = 0, trust: bool = False, save_model=None,
                    log=print) -> dict:
    """Predict every row of `test` and write `output` as ImageId,Label.

    `model` is a saved model (a model .npz, a run folder or a W1.npy... weights
    folder), used as it is; or else a model name (`mlp`, `cnn`, `knn`, ...)
    that is trained on `train` first with `params` and `seed`, and saved to
    `save_model` when given. Returns a summary: rows written, the model, and
    the training (and, when test.csv has labels, test) accuracy.
    """
    from digitlab.data.csvfile import read_kaggle_csv

    test_split = read_kaggle_csv(test)
    summary = {"test": str(test), "output": str(output), "rows": len(test_split)}
    if Path(model).exists():
        estimator, source = _load(model, trust, test_split.shape), str(model)
    elif Path(model).suffix == ".npz" or "/" in str(model):
        raise DigitlabError(f"{model}: no such model file or folder")
    else:
        estimator = _train(train, model, engine, params, seed, test_split.shape, log, summary)
        source = f"{model} ({engine} engine) trained on {train}"
        if save_model:
            _save(estimator, save_model, train, model, seed, summary)
    summary["model"] = source
    start = time.perf_counter()
    labels = estimator.predict(to_features(test_split.images))
    summary["predict_seconds"] = time.perf_counter() - start
    text = submission_text(labels)
    check_submission(text, len(test_split), source=str(output))
    write_text(output, text)
    if test_split.labels is not None:  # a labelled "test" file (e.g. a hold-out): say how it scored
        summary["test_accuracy"] = float(np.mean(labels == test_split.labels))
    return summary


def submission_text(labels) -> str:
    """'ImageId,Label' then one 'i,label' line per prediction, ids from 1."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer) or np.any((labels < 0) | (labels > 9)):
        raise DigitlabError(f"predicted labels must be whole numbers 0-9, got {labels.dtype} "
                            f"{np.unique(labels)[:10].tolist()}; was the model trained on digits 0-9?")
    rows = (f"{i},{label}" for i, label in enumerate(labels.tolist(), start=1))
    return "\n".join([HEADER, *rows]) + "\n"


def check_submission(text: str, n_rows: int, source: str = "submission") -> None:
    """Raise unless `text` is a Kaggle submission for `n_rows` test rows."""
    lines = text.splitlines()
    if not lines or lines[0] != HEADER:
        raise DigitlabError(f"{source}: the first line must be {HEADER!r}")
    if len(lines) - 1 != n_rows:
        raise DigitlabError(f"{source}: {len(lines) - 1} rows for {n_rows} test images")
    for number, line in enumerate(lines[1:], start=1):
        image_id, sep, label = line.partition(",")
        if not sep or image_id != str(number) or len(label) != 1 or not label.isdigit():
            raise DigitlabError(f"{source}: line {number + 1} is {line!r}, expected '{number},<digit>'")


def _load(path, trust: bool, shape: tuple):
    from digitlab.models import load_model

    estimator, info = load_model(path, trust=trust)
    expected = tuple(info.get("input_shape", shape))
    if expected != tuple(shape):
        raise DigitlabError(f"{path}: the model takes {expected[0]}x{expected[1]} images; "
                            f"the test file has {shape[0]}x{shape[1]}")
    return estimator


def _train(train, model: str, engine: str, params, seed: int, shape: tuple, log, summary: dict):
    from digitlab.data.csvfile import read_kaggle_csv
    from digitlab.models import check_training_set, make_model

    if train is None:
        raise DigitlabError(f"{model!r} is not a saved model here; to train it, give --train train.csv")
    split = read_kaggle_csv(train)
    if split.labels is None:
        raise DigitlabError(f"{train}: has no 'label' column; the training file needs one")
    if split.shape != tuple(shape):
        raise DigitlabError(f"{train} has {split.shape[0]}x{split.shape[1]} images but the test file "
                            f"{shape[0]}x{shape[1]}")
    estimator = make_model(model, engine=engine, **(params or {}))
    if "random_state" in estimator.get_params(deep=False):
        estimator.set_params(random_state=seed)
    check_training_set(estimator, split.labels, str(train), n_features=math.prod(split.shape))
    X = to_features(split.images)
    log(f"fitting {model} ({engine}) on {len(X)} images from {train} ...")
    start = time.perf_counter()
    estimator.fit(X, split.labels)
    summary["fit_seconds"] = time.perf_counter() - start
    summary["train_rows"] = len(X)
    summary["train_accuracy"] = float(estimator.score(X, split.labels))
    summary["image_shape"] = list(split.shape)
    return estimator


def _save(estimator, path, train, model: str, seed: int, summary: dict) -> None:
    from digitlab.models import save_model

    info = {"input_shape": summary["image_shape"], "classes": np.asarray(estimator.classes_).tolist(),
            "dataset": str(train), "model": model, "seed": seed,
            "train_accuracy": summary["train_accuracy"]}
    if Path(path).suffix.lower() == ".npz":
        save_model(estimator, path, info=info)
    else:  # a folder: the learners' W1.npy, b1.npy, ... layout
        from digitlab.models.npydir import save_npy_dir

        save_npy_dir(estimator, path, info=info)
    summary["saved_model"] = str(path)
