"""Sweeps: one model family, one setting varied, every point cross-validated.

Each sweep shows a classic lesson on the same folds:

    knn-k   k-NN accuracy against k = 1..10 (k = 1 memorises the training set)
    width   one hidden layer of 8..256 units: train accuracy climbs to 100 %
            while test accuracy levels off, so over-fitting shows
    depth   (64,), (64, 64), (10, 10, 10), (64, 64, 64), (128, 128, 128), 6 folds

Networks are the NumPy engine's `mlp` when it is installed, else
scikit-learn's `sk-mlp`; either is trained without early stopping, because
early stopping would hide the over-fitting the sweep is there to show.
"""

from __future__ import annotations

from dataclasses import dataclass

from digitlab.errors import DigitlabError
from digitlab.evaluate.compare import COMPARE_PARAMS, Candidate, cross_validate_candidates
from digitlab.models import make_model, model_names

WIDTHS = (8, 16, 32, 64, 128, 256)
DEPTHS = ((64,), (64, 64), (10, 10, 10), (64, 64, 64), (128, 128, 128))
KS = tuple(range(1, 11))
SWEEP_EPOCHS = 100  # numpy MLPs: on a digits fold, ~3,000 updates of 32 images


@dataclass(frozen=True)
class Sweep:
    """A named sweep: the candidates, the setting they vary, and its default fold count."""

    name: str
    title: str
    setting: str        # axis label of the varied setting
    values: tuple       # the setting's value for each candidate, in order
    candidates: tuple
    cv: int | None      # folds this sweep asks for; None: the command's --cv


def network_model(engine: str = "numpy") -> str:
    """The MLP the sweeps train: the NumPy engine's when present, else scikit-learn's."""
    return "mlp" if "mlp" in model_names(engine) else "sk-mlp"


def network_params(model: str, hidden: tuple[int, ...], engine: str = "numpy") -> dict:
    """Parameters for an MLP with `hidden` layers, trained to fit (no early stopping)."""
    if model == "sk-mlp":  # adam until it converges (400 epochs at most), no held-out data
        return {"hidden_layer_sizes": tuple(hidden), "early_stopping": False, "max_iter": 400}
    # the comparison's numpy settings, trained to convergence on every training image (no
    # validation split): the lesson is what a network of this size *can* fit
    params = {**COMPARE_PARAMS["mlp"], "max_iter": SWEEP_EPOCHS, "hidden_layer_sizes": tuple(hidden),
              "validation_fraction": 0.0, "early_stopping": False}
    valid = make_model(model, engine=engine).get_params(deep=False)  # another engine may lack some
    return {k: v for k, v in params.items() if k in valid}


def knn_k_sweep(engine: str = "numpy") -> Sweep:
    # uniform votes: with distance weights every k scores 100 % on its own training set
    # n_jobs=1: the folds already run in parallel
    cands = tuple(Candidate(f"k={k}", "knn", {"n_neighbors": k, "weights": "uniform", "n_jobs": 1}, engine)
                  for k in KS)
    return Sweep("knn-k", "k-NN: accuracy against k", "k (neighbours)", KS, cands, None)


def width_sweep(engine: str = "numpy") -> Sweep:
    model = network_model(engine)
    cands = tuple(Candidate(f"{model} ({w},)", model, network_params(model, (w,), engine), engine)
                  for w in WIDTHS)
    return Sweep("width", f"One hidden layer ({model}): accuracy against width",
                 "hidden units", WIDTHS, cands, None)


def depth_sweep(engine: str = "numpy") -> Sweep:
    model = network_model(engine)
    cands = tuple(Candidate(f"{model} {_layers(h)}", model, network_params(model, h, engine), engine)
                  for h in DEPTHS)
    return Sweep("depth", f"Hidden layers ({model}): accuracy against depth and width",
                 "hidden layers", tuple(_layers(h) for h in DEPTHS), cands, 6)


SWEEPS = {"knn-k": knn_k_sweep, "width": width_sweep, "depth": depth_sweep}


def parse_sweeps(text: str | None) -> list[str]:
    """'width,depth' or 'all' -> sweep names; an unknown one is a one-line error."""
    if not text:
        return []
    names = list(SWEEPS) if text.strip() == "all" else [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in SWEEPS]
    if unknown:
        raise DigitlabError(f"--sweep: unknown sweep(s) {', '.join(unknown)}; "
                            f"choose from {', '.join(SWEEPS)} or all")
    return names


def run_sweep(name: str, X, y, cv: int = 4, seed: int = 0, n_jobs=-1, engine: str = "numpy",
              log=None) -> dict:
    """Cross-validate every point of sweep `name`; returns its description and result rows."""
    sweep = SWEEPS[name](engine)
    folds = sweep.cv or cv
    rows = cross_validate_candidates(sweep.candidates, X, y, cv=folds, seed=seed, n_jobs=n_jobs, log=log)
    return {"name": sweep.name, "title": sweep.title, "setting": sweep.setting,
            "values": [str(v) for v in sweep.values], "cv": folds, "rows": rows}


def _layers(hidden: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(h) for h in hidden) + ("," if len(hidden) == 1 else "") + ")"
