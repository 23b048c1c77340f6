"""Honest confidence: temperature scaling, its error, and the "unsure" line.

A network trained with cross-entropy is usually over-confident: it says 99.9%
and is right 97% of the time. Temperature scaling (Guo et al., 2017) divides
the logits by one number T > 0 fitted on held-out data to minimise the
negative log-likelihood; it never changes which digit wins, only how sure the
model claims to be. Any model with `predict_proba` works: log(p) is its
logits up to a constant, which softmax ignores.

The expected calibration error (ECE) measures the gap: sort predictions into
bins by confidence and average |accuracy - confidence|, weighted by bin size.

A ten-class model must name a digit even for a letter or a scribble, and
temperature scaling cannot change that. So the "unsure" line is drawn on a
*digit score* that joins two signals: does the input look like a digit at
all (the digit-likeness network, `digitlab.read.digitness`), and does
this model read one digit in it (its uncalibrated max-probability):

    score = logit(digit-likeness) + weight * log(max raw probability)

`weight` and the threshold are fitted per model on validation images (digits
and non-digits that no benchmark uses): the threshold keeps `REJECT_KEEP` of
the held-out digits, the weight is the one that then rejects the most
non-digits.

`digitlab calibrate --validation FILE` (re)fits every shipped model; each gets
`digitlab/models/pretrained/<name>.calibration.json`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar

from digitlab.errors import DigitlabError
from digitlab.files import read_json
from digitlab.models.pretrained import HERE as PRETRAINED
from digitlab.nn.activations import softmax

# Shipped models are trained on all 60,000 MNIST training images, so no
# training image is held out. We fit on the first half of MNIST's test split
# and report every reading benchmark on the second half (test[5000:]).
HELD_OUT = slice(0, 5_000)
CONFIDENT_SHARE = 0.99  # "unsure" is set so 99% of held-out digits stay confident
# The digit score's threshold keeps 98% of the validation digits (photos of MNIST test[:1000]
# and clean test[1000:2000]): the share of real digits the reader promises to answer "ok".
REJECT_KEEP = 0.98
REJECT_WEIGHTS = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0)  # the weights `fit_reject_rule` tries


@dataclass(frozen=True)
class Calibration:
    """A model's fitted temperature, and where it turns "unsure": the digit score's weight and
    threshold when fitted, else the calibrated probability `unsure_below`."""

    temperature: float = 1.0
    unsure_below: float = 0.5
    ece_before: float | None = None
    ece_after: float | None = None
    held_out: str | None = None
    reject_weight: float | None = None  # weight of log max-probability in the digit score
    reject_below: float | None = None  # "unsure" below this digit score; None: no fitted rule
    reject_held_out: str | None = None

    def apply(self, proba: np.ndarray) -> np.ndarray:
        return scale_temperature(proba, self.temperature)

    def digit_score(self, raw_proba: np.ndarray, likeness: np.ndarray | None) -> np.ndarray | None:
        """The model's digit score (n,) (`digit_score` with its fitted weight), or None without a
        fitted rule or digit-likeness."""
        if likeness is None or self.reject_below is None:
            return None
        return digit_score(likeness, raw_proba, self.reject_weight)

    def confident(self, raw_proba: np.ndarray, likeness: np.ndarray | None,
                  likeness_below: float = 0.0) -> np.ndarray:
        """Which answers (n,) are "ok", from raw probabilities (n, k) and digit-likeness (n,) or None.

        With a fitted digit score, it alone decides. Without one (an older
        file, or no digit-likeness for this input shape) the calibrated
        probability must reach `unsure_below` and the digit-likeness its
        own `likeness_below`.
        """
        score = self.digit_score(raw_proba, likeness)
        if score is not None:
            return score >= self.reject_below
        sure = self.apply(raw_proba).max(axis=1) >= self.unsure_below
        return sure if likeness is None else sure & (likeness >= likeness_below)


def scale_temperature(proba: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities (n, k) -> softmax(log(p) / T), rows summing to 1."""
    return softmax(np.log(np.clip(np.asarray(proba, dtype=np.float64), 1e-12, None)) / temperature)


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


def digit_score(likeness: np.ndarray, raw_proba: np.ndarray, weight: float) -> np.ndarray:
    """logit(digit-likeness) + weight * log(max raw probability), (n,); higher is more digit-like.

    The logit, not the log, keeps confident digit-likeness from saturating
    at 0, so the two terms trade off over the whole range.
    """
    like = np.clip(np.asarray(likeness, dtype=np.float64), 1e-9, 1 - 1e-9)
    top = np.clip(np.asarray(raw_proba, dtype=np.float64).max(axis=1), 1e-12, None)
    return np.log(like) - np.log1p(-like) + weight * np.log(top)


