"""A model's first layer as pictures: what each unit or filter looks for in the pixels.

    numpy networks   `architecture_` + `get_weights()`: the first dense weight (in, out)
                     gives one H x W picture per column; the first conv weight
                     (out_c, in_c, k, k) one k x k filter per output channel
    scikit-learn MLP `coefs_[0]` (in, out), the same as a dense layer
    logistic reg.    `coef_` (n_classes, in): one template per class

Models without such weights (k-NN, SVM, forests) give None and a reason.
"""

from __future__ import annotations

import numpy as np

MAX_UNITS = 40  # a screenful; the rest look alike


def first_layer(model, image_shape) -> tuple[str, np.ndarray, list] | tuple[None, str, None]:
    """(kind, tiles (n, h, w), titles) or (None, reason, None).

    kind is "dense", "conv" or "templates"; titles label each tile (may be None).
    """
    h, w = image_shape
    if hasattr(model, "architecture_") and hasattr(model, "get_weights"):
        return _network(model.architecture_, model.get_weights(), (h, w))
    if hasattr(model, "coefs_"):
        return _dense(np.asarray(model.coefs_[0]), (h, w))
    if hasattr(model, "coef_") and np.ndim(model.coef_) == 2 and model.coef_.shape[1] == h * w:
        tiles = np.asarray(model.coef_).reshape(-1, h, w)
        titles = [str(c) for c in getattr(model, "classes_", range(len(tiles)))]
        return "templates", tiles, titles
    return None, f"a {type(model).__name__} has no first-layer weights to draw", None


def _network(architecture: dict, weights: dict, image_shape) -> tuple:
    for i, layer in enumerate(architecture["layers"]):
        kind = layer["type"]
        if kind == "dense":
            return _dense(np.asarray(weights[f"{i}.weight"]), image_shape)
        if kind == "conv2d":
            kernel = np.asarray(weights[f"{i}.weight"])  # (out_c, in_c, k, k)
            # grey input has one channel; for more, the mean over inputs is a fair summary
            tiles = kernel.mean(axis=1)[:MAX_UNITS]
            return "conv", tiles, [str(j) for j in range(len(tiles))]
    return None, "the network has no dense or conv layer", None


def _dense(weight: np.ndarray, image_shape) -> tuple:
    h, w = image_shape
    if weight.shape[0] != h * w:
        return None, f"the first layer takes {weight.shape[0]} inputs, not {h}x{w} pixels", None
    tiles = weight[:, :MAX_UNITS].T.reshape(-1, h, w)  # (in, out) -> (units, H, W)
    return "dense", tiles, None
