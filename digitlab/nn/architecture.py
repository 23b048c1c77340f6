"""One architecture description, built by every engine (numpy, torch, keras).

An architecture is plain JSON, so it is stored in model files as it is:

    {"input_shape": [1, 28, 28],
     "layers": [{"type": "flatten"},
                {"type": "dense", "units": 128}, {"type": "relu"},
                {"type": "dense", "units": 10}]}

Models take X of shape (n, H*W) and reshape it to (n, *input_shape) first,
so an MLP starts with `flatten` and a CNN with `conv2d`. The last layer gives
logits; the loss (softmax cross-entropy by default) lives in the estimator.

Layer types, their options (defaults filled by `validate`) and parameters.
Parameters are named "{index}.{name}", like a torch `nn.Sequential` state_dict:

    type        options                                    parameters (shapes)
    dense       units, init="he"                           weight (in, out), bias (out,)
    conv2d      filters, kernel_size, stride=1,            weight (out_c, in_c, k, k),
                padding=0, init="he"                       bias (out_c,)
    maxpool2d   pool_size=2, stride=None (= pool_size)
    batchnorm   momentum=0.1, eps=1e-5                     weight, bias, running_mean,
                (per feature on (n, F), per channel         running_var  (all (F,) or (C,))
                on (n, C, H, W))
    dropout     rate=0.5
    flatten                                                (n, C, H, W) -> (n, C*H*W), C-major
    relu, sigmoid, tanh, softmax, leaky_relu (negative_slope=0.01)

Note the dense weight is (in, out), so `y = x @ W + b` reads like the maths;
torch's nn.Linear keeps (out, in), and its converter transposes.
"""

from __future__ import annotations

import copy
import math

from digitlab.errors import DigitlabError
from digitlab.files import read_json

LAYER_OPTIONS = {
    "dense": {"units": None, "init": "he"},
    "conv2d": {"filters": None, "kernel_size": None, "stride": 1, "padding": 0, "init": "he"},
    "maxpool2d": {"pool_size": 2, "stride": None},
    "batchnorm": {"momentum": 0.1, "eps": 1e-5},
    "dropout": {"rate": 0.5},
    "flatten": {},
    "relu": {},
    "leaky_relu": {"negative_slope": 0.01},
    "sigmoid": {},
    "tanh": {},
    "softmax": {},
}
# each layer option's valid range: sizes are whole numbers >= the bound, the rest numbers in [low, high)
SIZES = {"units": 1, "filters": 1, "kernel_size": 1, "stride": 1, "pool_size": 1, "padding": 0}
FRACTIONS = {"rate": (0.0, 1.0), "momentum": (0.0, 1.0), "eps": (1e-12, 1.0), "negative_slope": (0.0, 1.0)}
INITS = ("he", "xavier", "normal")
ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")


def validate(arch: dict) -> dict:
    """A copy of `arch` with every option filled in; a clear error for anything unknown."""
    if not isinstance(arch, dict) or "layers" not in arch or "input_shape" not in arch:
        raise DigitlabError("an architecture is a dict with 'input_shape' and 'layers'")
    shape, layers = arch["input_shape"], arch["layers"]
    if not isinstance(shape, list) or not 1 <= len(shape) <= 3 or not all(_whole(d, 1) for d in shape):
        raise DigitlabError(f"input_shape must be a list of 1-3 positive whole numbers, e.g. [1, 28, 28]; "
                            f"got {shape!r}")
    if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers):
        raise DigitlabError("'layers' must be a list of objects, e.g. [{\"type\": \"flatten\"}, ...]")
    layers = [_fill(i, layer) for i, layer in enumerate(layers)]
    full = {"input_shape": [int(d) for d in shape], "layers": layers}
    output_shapes(full)  # raises when the layers do not fit together
    return full