def fit_reject_rule(digits: tuple, others: tuple, keep: float = REJECT_KEEP,
                    weights=REJECT_WEIGHTS) -> tuple[float, float, float]:
    """(weight, threshold, share of `others` rejected) for the digit score.

    `digits` and `others` are each (digit-likeness (n,), raw probabilities
    (n, k)) on validation images. For each weight the threshold keeps
    `keep` of the digits; the weight rejecting most of `others` wins (the
    first on a tie, so the plainest rule).
    """
    best = None
    for weight in weights:
        below = float(np.quantile(digit_score(*digits, weight), 1 - keep))
        rejected = float(np.mean(digit_score(*others, weight) < below))
        if best is None or rejected > best[2]:
            best = (float(weight), below, rejected)
    return best


def recalibrate(base: Calibration, raw_before: np.ndarray, raw_after: np.ndarray, labels: np.ndarray,
                likeness: np.ndarray | None, held_out: str) -> Calibration:
    """The calibration of a fine-tuned copy of a model, from held-out digits read by both.

    raw_before, raw_after : the original's and the copy's raw probabilities (n, k) on the same digits.
    Temperature and the "unsure" probability are refitted on the copy. The digit score keeps the
    original's weight (its non-digit validation set is not at hand), and its threshold moves to
    keep confident the same share of these digits as the original keeps: fine-tuning makes a head
    more sure of itself, which would otherwise let more letters and scribbles through as "ok".
    """
    fitted = fit_calibration(raw_after, labels, held_out)
    if base.reject_below is None or likeness is None:
        return fitted
    kept = float(np.mean(digit_score(likeness, raw_before, base.reject_weight) >= base.reject_below))
    below = float(np.quantile(digit_score(likeness, raw_after, base.reject_weight), 1 - kept))
    return replace(fitted, reject_weight=base.reject_weight, reject_below=round(below, 4),
                   reject_held_out=f"the original's rule ({base.reject_held_out}), its threshold moved to "
                                   f"keep {kept:.1%} of {held_out} confident, as the original does")


def load_validation(path) -> tuple[np.ndarray, np.ndarray, str]:
    """Validation model inputs from an .npz: `digits` and `others`, uint8 (n, H, W), and what they are."""
    from digitlab.data.arrayfile import read_npz

    try:
        npz = read_npz(path)
    except DigitlabError as exc:
        raise DigitlabError(f"{path}: not a validation file ({str(exc).removeprefix(f'{path}: ')})") from None
    if "digits" not in npz or "others" not in npz:
        raise DigitlabError(f"{path}: not a validation file with 'digits' and 'others' "
                            f"(found {', '.join(sorted(npz)) or 'nothing'})")
    digits, others = npz["digits"], npz["others"]
    about = str(npz["about"]) if "about" in npz else Path(path).name
    for name, x in (("digits", digits), ("others", others)):
        if x.dtype != np.uint8 or x.ndim != 3 or len(x) == 0:
            raise DigitlabError(f"{path}: '{name}' must be non-empty uint8 (n, H, W), got {x.dtype} {x.shape}")
    return digits, others, about


def calibration_path(name: str) -> Path:
    return PRETRAINED / f"{name}.calibration.json"


def calibration_beside(model_path) -> Path:
    """A model file's own calibration: OUT.calibration.json beside OUT.npz (a run folder's model inside it)."""
    path = Path(model_path)
    stem = path / "model" if path.is_dir() else path.with_suffix("")
    return stem.with_name(stem.name + ".calibration.json")


def load_calibration(path) -> Calibration:
    """Read a calibration file; temperature 1 (no change) when there is none."""
    path = Path(path)
    if not path.is_file():
        return Calibration()
    fields = read_json(path, "calibration file")
    try:
        return Calibration(**{k: fields[k] for k in Calibration.__dataclass_fields__ if k in fields})
    except (ValueError, TypeError) as exc:
        raise DigitlabError(f"{path}: not a calibration file ({exc})") from exc


def save_calibration(calibration: Calibration, path, fitted_with: str = "digitlab calibrate") -> Path:
    from digitlab.files import write_json

    return write_json(path, {**asdict(calibration), "fitted_with": fitted_with})


def calibrate_reader(reader, images: np.ndarray, labels: np.ndarray, held_out: str) -> Calibration:
    """Fit `reader`'s calibration on uint8 images (n, H, W) read through its preprocessing."""
    inputs = np.stack([reader.prepare(image).input for image in images])
    proba = reader.raw_proba(inputs)
    return fit_calibration(proba, reader.label_index(labels), held_out)


def reject_rule_for(reader, digits: np.ndarray, others: np.ndarray, source: str) -> dict:
    """The digit-score fields of `Calibration` for `reader`, from validation model inputs.

    {} when the reader has no digit-likeness for its input shape (8x8 models).
    """
    from digitlab.read.digitness import digitness

    likeness = digitness(digits) if digits.shape[1:] == reader.shape else None
    if likeness is None:
        return {}
    weight, below, rejected = fit_reject_rule((likeness, reader.raw_proba(digits)),
                                              (digitness(others), reader.raw_proba(others)))
    return {"reject_weight": weight, "reject_below": round(below, 4),
            "reject_held_out": f"{source}: {len(digits)} digits, {len(others)} non-digits; "
                               f"keeps {REJECT_KEEP:.1%} of the digits, rejects {rejected:.1%} of the others"}
