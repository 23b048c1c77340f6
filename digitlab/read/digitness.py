"""Does a model input look like a handwritten digit at all?

A digit classifier must name one of ten digits, so it reads a letter "K" or
a scribble as *some* digit, often with high confidence; temperature scaling
cannot fix that. This is a second, tiny network that tells MNIST-style
digits from letters, scribbles, pieces of digits and pairs of digits after
the same preprocessing. It is a small CNN (19k weights), run by the numpy engine:

    conv 5x5 1->12, ReLU, max-pool 2   (n, 12, 14, 14)
    conv 3x3 12->24, ReLU, max-pool 2  (n, 24, 7, 7)
    conv 3x3 24->32, ReLU, max-pool 2  (n, 32, 3, 3)
    dense 288->32, ReLU, dense 32->1, logistic

benchmarks/reading_digitness.py trained it (the command and its data are in
digitness.json) and set `threshold` so 99% of held-out digits pass.

The line reader asks a narrower question of a piece it has cut: is it exactly
one whole digit, not two touching ones? `digitness(inputs, ONE_DIGIT)` answers
with the same network trained on pairs of digits written ink to ink, as a
line touches them, instead of side by side in their 28 px frames
(one_digit.json). It reads lines better (BENCHMARKS.md, "Digit-likeness detectors") but does
not say "unsure": it doubts a thick ruler-straight "1" drawn on a canvas,
which must stay a confident digit.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from digitlab.nn.network import Network

WEIGHTS = Path(__file__).resolve().parent / "digitness.npz"  # is it a digit at all? ("unsure")
ONE_DIGIT = WEIGHTS.with_name("one_digit.npz")  # is this cut piece one digit? (segment.py)
BATCH = 256  # inputs per forward pass: bounds the memory of the unfolded convolutions


@functools.cache  # two files at most
def _weights(path: Path) -> dict | None:
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def digitness(inputs: np.ndarray, weights: Path = WEIGHTS) -> np.ndarray | None:
    """Probability-like score (n,) that each uint8 (n, 28, 28) input is a digit; None without weights.

    `weights`: `WEIGHTS` (a digit at all?) or `ONE_DIGIT` (one whole digit, not two touching?).
    """
    inputs = np.asarray(inputs)
    if _weights(weights) is None or inputs.shape[1:] != (28, 28):
        return None  # 8x8 `digits` models have no detector
    return _score(inputs, _shipped_network(weights))


def threshold(weights: Path = WEIGHTS) -> float:
    """The score below which a detector calls an input "not a digit" (0 without weights)."""
    w = _weights(weights)
    return float(w["threshold"]) if w is not None else 0.0


def score(inputs: np.ndarray, w: dict) -> np.ndarray:
    """The network's output (n,) in (0, 1) for uint8 (n, 28, 28) inputs and weights `w`."""
    return _score(inputs, network(w))


def network(w: dict) -> Network:
    """The detector in the numpy engine, its layer sizes read off the weights (named as torch's layers)."""
    layers, weights = [], {}
    for name in ("conv1", "conv2", "conv3"):
        kernel = w[f"{name}_weight"]  # (out, in, k, k), as the engine keeps it
        weights[f"{len(layers)}.weight"], weights[f"{len(layers)}.bias"] = kernel, w[f"{name}_bias"]
        k = kernel.shape[-1]
        layers += [{"type": "conv2d", "filters": len(kernel), "kernel_size": k, "padding": k // 2},
                   {"type": "relu"}, {"type": "maxpool2d"}]
    layers.append({"type": "flatten"})  # channel-major, like torch's Flatten
    for name in ("dense1", "dense2"):
        weight = w[f"{name}_weight"]  # torch's (out, in); the engine's dense is (in, out)
        weights[f"{len(layers)}.weight"], weights[f"{len(layers)}.bias"] = weight.T, w[f"{name}_bias"]
        layers += [{"type": "dense", "units": len(weight)}, {"type": "relu"}]
    net = Network({"input_shape": [1, 28, 28], "layers": layers[:-1]})  # logits out: no ReLU after dense2
    net.set_weights(weights)
    return net


@functools.cache
def _shipped_network(path: Path) -> Network:
    return network(_weights(path))


def _score(inputs: np.ndarray, net: Network) -> np.ndarray:
    x = np.asarray(inputs)[:, None].astype(np.float32) / np.float32(255.0)  # (n, 1, 28, 28)
    out = [net.forward(x[i: i + BATCH])[:, 0] for i in range(0, len(x), BATCH)]
    logit = np.concatenate(out) if out else np.zeros(0)
    return 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))