def load(path) -> dict:
    """The architecture in a JSON file, checked (what `digitlab train --model FILE.json` trains)."""
    try:
        arch = read_json(path, "JSON architecture")
    except OSError as exc:
        raise DigitlabError(f"{path}: cannot read the architecture file ({exc.strerror or exc})") from None
    try:
        return validate(arch)
    except DigitlabError as exc:
        raise DigitlabError(f"{path}: {exc}") from None


def input_shape_for(n_features: int, given=None, flat_ok: bool = False) -> tuple:
    """The input shape of rows of `n_features` pixels, as every engine infers it.

    `given` as it is ((H, W) gains a channel: (1, H, W)); else a square one-channel
    image (1, s, s) when n_features = s * s; else flat (n_features,) if `flat_ok`.
    """
    if given is not None:
        shape = tuple(int(d) for d in given)
        return (1, *shape) if len(shape) == 2 else shape
    side = math.isqrt(n_features)
    if side * side == n_features:
        return (1, side, side)
    if flat_ok:
        return (n_features,)
    raise DigitlabError(f"X has {n_features} features per row, not a square image; give its input_shape "
                        "(or an architecture)")


def check_fits(arch: dict, n_features: int | None, n_classes: int) -> None:
    """A clear error when `arch` does not take the data's images or give one logit per class."""
    size = math.prod(arch["input_shape"])
    if n_features is not None and size != n_features:
        raise DigitlabError(f"the architecture takes {size} features per example (input_shape "
                            f"{arch['input_shape']}), but X has {n_features}")
    out = output_shapes(arch)[-1]
    if out != (n_classes,):
        raise DigitlabError(f"the architecture's output has shape {out}, but there are {n_classes} classes")


