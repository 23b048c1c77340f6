"""A training run: load data, fit a model, score it, and keep everything in a run folder.

    runs/<name>/
        settings.json     what was asked for: dataset, model, engine, parameters, seed
        model.npz         the fitted model (see models/modelfile.py)
        metrics.json      train and test scores, fit and predict seconds, parameter count
        history.json      per-epoch history, for models that record one (`history_`)
        predictions.npz   test images, labels and predicted probabilities
        report.html       the run report, rebuilt any time by `digitlab report RUN`

The folder is written under a temporary name and renamed when complete, so a
run that fails or is interrupted leaves no half-written folder behind.
"""

from __future__ import annotations

import math
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from digitlab import __version__
from digitlab.data import load_dataset, stratified_subsample, to_features
from digitlab.errors import DigitlabError
from digitlab.evaluate.metrics import classification_metrics
from digitlab.evaluate.results import RunResult
from digitlab.files import atomic_dir, write_json
from digitlab.models import check_training_set, make_model, save_model
from digitlab.models.size import count_parameters

TRAIN_SCORE_SIZE = 10_000


def train(dataset: str = "digits", model: str = "knn", engine: str = "numpy", data_dir=None,
          seed: int = 0, subsample: int | None = None, runs_dir="runs", run_name: str | None = None,
          params: dict | None = None, log=print) -> dict:
    """Train `model` on `dataset`'s train split, score it on the test split, write a run folder.

    Returns the summary that `digitlab train --json` prints: the run folder,
    settings and metrics (a dict that a notebook shows as a table).
    """
    estimator = make_model(model, engine=engine, **(params or {}))  # a bad setting fails before any loading
    data = load_dataset(dataset, data_dir=data_dir)
    if data.test is None or data.test.labels is None:
        raise DigitlabError(f"{dataset}: has no labelled test split to score on")
    train_split = stratified_subsample(data.train, subsample, seed) if subsample is not None else data.train
    if "random_state" in estimator.get_params(deep=False):
        estimator.set_params(random_state=seed)
    check_training_set(estimator, train_split.labels, dataset, n_features=math.prod(data.image_shape))
    settings = {"dataset": dataset, "dataset_name": data.name,
                "data_dir": str(data_dir) if data_dir else None, "model": model, "engine": engine, "seed": seed,
                "subsample": subsample, "image_shape": list(data.image_shape),
                "params": estimator.get_params(deep=False), "digitlab": __version__,
                "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "command": " ".join(["digitlab", *sys.argv[1:]]) if sys.argv[0].endswith("digitlab") else None}

    X_train, y_train = to_features(train_split.images), train_split.labels
    X_test, y_test = to_features(data.test.images), data.test.labels
    log(f"fitting {model} on {len(X_train)} {data.name} images {data.image_shape[0]}x{data.image_shape[1]} ...")
    start = time.perf_counter()
    estimator.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    if int(os.environ.get("RANK", "0")) != 0:  # under torchrun, rank 0 alone scores and writes the run
        return RunResult(run=None, settings=settings, metrics=None)

    start = time.perf_counter()
    test_proba = estimator.predict_proba(X_test)
    predict_seconds = time.perf_counter() - start
    # train accuracy on at most TRAIN_SCORE_SIZE images: enough to show over-fitting, and
    # k-NN on all 60,000 MNIST train images would take longer than the fit itself
    scored = stratified_subsample(train_split, TRAIN_SCORE_SIZE, seed)
    train_proba = estimator.predict_proba(to_features(scored.images))
    classes = estimator.classes_
    metrics = {
        "test": classification_metrics(y_test, test_proba, classes),
        "train": classification_metrics(scored.labels, train_proba, classes),
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        "predict_images_per_second": len(X_test) / max(predict_seconds, 1e-9),
        "n_params": count_parameters(estimator),
    }
    info = {"input_shape": list(data.image_shape), "classes": np.asarray(classes).tolist(),
            "dataset": data.name, "model": model, "seed": seed,
            "test_accuracy": metrics["test"]["accuracy"]}
    run_dir = _write_run(Path(runs_dir), run_name or _default_name(data.name, model),
                         settings, metrics, estimator, info,
                         predictions={"images": data.test.images, "labels": y_test,
                                      "proba": test_proba.astype(np.float32), "classes": classes})
    return RunResult(run=str(run_dir), settings=settings, metrics=metrics)


def _default_name(dataset: str, model: str) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{Path(dataset).stem}-{Path(model).stem}-{stamp}"  # a model may be an architecture file


def _write_run(runs_dir: Path, name: str, settings, metrics, estimator, info, predictions) -> Path:
    final = runs_dir / name
    if final.exists():
        raise DigitlabError(f"{final}: a run folder with this name exists already")
    with atomic_dir(final) as tmp:
        write_json(tmp / "settings.json", settings)
        write_json(tmp / "metrics.json", metrics)
        if getattr(estimator, "history_", None):
            write_json(tmp / "history.json", estimator.history_)
        save_model(estimator, tmp / "model.npz", info=info)
        np.savez_compressed(tmp / "predictions.npz", **predictions)
        from digitlab.report import write_run_report

        write_run_report(tmp)
    return final
