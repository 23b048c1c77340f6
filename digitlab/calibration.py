"""Honest confidence: temperature scaling, its error, and the "unsure" line.

A network trained with cross-entropy is usually over-confident: it says 99.9%
and is right 97% of the time. Temperature scaling (Guo et al., 2017) divides
the logits by one number T > 0 fitted on held-out data to minimise the
negative log-likelihood; it never changes which digit wins, only how sure the
model claims to be. Any model with `predict_proba` works: log(p) is its
logits up to a constant, which softmax ignores.

The expected calibration error (ECE) measures the gap: sort predictions into
bins by confidence and average |accuracy - confidence|, weighted by bin size.

Run `python -m digitlab.calibration` to (re)fit every shipped model; each
gets `digitlab/pretrained/<name>.calibration.json`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar

from digitlab.errors import DigitlabError

PRETRAINED = Path(__file__).resolve().parent / "pretrained"
# Shipped models are trained on all 60,000 MNIST training images, so no
# training image is held out. We fit on the first half of MNIST's test split
# and report every reading benchmark on the second half (test[5000:]).
HELD_OUT = slice(0, 5_000)
CONFIDENT_SHARE = 0.99  # "unsure" is set so 99% of held-out digits stay confident


@dataclass(frozen=True)
class Calibration:
    """A model's fitted temperature and the probability below which it is unsure."""

    temperature: float = 1.0
    unsure_below: float = 0.5
    ece_before: float | None = None
    ece_after: float | None = None
    held_out: str | None = None

    def apply(self, proba: np.ndarray) -> np.ndarray:
        return scale_temperature(proba, self.temperature)


def scale_temperature(proba: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities (n, k) -> softmax(log(p) / T), rows summing to 1."""
    logits = np.log(np.clip(np.asarray(proba, dtype=np.float64), 1e-12, None)) / temperature
    logits -= logits.max(axis=1, keepdims=True)  # exp of at most 0: no overflow
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def negative_log_likelihood(proba: np.ndarray, labels: np.ndarray) -> float:
    picked = proba[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, None))))


def fit_temperature(proba: np.ndarray, labels: np.ndarray) -> float:
    """The T in [0.05, 20] minimising held-out NLL (searched in log T: T is a scale)."""
    def nll(log_t):
        return negative_log_likelihood(scale_temperature(proba, np.exp(log_t)), labels)

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded",
                             options={"xatol": 1e-4})
    return float(np.exp(result.x))


def expected_calibration_error(proba: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """ECE: sum over equal-width confidence bins of (bin share) * |accuracy - confidence|."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == labels
    which = np.minimum((confidence * bins).astype(int), bins - 1)  # confidence 1.0 joins the top bin
    ece = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            ece += members.mean() * abs(correct[members].mean() - confidence[members].mean())
    return float(ece)


def fit_calibration(proba: np.ndarray, labels: np.ndarray, held_out: str) -> Calibration:
    """Fit T and the unsure threshold on held-out class probabilities (n, 10)."""
    temperature = fit_temperature(proba, labels)
    calibrated = scale_temperature(proba, temperature)
    unsure = float(np.clip(np.quantile(calibrated.max(axis=1), 1 - CONFIDENT_SHARE), 0.3, 0.9))
    return Calibration(temperature, round(unsure, 4), expected_calibration_error(proba, labels),
                       expected_calibration_error(calibrated, labels), held_out)


def calibration_path(name: str) -> Path:
    return PRETRAINED / f"{name}.calibration.json"


def load_calibration(path) -> Calibration:
    """Read a calibration file; temperature 1 (no change) when there is none."""
    path = Path(path)
    if not path.is_file():
        return Calibration()
    try:
        fields = json.loads(path.read_text(encoding="utf-8"))
        return Calibration(**{k: fields[k] for k in Calibration.__dataclass_fields__ if k in fields})
    except (ValueError, TypeError) as exc:
        raise DigitlabError(f"{path}: not a calibration file ({exc})") from exc


def save_calibration(calibration: Calibration, path) -> Path:
    from digitlab.files import write_json

    return write_json(path, {**asdict(calibration), "fitted_with": "python -m digitlab.calibration"})


def calibrate_reader(reader, images: np.ndarray, labels: np.ndarray, held_out: str) -> Calibration:
    """Fit `reader`'s calibration on uint8 images (n, H, W) read through its preprocessing."""
    inputs = np.stack([reader.prepare(image).input for image in images])
    proba = reader.raw_proba(inputs)
    return fit_calibration(proba, reader.label_index(labels), held_out)


def main(argv=None) -> int:
    """Refit calibration for every shipped model on MNIST test[0:5000] (benchmarks use test[5000:])."""
    import argparse

    from digitlab.predict import Reader, shipped_model_names

    parser = argparse.ArgumentParser(prog="python -m digitlab.calibration", description=main.__doc__)
    parser.add_argument("--data-dir", default=None, help="folder with the MNIST IDX files")
    parser.add_argument("--model", default=None, help="calibrate this model file instead (writes beside it)")
    args = parser.parse_args(argv)
    images, labels = _held_out_mnist(args.data_dir)
    held_out = f"MNIST test[{HELD_OUT.start}:{HELD_OUT.stop}] ({len(labels)} images) through digitlab.preprocess"
    targets = [(args.model, Path(args.model).with_suffix(".calibration.json"))] if args.model else \
        [(name, calibration_path(name)) for name in shipped_model_names()]
    if not targets:
        print("no shipped models found in", PRETRAINED)
        return 1
    for model, path in targets:
        reader = Reader.load(model, calibration=False)
        fitted = calibrate_reader(reader, images, labels, held_out)
        save_calibration(fitted, path)
        print(f"{model}: T={fitted.temperature:.3f} ECE {fitted.ece_before:.4f} -> {fitted.ece_after:.4f} "
              f"unsure below {fitted.unsure_below:.3f} -> {path}")
    return 0


def _held_out_mnist(data_dir) -> tuple[np.ndarray, np.ndarray]:
    from digitlab.data import load_dataset

    try:
        data = load_dataset("mnist", data_dir=data_dir, download=False)
    except ImportError:  # the downloader is optional; a local folder of IDX files is enough
        data = load_dataset(str(data_dir or Path.home() / ".cache" / "digitlab" / "mnist"))
    return data.test.images[HELD_OUT], data.test.labels[HELD_OUT]


if __name__ == "__main__":
    raise SystemExit(main())
