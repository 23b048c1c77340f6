"""Compare models by stratified k-fold cross-validation.

Every model is scored on the same folds of the same images: scikit-learn's
`cross_validate` with a seeded `StratifiedKFold`, folds fitted in parallel
through joblib (local processes, or a Dask cluster's workers: cluster.py).
Cross-validation runs on the dataset's *train* split (or a stratified
subsample of it), so the official test split stays unseen.

A candidate is a `Candidate(label, model, params)`: `make_model(model, **params)`
shown as `label`. Each result row keeps the per-fold numbers, so tables show
mean ± std and tests can recompute them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from digitlab.data import load_dataset, stratified_subsample, to_features
from digitlab.errors import DigitlabError
from digitlab.evaluate.cluster import retrying
from digitlab.models import make_model, model_names
from digitlab.models.size import count_parameters
from digitlab.progress import Progress

DEFAULT_MODELS = ("knn", "logreg", "svm", "forest", "sk-mlp", "mlp", "cnn")

# The comparison pins the numpy networks' training budget instead of using their automatic one
# ("auto" epochs aim at ~2,000 updates): the CNN would take minutes per fold, and pinned
# settings keep the table reproducible (measured on digits: BENCHMARKS.md, "Compare").
# `--param mlp.max_iter=10` (or any other) overrides these.
COMPARE_PARAMS = {
    "mlp": {"batch_size": 32, "max_iter": 40},
    "cnn": {"batch_size": 128, "max_iter": 10, "learning_rate_init": 0.005},
}


@dataclass(frozen=True)
class Candidate:
    """One model to cross-validate: `make_model(model, engine, **params)`, shown as `label`."""

    label: str
    model: str
    params: dict = field(default_factory=dict)
    engine: str = "numpy"


def load_cv_data(dataset: str = "digits", data_dir=None, subsample: int | None = None,
                 seed: int = 0):
    """Features and labels to cross-validate on: X float32 (n, H*W), y int64 (n,), and the Dataset."""
    data = load_dataset(dataset, data_dir=data_dir)
    if data.train.labels is None:
        raise DigitlabError(f"{dataset}: its train split has no labels to cross-validate on")
    split = stratified_subsample(data.train, subsample, seed) if subsample is not None else data.train
    return to_features(split.images), split.labels, data


def parse_models(text: str | list[str], engine: str = "numpy", params: dict | None = None) -> list[Candidate]:
    """'knn,logreg,mlp' -> candidates; an unknown name is a one-line error.

    params : {model name: {parameter: value}}, laid over `COMPARE_PARAMS`.
    """
    names = [n.strip() for n in text.split(",")] if isinstance(text, str) else list(text)
    names = [n for n in names if n]
    if not names:
        raise DigitlabError("--models: give at least one model name, e.g. knn,logreg,mlp")
    known = set(model_names(engine))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise DigitlabError(f"--models: unknown model(s) {', '.join(unknown)}; "
                            f"choose from {', '.join(sorted(known))}")
    params = params or {}
    stray = sorted(set(params) - set(names))
    if stray:
        raise DigitlabError(f"--param: {', '.join(stray)} is not among the compared models ({', '.join(names)})")
    candidates = []
    for n in names:
        valid = make_model(n, engine=engine).get_params(deep=False)
        # another engine's network may not take every numpy setting: keep those it does
        settings = {k: v for k, v in COMPARE_PARAMS.get(n, {}).items() if k in valid}
        candidates.append(Candidate(n, n, {**settings, **params.get(n, {})}, engine))
        make_model(n, engine=engine, **candidates[-1].params)  # a bad --param fails now, not minutes later
    return candidates


def cross_validate_candidates(candidates, X, y, cv: int = 4, seed: int = 0, n_jobs: int | None = -1,
                              log=None) -> list[dict]:
    """Cross-validate each candidate on the same seeded stratified folds.

    Parameters
    ----------
    candidates : list of Candidate
    X : float32 (n, H*W); y : int64 (n,)
    cv : number of folds (at least 2, at most the size of the smallest class)
    n_jobs : folds fitted in parallel by joblib (-1: every core); inside `cluster.on_cluster`
        the Dask workers take them all

    Returns one row per candidate, see `_row`.
    """
    from sklearn.model_selection import StratifiedKFold

    check_folds(cv, y)
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    return [cross_validate_one(c, X, y, folds, seed, n_jobs, log) for c in candidates]


def cross_validate_one(candidate: Candidate, X, y, folds, seed: int, n_jobs, log=None) -> dict:
    estimator = make_model(candidate.model, engine=candidate.engine, **candidate.params)
    if "random_state" in estimator.get_params(deep=False):
        estimator.set_params(random_state=seed)
    if log:
        log(f"cross-validating {candidate.label} ({folds.get_n_splits()} folds) ...")
    start = time.perf_counter()
    scores = retrying(lambda: cross_validate(estimator, X, y, folds, n_jobs, candidate.label,
                                             verbose=int(bool(log))), candidate.label, log)
    wall = time.perf_counter() - start
    test_sizes = [len(test) for _, test in folds.split(X, y)]
    return _row(candidate, scores, test_sizes, wall)


def cross_validate(estimator, X, y, folds, n_jobs, label: str, verbose=0) -> dict:
    """scikit-learn's `cross_validate` (a clone per fold, fitted in parallel by joblib's active backend,
    scored by `estimator.score`; train scores and estimators returned), written out so that each
    finished fold shows on a progress bar, or as a line with its accuracy off a terminal."""
    from joblib import Parallel, delayed
    from sklearn.base import clone

    splits = list(folds.split(X, y))
    jobs = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_fit_fold)(clone(estimator), X, y, train, test) for train, test in splits)
    done = []
    with Progress(len(splits), f"cross-validating {label}", unit="fold", verbose=verbose) as progress:
        for fold in jobs:
            done.append(fold)
            progress.step(acc=fold["test_score"])
    scores = {key: np.array([fold[key] for fold in done]) for key in done[0] if key != "estimator"}
    return {**scores, "estimator": [fold["estimator"] for fold in done]}


def _fit_fold(estimator, X, y, train, test) -> dict:
    """One fold, as `cross_validate` reports it: fit and score times, test and train accuracy."""
    start = time.perf_counter()
    estimator.fit(X[train], y[train])
    fit_time = time.perf_counter() - start
    start = time.perf_counter()
    test_score = estimator.score(X[test], y[test])
    score_time = time.perf_counter() - start
    return {"fit_time": fit_time, "score_time": score_time, "test_score": test_score,
            "train_score": estimator.score(X[train], y[train]), "estimator": estimator}


def _row(candidate: Candidate, scores: dict, test_sizes: list[int], wall: float) -> dict:
    counts = [count_parameters(est) for est in scores["estimator"]]
    return {
        "label": candidate.label, "model": candidate.model, "engine": candidate.engine,
        "params": dict(candidate.params),
        "test_accuracy": scores["test_score"].tolist(),
        "train_accuracy": scores["train_score"].tolist(),
        "fit_seconds": scores["fit_time"].tolist(),
        # score_time is predicting (and scoring) the held-out fold
        "predict_seconds": scores["score_time"].tolist(),
        "test_sizes": test_sizes,
        "n_params": None if None in counts else round(float(np.mean(counts))),
        "wall_seconds": wall,
    }


def check_folds(cv: int, y: np.ndarray) -> None:
    smallest = int(np.unique(y, return_counts=True)[1].min()) if len(y) else 0
    if cv < 2:
        raise DigitlabError(f"--cv must be at least 2 folds, got {cv}")
    if cv > smallest:
        raise DigitlabError(f"--cv {cv}: the smallest class has only {smallest} images; "
                            f"use at most {smallest} folds or a larger --subsample")


def summary(row: dict) -> dict:
    """Means and standard deviations of a result row (std over folds, ddof=0 like scikit-learn's docs)."""
    test, train = np.asarray(row["test_accuracy"]), np.asarray(row["train_accuracy"])
    predict = np.asarray(row["predict_seconds"])
    return {
        "label": row["label"],
        "test_mean": float(test.mean()), "test_std": float(test.std()),
        "train_mean": float(train.mean()), "train_std": float(train.std()),
        "fit_mean": float(np.mean(row["fit_seconds"])),
        "predict_mean": float(predict.mean()),
        "predict_images_per_second": float(np.sum(row["test_sizes"]) / max(predict.sum(), 1e-9)),
        "n_params": row["n_params"],
    }


def format_table(rows: list[dict], order: str = "best") -> str:
    """The comparison as a plain-text table, best test accuracy first (or in the given order)."""
    stats = [summary(r) for r in rows]
    if order == "best":
        stats.sort(key=lambda s: -s["test_mean"])
    width = max([18, *(len(s["label"]) for s in stats)])
    lines = [(f"{'model':<{width}} {'test accuracy':>16} {'train accuracy':>16} {'fit s':>8} "
             f"{'predict s':>10} {'params':>10}")]
    for s in stats:
        params = "-" if s["n_params"] is None else f"{s['n_params']:,}"
        lines.append(f"{s['label']:<{width}} {s['test_mean']:>8.4f} ± {s['test_std']:.4f} "
                     f"{s['train_mean']:>8.4f} ± {s['train_std']:.4f} {s['fit_mean']:>8.2f} "
                     f"{s['predict_mean']:>10.3f} {params:>10}")
    return "\n".join(lines)
