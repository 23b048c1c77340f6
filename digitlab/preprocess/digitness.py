"""Does a model input look like a handwritten digit at all?

A digit classifier must name one of ten digits, so it reads a letter "K" or
a scribble as *some* digit, often with high confidence; temperature scaling
cannot fix that. This is a second, tiny network that tells MNIST-style
digits from letters, scribbles, pieces of digits and pairs of digits after
the same preprocessing. It is a small CNN (19k weights), run here in NumPy:

    conv 5x5 1->12, ReLU, max-pool 2   (n, 12, 14, 14)
    conv 3x3 12->24, ReLU, max-pool 2  (n, 24, 7, 7)
    conv 3x3 24->32, ReLU, max-pool 2  (n, 32, 3, 3)
    dense 288->32, ReLU, dense 32->1, logistic

benchmarks/reading_digitness.py trained it (the command and its data are in
digitness.json) and set `threshold` so 99% of held-out digits pass.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

WEIGHTS = Path(__file__).resolve().parent / "digitness.npz"
BATCH = 256  # inputs per forward pass: bounds the memory of the unfolded convolutions


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
    return score(inputs, w)


def threshold() -> float:
    w = _weights()
    return float(w["threshold"]) if w is not None else 0.0


def score(inputs: np.ndarray, w: dict) -> np.ndarray:
    """The network's output (n,) in (0, 1) for uint8 (n, 28, 28) inputs and weights `w`."""
    out = [_logits(inputs[i: i + BATCH], w) for i in range(0, len(inputs), BATCH)]
    logit = np.concatenate(out) if out else np.zeros(0)
    return 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))


def _logits(inputs: np.ndarray, w: dict) -> np.ndarray:
    x = inputs[:, None].astype(np.float32) / np.float32(255.0)  # (n, 1, 28, 28)
    for name in ("conv1", "conv2", "conv3"):
        x = _max_pool(np.maximum(_conv(x, w[f"{name}_weight"], w[f"{name}_bias"]), 0.0))
    x = x.reshape(len(x), -1)  # (n, 288), channel-major like torch's Flatten
    x = np.maximum(x @ w["dense1_weight"].T + w["dense1_bias"], 0.0)  # (n, 32)
    return (x @ w["dense2_weight"].T + w["dense2_bias"])[:, 0]  # (n,)


def _conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """'Same' convolution (cross-correlation, as torch): (n, C, H, W) * (O, C, k, k) -> (n, O, H, W)."""
    k = weight.shape[-1]
    padded = np.pad(x, ((0, 0), (0, 0), (k // 2, k // 2), (k // 2, k // 2)))
    windows = sliding_window_view(padded, (k, k), axis=(2, 3))  # (n, C, H, W, k, k)
    n, c, h, wd = x.shape
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * wd, c * k * k)
    out = cols @ weight.reshape(len(weight), -1).T + bias  # (n*H*W, O)
    return out.reshape(n, h, wd, -1).transpose(0, 3, 1, 2)


def _max_pool(x: np.ndarray) -> np.ndarray:
    """2x2 max-pool, dropping an odd last row/column as torch does: (n, C, H, W) -> (n, C, H//2, W//2)."""
    n, c, h, w = x.shape
    return x[:, :, : h // 2 * 2, : w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))
