"""A model's report card on damaged digits: accuracy under the corruption suite and on real folders.

    reader = load_reader("torch-cnn-64-128-robust")        # any model file, run folder or shipped name
    test = load_mnist_test(data_dir, n=2000, seed=0)      # a stratified sample of MNIST test
    card = score_suite(reader.model, test.images, test.labels, seed=0)
    card["clean"], card["mean"], card["families"], card["corruptions"]["fog"]["accuracy"]

MNIST-test corruptions (see `digitlab.evaluate.corruptions`) are applied to the 28x28
images and fed to the raw model (`model.predict(to_features(x))`): this
measures the model, not the reading path. Labelled folders of real pictures
go through the product's reading path, `Reader.predict_files`, exactly as
`digitlab predict` reads them. Every corruption at every severity draws from
its own generator seeded by (seed, name, severity), so a figure does not
change when other corruptions or severities are added or left out.
"""

from __future__ import annotations

import time
import zlib
from pathlib import Path

import numpy as np

from digitlab.data import load_dataset, stratified_subsample, to_features
from digitlab.data.labelled import labelled_files
from digitlab.errors import DigitlabError
from digitlab.evaluate.corruptions import (
    CORRUPTIONS,
    FAMILIES,
    FAMILY_OF,
    HELD_OUT,
    SEVERITIES,
    corrupt,
)
from digitlab.evaluate.reading import score_files

N_EXAMPLES = 10  # digits shown per corruption in the report: one of each class


def load_reader(model, trust: bool = False):
    """A `Reader` for a model file, run folder or shipped name; refuses models not for 28x28 images."""
    from digitlab.read.reader import Reader

    reader = Reader.load(model, trust=trust)
    if tuple(reader.shape) != (28, 28):
        raise DigitlabError(f"{model}: this model reads {reader.shape[0]}x{reader.shape[1]} images; "
                            "the robustness suite is for 28x28 (MNIST-sized) models")
    return reader


def load_mnist_test(data_dir=None, n: int = 500, seed: int = 0):
    """A stratified sample of `n` MNIST test images (a `Split`: uint8 (n, 28, 28), int64 (n,))."""
    if n < 10:
        raise DigitlabError(f"n must be at least 10 test images (one per class), got {n}")
    return stratified_subsample(load_dataset("mnist", data_dir=data_dir).test, n, seed=seed)


def report_card(model, folders=(), n: int = 500, seed: int = 0, severities=SEVERITIES, names=None,
                data_dir=None, trust: bool = False, examples: bool = False) -> dict:
    """Everything `digitlab robustness` reports: `score_suite`'s card, plus "model", "dataset",
    "n", "seed", "severities", "folders" (one `evaluate.reading.score_files` dict per folder) and "seconds" (the
    wall-clock time spent scoring).

    Every input (the model, each folder and its labels, MNIST) is checked before any scoring.
    """
    names, severities = _check_choices(names, severities)
    reader = load_reader(model, trust=trust)
    labelled = [(Path(f).resolve().name, labelled_files(f)) for f in folders]
    test = load_mnist_test(data_dir, n=n, seed=seed)
    start = time.perf_counter()
    card = score_suite(reader.model, test.images, test.labels, names, severities, seed, examples)
    folders = [score_files(reader, files, name) for name, files in labelled]
    return {"model": reader.name, "dataset": "mnist test", "n": len(test), "seed": seed,
            "severities": list(severities), **card, "folders": folders,
            "seconds": time.perf_counter() - start}


def _check_choices(names, severities) -> tuple[list[str], tuple[int, ...]]:
    """Known corruption names and severities, in the suite's order; one clear error otherwise."""
    unknown = [n for n in names or () if n not in CORRUPTIONS]
    if unknown or (names is not None and not names):
        raise DigitlabError(f"unknown corruption {', '.join(unknown) or 'name'}; choose from "
                            f"{', '.join(CORRUPTIONS)}")
    if not severities or not set(severities) <= set(SEVERITIES):
        raise DigitlabError(f"severities must be from {', '.join(map(str, SEVERITIES))}, "
                            f"got {', '.join(map(str, severities or ())) or 'none'}")
    return ([n for n in CORRUPTIONS if n in names] if names else list(CORRUPTIONS),
            tuple(sorted(set(severities))))