def _whole(value, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _fill(index: int, layer: dict) -> dict:
    kind = layer.get("type")
    if kind not in LAYER_OPTIONS:
        raise DigitlabError(f"layer {index}: unknown type {kind!r}; choose from {', '.join(LAYER_OPTIONS)}")
    defaults = LAYER_OPTIONS[kind]
    unknown = set(layer) - set(defaults) - {"type"}
    if unknown:
        raise DigitlabError(f"layer {index} ({kind}): unknown option(s) {', '.join(sorted(unknown))}")
    full = {"type": kind, **copy.deepcopy(defaults), **{k: v for k, v in layer.items() if k != "type"}}
    missing = [name for name, value in full.items() if value is None and name != "stride"]
    if missing:
        raise DigitlabError(f"layer {index} ({kind}): missing option(s) {', '.join(missing)}")
    if kind == "maxpool2d" and full["stride"] is None:
        full["stride"] = full["pool_size"]
    for name, low in SIZES.items():
        if name in full and not _whole(full[name], low):
            raise DigitlabError(f"layer {index} ({kind}): {name} must be a whole number >= {low}, "
                                f"got {full[name]!r}")
    for name, (low, high) in FRACTIONS.items():
        value = full.get(name, low)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value < high:
            raise DigitlabError(f"layer {index} ({kind}): {name} must be a number in [{low}, {high}), "
                                f"got {value!r}")
    if full.get("init", "he") not in INITS:
        raise DigitlabError(f"layer {index}: unknown init {full['init']!r}; choose from {', '.join(INITS)}")
    return full


def output_shapes(arch: dict) -> list[tuple[int, ...]]:
    """The shape after each layer, batch dimension left out."""
    shape = tuple(arch["input_shape"])
    shapes = []
    for index, layer in enumerate(arch["layers"]):
        shape = _next_shape(index, layer, shape)
        shapes.append(shape)
    return shapes


def _next_shape(index: int, layer: dict, shape: tuple) -> tuple:
    kind = layer["type"]
    if kind == "dense":
        _expect_rank(index, kind, shape, 1)
        return (layer["units"],)
    if kind == "flatten":
        return (math.prod(shape),)
    if kind in ("conv2d", "maxpool2d"):
        _expect_rank(index, kind, shape, 3)
        c, h, w = shape
        k = layer["kernel_size"] if kind == "conv2d" else layer["pool_size"]
        pad = layer.get("padding", 0)
        out_h = (h + 2 * pad - k) // layer["stride"] + 1
        out_w = (w + 2 * pad - k) // layer["stride"] + 1
        if out_h < 1 or out_w < 1:
            raise DigitlabError(f"layer {index} ({kind}): input {shape} is too small for size {k}")
        return (layer["filters"] if kind == "conv2d" else c, out_h, out_w)
    return shape


def _expect_rank(index, kind, shape, rank):
    if len(shape) != rank:
        hint = " (add a 'flatten' layer first)" if kind == "dense" else ""
        raise DigitlabError(f"layer {index} ({kind}) needs input of rank {rank}, got shape {shape}{hint}")


def param_shapes(arch: dict) -> dict[str, tuple[int, ...]]:
    """Every learned array and buffer, by name, in layer order."""
    shapes = {}
    shape = tuple(arch["input_shape"])
    for index, layer in enumerate(arch["layers"]):
        kind = layer["type"]
        if kind == "dense":
            shapes[f"{index}.weight"] = (shape[0], layer["units"])
            shapes[f"{index}.bias"] = (layer["units"],)
        elif kind == "conv2d":
            k = layer["kernel_size"]
            shapes[f"{index}.weight"] = (layer["filters"], shape[0], k, k)
            shapes[f"{index}.bias"] = (layer["filters"],)
        elif kind == "batchnorm":
            for name in ("weight", "bias", "running_mean", "running_var"):
                shapes[f"{index}.{name}"] = (shape[0],)
        shape = _next_shape(index, layer, shape)
    return shapes


def count_params(arch: dict) -> int:
    """Trainable parameters (batch-norm running statistics are not counted)."""
    total = 0
    for name, shape in param_shapes(arch).items():
        if not name.endswith(("running_mean", "running_var")):
            total += math.prod(shape)
    return total


# -- the architectures the registry names -----------------------------------

def mlp(hidden=(128, 64, 32), activation="relu", input_shape=(1, 28, 28), n_classes=10,
        dropout=0.0, batchnorm=False, init=None) -> dict:
    """Fully connected: flatten, then (dense, [batchnorm], activation, [dropout]) per hidden layer."""
    if activation not in ACTIVATIONS:
        raise DigitlabError(f"unknown activation {activation!r}; choose from {', '.join(ACTIVATIONS)}")
    init = init or ("he" if activation in ("relu", "leaky_relu") else "xavier")
    layers = [{"type": "flatten"}]
    for units in hidden:
        layers.append({"type": "dense", "units": int(units), "init": init})
        if batchnorm:
            layers.append({"type": "batchnorm"})
        layers.append({"type": activation})
        if dropout:
            layers.append({"type": "dropout", "rate": float(dropout)})
    layers.append({"type": "dense", "units": n_classes, "init": "xavier"})
    return validate({"input_shape": list(input_shape), "layers": layers})


def cnn(channels=(32, 64), dense=128, input_shape=(1, 28, 28), n_classes=10,
        dropout=0.25, batchnorm=True) -> dict:
    """Per stage: two 3x3 convs (same padding) with batch-norm and ReLU, then 2x2 max-pool;
    then dropout and, per entry of `dense` (an int or a list), a dense layer, ReLU and dropout."""
    layers = []
    for c in channels:
        for _ in range(2):
            layers.append({"type": "conv2d", "filters": int(c), "kernel_size": 3, "padding": 1})
            if batchnorm:
                layers.append({"type": "batchnorm"})
            layers.append({"type": "relu"})
        layers.append({"type": "maxpool2d", "pool_size": 2})
    layers.append({"type": "flatten"})
    if dropout:
        layers.append({"type": "dropout", "rate": float(dropout)})
    for units in (dense if isinstance(dense, (list, tuple)) else [dense]):
        layers += [{"type": "dense", "units": int(units)}, {"type": "relu"}]
        if dropout:
            layers.append({"type": "dropout", "rate": float(dropout)})
    layers.append({"type": "dense", "units": n_classes, "init": "xavier"})
    return validate({"input_shape": list(input_shape), "layers": layers})


def lenet5(input_shape=(1, 28, 28), n_classes=10) -> dict:
    """LeCun et al. 1998, as usually rebuilt: conv 6@5x5 (pad 2), pool, conv 16@5x5, pool, 120, 84."""
    layers = [
        {"type": "conv2d", "filters": 6, "kernel_size": 5, "padding": 2}, {"type": "tanh"},
        {"type": "maxpool2d", "pool_size": 2},
        {"type": "conv2d", "filters": 16, "kernel_size": 5}, {"type": "tanh"},
        {"type": "maxpool2d", "pool_size": 2},
        {"type": "flatten"},
        {"type": "dense", "units": 120, "init": "xavier"}, {"type": "tanh"},
        {"type": "dense", "units": 84, "init": "xavier"}, {"type": "tanh"},
        {"type": "dense", "units": n_classes, "init": "xavier"},
    ]
    return validate({"input_shape": list(input_shape), "layers": layers})


def fast_cnn(channels=(16, 32, 64), input_shape=(1, 28, 28), n_classes=10, hidden=(128,)) -> dict:
    """A CNN for training fast on a CPU: no layer works at full resolution.

    Every conv halves the image (stride 2: a 5x5 first, then 3x3s), with batch-norm
    and ReLU, so 28x28 -> 14 -> 7 -> 4; then the dense layers in `hidden` and the logits.
    Halving the image in the first layer is what makes it quick: with the defaults
    it does ~1.5 MFLOP per 28x28 image forward, a quarter of two 5x5 convs (16, 32)
    at full and half resolution with max-pools, a sixteenth of pytorch/examples' net.
    """
    layers = []
    for i, c in enumerate(channels):
        k = 5 if i == 0 else 3
        layers += [{"type": "conv2d", "filters": int(c), "kernel_size": k, "stride": 2, "padding": k // 2},
                   {"type": "batchnorm"}, {"type": "relu"}]
    layers.append({"type": "flatten"})
    for units in hidden:
        layers += [{"type": "dense", "units": int(units)}, {"type": "relu"}]
    layers.append({"type": "dense", "units": n_classes, "init": "xavier"})
    return validate({"input_shape": list(input_shape), "layers": layers})


BUILDERS = ("mlp", "cnn", "lenet5", "fast-cnn")


def build(kind, input_shape, n_classes, *, hidden_layer_sizes=(128,), activation="relu",
          channels=(32, 64), dropout=0.0, batchnorm=False, init=None) -> dict:
    """The architecture an estimator's parameters describe: a builder's name, or a full dict.

    The torch and keras estimators share this, so the same parameters give the same network.
    """
    if isinstance(kind, dict):
        return validate(kind)
    hidden = [int(h) for h in (hidden_layer_sizes if hasattr(hidden_layer_sizes, "__len__")
                               else [hidden_layer_sizes])]
    channels = [int(c) for c in channels]
    if kind != "mlp" and activation != "relu":  # silently ignoring it would train another network
        raise DigitlabError(f"activation={activation!r} applies to an mlp; the {kind} architecture fixes its own")
    if kind == "mlp":
        return mlp(hidden, activation, input_shape, n_classes, dropout=dropout, batchnorm=batchnorm,
                   init=init)
    if kind == "cnn":
        return cnn(channels, hidden, input_shape, n_classes, dropout=dropout, batchnorm=batchnorm)
    if kind == "lenet5":
        return lenet5(input_shape, n_classes)
    if kind == "fast-cnn":
        return fast_cnn(channels, input_shape, n_classes, hidden=hidden)
    raise DigitlabError(f"unknown architecture {kind!r}; choose {', '.join(BUILDERS)} or a dict")
