"""A network that reads a whole line at once, column by column (CTC), without cutting it first.

The segmenter (segment.py) must cut touching digits apart before it can read
them, and a "1" drawn across its neighbour, or digits that overlap, defeat
every cut. This network never cuts: it slides over the line and says, for
each 4 px column, which digit (or none, the CTC blank) it sees there
(`digitlab.nn.ctc`). It is small (256,107 weights) and run by the numpy engine:

    input: the line's ink, 32 px tall (28 px of ink)          (1, 32, W)
    conv 3x3 1->32, ReLU, max-pool 2                           (32, 16, W/2)
    conv 3x3 32->64, ReLU, max-pool 2                          (64, 8, W/4)
    conv 3x3 64->96, ReLU                                      (96, 8, W/4)
    per column: dense 768->128, ReLU                           (T, 128), T = W/4
    across columns: conv 1-D, 5 columns wide, 128->128, ReLU   (T, 128)
    per column: dense 128->11, log-softmax                     (T, 11): digits 0-9, blank

benchmarks/reading_line_model.py trains it with PyTorch on lines of MNIST
train digits (`digitlab.data.ink_lines`); its card, line_model.json, has the
command.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.special import log_softmax

from digitlab.nn.network import Network

WEIGHTS = Path(__file__).resolve().parent / "line_model.npz"
HEIGHT, INK_HEIGHT, SIDE = 32, 28, 4  # input rows, rows of ink inside them (2 px above and below), px each side
STRIDE = 4  # input px per output column (two 2x2 poolings)
BLANK = 10
INK_LEVEL = 0.2  # share of the line's brightest ink that counts as ink when cropping
CONVS = [(32, True), (64, True), (96, False)]  # (filters, max-pool after) of the 3x3 convolutions


@dataclass(frozen=True)
class Strip:
    """The model's input (HEIGHT, W) float32, and where it came from in the ink map."""

    input: np.ndarray
    x0: int  # first ink column of the map in the strip
    scale: float  # strip px per ink-map px

    def ink_x(self, column: float) -> float:
        """The ink map's x under output column `column`'s centre."""
        return self.x0 + (column * STRIDE + STRIDE / 2 - SIDE) / self.scale


def strip_input(ink: np.ndarray) -> Strip:
    """Ink map (h, w) in [0, 1] -> the model's input: brightest ink 1, cropped to the ink, 28 px tall."""
    ink = np.clip(ink / max(float(np.percentile(ink, 99.7)), 1e-3), 0, 1)  # faint pencil reads like dark ink
    rows, cols = np.flatnonzero(ink.max(axis=1) > INK_LEVEL), np.flatnonzero(ink.max(axis=0) > INK_LEVEL)
    if rows.size == 0:
        return Strip(np.zeros((HEIGHT, 4 * STRIDE), np.float32), 0, 1.0)
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].astype(np.float32)
    width = max(1, round(crop.shape[1] * INK_HEIGHT / len(crop)))
    scaled = np.asarray(Image.fromarray(crop, mode="F").resize((width, INK_HEIGHT), Image.BILINEAR))
    out = np.zeros((HEIGHT, width + 2 * SIDE), np.float32)
    top = (HEIGHT - INK_HEIGHT) // 2
    out[top:top + INK_HEIGHT, SIDE:SIDE + width] = scaled
    return Strip(out, int(cols[0]), INK_HEIGHT / len(crop))


class LineModel:
    """The network of this module's docstring, from weights named as PyTorch names its layers."""

    def __init__(self, weights: dict):
        layers, named = [], {}
        for (filters, pool), name in zip(CONVS, ("convs.0", "convs.3", "convs.6")):
            named[f"{len(layers)}.weight"], named[f"{len(layers)}.bias"] = weights[f"{name}.weight"], weights[f"{name}.bias"]
            layers += [{"type": "conv2d", "filters": filters, "kernel_size": 3, "padding": 1}, {"type": "relu"}]
            layers += [{"type": "maxpool2d"}] if pool else []
        self.convs = Network({"input_shape": [1, HEIGHT, 4 * STRIDE], "layers": layers})
        self.convs.set_weights(named)  # the convolutions take any width
        self.w = {name: np.asarray(weights[name], np.float32) for name in weights if not name.startswith("convs")}
        context = self.w["context.weight"]  # (out, in, k) -> (out, k * in), the order of `shifted`'s columns
        self.k, self.context = context.shape[-1], context.transpose(0, 2, 1).reshape(len(context), -1)

    def log_probs(self, x: np.ndarray) -> np.ndarray:
        """Input strip (HEIGHT, W) -> log-probabilities (W // STRIDE, 11), digits 0-9 then the blank."""
        f = self.convs.forward(x[None, None].astype(np.float32))[0]  # (96, 8, T)
        c, h, t = f.shape
        f = f.transpose(2, 0, 1).reshape(t, c * h)  # one row per column, channel-major like torch
        f = np.maximum(f @ self.w["column.weight"].T + self.w["column.bias"], 0)  # (T, 128)
        k = self.k  # the context kernel's width
        padded = np.pad(f, ((k // 2, k // 2), (0, 0)))
        # y_t = sum_j W[:, :, j] f_{t + j - k//2} + b: the k shifted copies side by side, one product
        shifted = np.concatenate([padded[j:j + t] for j in range(k)], axis=1)  # (T, k * 128)
        f = np.maximum(shifted @ self.context.T + self.w["context.bias"], 0)
        return log_softmax((f @ self.w["out.weight"].T + self.w["out.bias"]).astype(np.float64), axis=1)


@functools.cache
def shipped() -> LineModel | None:
    """The shipped line model, or None when the package has none."""
    if not WEIGHTS.is_file():
        return None
    with np.load(WEIGHTS, allow_pickle=False) as npz:
        return LineModel({name: npz[name] for name in npz.files})