def rng_for(seed: int, name: str, severity: int) -> np.random.Generator:
    """The generator for one corruption at one severity (crc32: the same number in every process)."""
    return np.random.default_rng([seed, zlib.crc32(name.encode()), severity])


def score_suite(model, images, labels, names=None, severities=SEVERITIES, seed: int = 0,
                examples: bool = False) -> dict:
    """Accuracy of the raw model on clean and corrupted images uint8 (n, 28, 28), labels (n,).

    Returns {"clean", "corruptions": {name: {"family", "held_out", "accuracy": {severity: acc},
    "mean"}}, "families": {family: mean}, "mean", "held_out_mean", "trainable_mean", "worst"}.
    With `examples`, also "examples" for the report (not JSON): "index" (k,) and "labels" (k,) of
    one digit per class, "images" {name: uint8 (1 + s, k, 28, 28)} and "predicted" {name: (1 + s, k)},
    row 0 clean, then one row per severity.
    """
    clean = model.predict(to_features(images))
    shown = _example_index(labels) if examples else None
    rows, pictures, guesses = {}, {}, {}
    for name in names or CORRUPTIONS:
        acc, pictures[name], guesses[name] = score_corruption(model, images, labels, name,
                                                              severities, seed, shown)
        rows[name] = {"family": FAMILY_OF[name], "held_out": name in HELD_OUT, "accuracy": acc,
                      "mean": float(np.mean(list(acc.values())))}
    card = {"clean": float(np.mean(clean == labels)), "corruptions": rows, **summarise(rows)}
    if examples:
        card["examples"] = {
            "index": shown, "labels": labels[shown],
            "images": {k: np.stack([images[shown], *v]) for k, v in pictures.items()},
            "predicted": {k: np.stack([clean[shown], *v]) for k, v in guesses.items()}}
    return card


def score_corruption(model, images, labels, name: str, severities=SEVERITIES, seed: int = 0,
                     shown=None):
    """({severity: accuracy}, damaged images[shown] per severity, predictions[shown] per severity)."""
    acc, pictures, guesses = {}, [], []
    for severity in severities:
        damaged = corrupt(images, name, severity, rng_for(seed, name, severity))
        predicted = model.predict(to_features(damaged))
        acc[severity] = float(np.mean(predicted == labels))
        if shown is not None:
            pictures.append(damaged[shown])
            guesses.append(predicted[shown])
    return acc, pictures, guesses


def summarise(rows: dict) -> dict:
    """Means over families, over the whole suite, over held-out and trainable corruptions, and the
    worst corruption (by its mean over severities). A family's mean weighs its corruptions equally."""
    means = {name: row["mean"] for name, row in rows.items()}
    families = {family: float(np.mean([means[n] for n in names if n in means]))
                for family, names in FAMILIES.items() if any(n in means for n in names)}
    held = [m for n, m in means.items() if n in HELD_OUT]
    trainable = [m for n, m in means.items() if n not in HELD_OUT]
    worst = min(means, key=means.get)
    return {"families": families, "mean": float(np.mean(list(means.values()))),
            "held_out_mean": float(np.mean(held)) if held else None,
            "trainable_mean": float(np.mean(trainable)) if trainable else None,
            "worst": {"corruption": worst, "mean": means[worst]}}


def _example_index(labels: np.ndarray) -> np.ndarray:
    """The first image of each class present, in class order: the digits the report shows."""
    return np.array([np.flatnonzero(labels == c)[0] for c in np.unique(labels)][:N_EXAMPLES])
