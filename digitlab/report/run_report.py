"""The report of one training run, built from its run folder alone (it never trains).

Scores are recomputed from `predictions.npz` (the test images, labels and
predicted probabilities), so the report shows exactly what the saved model
predicted; `metrics.json` supplies timing and the train score.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from digitlab.data.arrayfile import read_npz
from digitlab.errors import DigitlabError
from digitlab.evaluate.metrics import classification_metrics
from digitlab.files import final_name, read_json
from digitlab.report import figures
from digitlab.report.html import details, figure, kpis, page, paragraph, section, table

N_MISTAKES = 18


def load_run(run_dir) -> dict:
    """settings, metrics, history (or None) and predictions of a run folder."""
    run_dir = Path(run_dir)
    if not (run_dir / "predictions.npz").is_file():
        raise DigitlabError(f"{run_dir}: not a run folder (no predictions.npz)")
    run = {name: _read_json(run_dir / f"{name}.json") for name in ("settings", "metrics")}
    run["history"] = _read_json(run_dir / "history.json") if (run_dir / "history.json").is_file() else None
    predictions = read_npz(run_dir / "predictions.npz")
    missing = [key for key in ("images", "labels", "proba", "classes") if key not in predictions]
    if missing:
        raise DigitlabError(f"{run_dir}/predictions.npz: has no {', '.join(missing)}")
    run["predictions"] = {key: predictions[key] for key in ("images", "labels", "proba", "classes")}
    return run


def _read_json(path: Path):
    if not path.is_file():
        raise DigitlabError(f"{path.parent}: not a complete run folder (no {path.name})")
    return read_json(path, "run file")


def confident_mistakes(labels, proba, classes, n: int = N_MISTAKES) -> list[dict]:
    """The `n` wrong predictions the model was surest of, with its top-3 guesses each."""
    classes = np.asarray(classes)
    predicted = classes[proba.argmax(axis=1)]
    wrong = np.flatnonzero(predicted != labels)
    wrong = wrong[np.argsort(-proba[wrong].max(axis=1), kind="stable")][:n]
    top3 = np.argsort(-proba[wrong], axis=1, kind="stable")[:, :3]
    return [{"index": int(i), "true": int(labels[i]),
             "guesses": [(int(classes[j]), float(proba[i, j])) for j in top]}
            for i, top in zip(wrong, top3)]


def training_images(settings: dict, data_dir=None, fallback=None):
    """The train images the run used, reloaded from its settings; or the test images, and why.

    Returns (images, labels, note); note is None when the train split was found.
    """
    from digitlab.data import load_dataset, stratified_subsample

    try:
        # a run that records its data_dir (settings.json) finds a downloaded dataset by itself
        data_dir = data_dir or settings.get("data_dir")
        data = load_dataset(settings["dataset"], data_dir=data_dir, download=False)
        split = data.train
        if settings.get("subsample"):
            split = stratified_subsample(split, int(settings["subsample"]), int(settings.get("seed", 0)))
        if split.labels is not None:
            return split.images, split.labels, None
        reason = "its train split has no labels"
    except (DigitlabError, OSError) as exc:
        reason = str(exc)
    images, labels = fallback
    return images, labels, (f"The train split of {settings['dataset']!r} could not be reloaded ({reason}); "
                            "the samples and class balance below show the test split instead.")


def build_run_report(run_dir, data_dir=None) -> str:
    """The run report as one HTML page."""
    run_dir = Path(run_dir)
    run = load_run(run_dir)
    settings, metrics, p = run["settings"], run["metrics"], run["predictions"]
    test = classification_metrics(p["labels"], p["proba"], p["classes"])
    train_images, train_labels, note = training_images(settings, data_dir, (p["images"], p["labels"]))
    title = f"{settings.get('model')} on {settings.get('dataset')}"
    name = final_name(run_dir)  # runs.py renders in a temporary folder beside the run's
    sub = (f"run {name} · engine {settings.get('engine')} · seed {settings.get('seed')} · "
           f"started {settings.get('started', '?')}")
    sections = [
        _summary(test, metrics),
        _data_section(train_images, train_labels, p, note, settings),
        _curves_section(run["history"]),
        _confusion_section(test),
        _per_class_section(test),
        _mistakes_section(p),
        _weights_section(run_dir, settings),
        _speed_section(metrics, test),
        _settings_section(settings),
    ]
    return page(title, sub, sections)


def _summary(test: dict, metrics: dict) -> str:
    train_acc = metrics.get("train", {}).get("accuracy")
    pairs = [("test accuracy", f"{test['accuracy']:.2%}"),
             ("train accuracy", "-" if train_acc is None else f"{train_acc:.2%}"),
             ("test images", f"{test['n']:,}"),
             ("parameters", _count(metrics.get("n_params"))),
             ("fit time", f"{metrics.get('fit_seconds', float('nan')):.2f} s")]
    return section("Summary", kpis(pairs))


def _data_section(images, labels, p, note, settings) -> str:
    classes = p["classes"]
    train_counts = [int(np.sum(labels == c)) for c in classes]
    test_counts = [int(np.sum(p["labels"] == c)) for c in classes]
    which = "test" if note else "train"
    parts = [paragraph(note, "note")] if note else []
    parts += [figure("samples", figures.samples_per_class(images, labels, seed=int(settings.get("seed", 0))),
                     f"Random {which} images of each class, as the model sees them "
                     f"({images.shape[1]}x{images.shape[2]} pixels)."),
              figure("balance", figures.class_balance(classes, train_counts, test_counts),
                     f"Images per class ({which if note else 'train'} and test split)."),
              details("the counts", table("balance", ["class", f"{which} images", "test images"],
                    [[c, a, b] for c, a, b in zip(classes.tolist(), train_counts, test_counts)]))]
    return section("The data", *parts)


def _curves_section(history) -> str:
    if not history:
        return section("Learning curves", paragraph(
            "This model does not train in epochs, so there is no per-epoch history to plot."))
    last = history[-1]
    text = (f"{len(history)} epochs; last epoch: train loss {last.get('loss', float('nan')):.4f}, "
            f"train accuracy {last.get('accuracy', float('nan')):.4f}")
    if last.get("val_accuracy") is not None:
        text += f", validation accuracy {last['val_accuracy']:.4f}"
    return section("Learning curves", figure(
        "curves", figures.learning_curves(history),
        "Loss and accuracy per epoch. Validation falling behind training is over-fitting."),
        paragraph(text + "."))


def _confusion_section(test: dict) -> str:
    classes = test["classes"]
    rows = [[c, *row] for c, row in zip(classes, test["confusion_matrix"])]
    return section("Confusion matrix", figure(
        "confusion", figures.confusion_matrix(test["confusion_matrix"], classes),
        "Rows: the true class; columns: the model's answer. Off-diagonal cells are mistakes."),
        details("the matrix as numbers", table("confusion", ["true \\ predicted", *map(str, classes)], rows)))


def _per_class_section(test: dict) -> str:
    rows = [[c, f"{p:.4f}", f"{r:.4f}", f"{f:.4f}", s] for c, p, r, f, s in
            zip(test["classes"], test["precision"], test["recall"], test["f1"], test["support"])]
    worst = int(np.argmin(test["f1"]))
    return section("Per-class scores", table("per-class", ["class", "precision", "recall", "F1", "support"],
                                             rows, highlight=None),
                   paragraph(f"Hardest class: {test['classes'][worst]} (F1 {test['f1'][worst]:.4f}). "
                             "Precision: of the images called this class, the share that were; "
                             "recall: of the images of this class, the share found."))


def _mistakes_section(p: dict) -> str:
    found = confident_mistakes(p["labels"], p["proba"], p["classes"])
    if not found:
        return section("Most confident mistakes", paragraph("No test image was misclassified."))
    images = p["images"][[m["index"] for m in found]]
    fig = figures.mistakes(images, [m["true"] for m in found], [m["guesses"] for m in found])
    rows = [[m["index"], m["true"], *(f"{c} ({q:.4f})" for c, q in m["guesses"])] for m in found]
    return section("Most confident mistakes", figure(
        "mistakes", fig, "The wrong answers the model was surest of: the true label above each digit, "
                         "its top-3 guesses with their probabilities below."),
        details("the mistakes as numbers", table("mistakes", ["test image", "true", "guess 1", "guess 2",
                                                               "guess 3"], rows, left=0)))


def _weights_section(run_dir: Path, settings: dict) -> str:
    from digitlab.models import load_model
    from digitlab.report.weights import first_layer

    try:
        model, _ = load_model(run_dir / "model.npz")  # never trust=True: a report must not unpickle
        kind, tiles, titles = first_layer(model, settings["image_shape"])
    except DigitlabError as exc:
        kind, tiles = None, str(exc).split(":", 1)[-1].strip()
    if kind is None:
        return section("First-layer weights", paragraph(f"Not shown: {tiles}."))
    caption = {"dense": f"The first {len(tiles)} hidden units' input weights, one picture per unit "
                        "(red: ink there raises the unit, blue: lowers it).",
               "conv": f"The first conv layer's {len(tiles)} filters (red positive, blue negative).",
               "templates": "One weight picture per class: red pixels vote for the class, blue against."}[kind]
    return section("First-layer weights", figure("weights", figures.weight_images(tiles, titles), caption))


def _speed_section(metrics: dict, test: dict) -> str:
    rows = [["parameters (learned numbers)", _count(metrics.get("n_params"))],
            ["fit time (s)", f"{metrics.get('fit_seconds', float('nan')):.3f}"],
            [f"predict time for {test['n']:,} test images (s)", f"{metrics.get('predict_seconds', float('nan')):.4f}"],
            ["inference speed (images/s)", f"{metrics.get('predict_images_per_second', float('nan')):,.0f}"]]
    return section("Model size and speed", table("speed", ["", "value"], rows),
                   paragraph("Times are wall-clock on the machine that trained the run."))


def _settings_section(settings: dict) -> str:
    rows = [[key, json.dumps(value) if isinstance(value, (dict, list)) else value]
            for key, value in settings.items() if key != "params"]
    rows += [[f"params.{k}", json.dumps(v)] for k, v in sorted(settings.get("params", {}).items())]
    return section("Settings", table("settings", ["setting", "value"], rows, left=2),
                   paragraph(f"Seed: {settings.get('seed')}. Re-run: "
                             f"{settings.get('command') or 'digitlab train ...'}"))


def _count(n) -> str:
    return "-" if n is None else f"{int(n):,}"

