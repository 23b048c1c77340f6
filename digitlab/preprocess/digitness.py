"""Does a model input look like a handwritten digit at all?

A digit classifier must name one of ten digits, so it reads a letter "K" or
a scribble as *some* digit, often with high confidence; temperature scaling
cannot fix that. This is a second, tiny network (784-64-1, ReLU, logistic
output) trained to tell MNIST-style digits from letters and scribbles after
the same preprocessing. Its training set and the held-out font it was tested
on are in benchmarks/reading_digitness.py, which wrote `digitness.npz`:
weights plus `threshold`, set so 99% of held-out digits pass.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

WEIGHTS = Path(__file__).resolve().parent / "digitness.npz"


@functools.lru_cache(maxsize=1)
def _weights() -> dict | None:
    if not WEIGHTS.is_file():
        return None
    with np.load(WEIGHTS, allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def digitness(inputs: np.ndarray) -> np.ndarray | None:
    """Probability-like score (n,) that each uint8 (n, 28, 28) input is a digit; None without weights."""
    w = _weights()
    if w is None or inputs.shape[1:] != (28, 28):
        return None  # 8x8 `digits` models have no detector
    x = inputs.reshape(len(inputs), -1).astype(np.float32) / np.float32(255.0)  # (n, 784)
    hidden = np.maximum(x @ w["W1"] + w["b1"], 0.0)  # (n, 64)
    logit = (hidden @ w["W2"] + w["b2"])[:, 0]  # (n,)
    return 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))


def threshold() -> float:
    w = _weights()
    return float(w["threshold"]) if w is not None else 0.0
