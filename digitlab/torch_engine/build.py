"""An architecture description (see `digitlab.nn.architecture`) as an `nn.Sequential`.

Layer `i` of the description is module `i` of the Sequential, so the
state_dict names ("3.weight", "4.running_mean") are exactly our parameter
names. Two layouts differ and are converted here, nowhere else:

    dense weight   ours (in, out)   torch nn.Linear (out, in)   -> transpose
    flatten        both C-major (n, C, H, W) -> (n, C*H*W)      -> nothing to do
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from digitlab.nn.architecture import output_shapes, validate

BUFFERS = ("running_mean", "running_var")


def build_module(arch: dict) -> nn.Sequential:
    """A freshly initialised `nn.Sequential` for `arch` (He/Xavier as each layer asks)."""
    arch = validate(arch)
    shapes = [tuple(arch["input_shape"]), *output_shapes(arch)]
    modules = [_layer(layer, shapes[i]) for i, layer in enumerate(arch["layers"])]
    return nn.Sequential(*modules)


def _layer(layer: dict, in_shape: tuple) -> nn.Module:
    kind = layer["type"]
    if kind == "dense":
        module = nn.Linear(in_shape[0], layer["units"])
        _init(module, layer["init"])
        return module
    if kind == "conv2d":
        module = nn.Conv2d(in_shape[0], layer["filters"], layer["kernel_size"],
                           stride=layer["stride"], padding=layer["padding"])
        _init(module, layer["init"])
        return module
    if kind == "maxpool2d":
        return nn.MaxPool2d(layer["pool_size"], stride=layer["stride"])
    if kind == "batchnorm":
        norm = nn.BatchNorm2d if len(in_shape) == 3 else nn.BatchNorm1d
        return norm(in_shape[0], eps=layer["eps"], momentum=layer["momentum"])
    if kind == "dropout":
        return nn.Dropout(layer["rate"])
    if kind == "flatten":
        return nn.Flatten()
    if kind == "leaky_relu":
        return nn.LeakyReLU(layer["negative_slope"])
    if kind == "softmax":
        return nn.Softmax(dim=1)
    return {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}[kind]()


def _init(module: nn.Module, init: str) -> None:
    """He (fan-in, for ReLU), Xavier (for tanh/sigmoid and the logits) or N(0, 0.01); zero bias."""
    if init == "he":
        nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
    elif init == "xavier":
        nn.init.xavier_uniform_(module.weight)
    else:
        nn.init.normal_(module.weight, std=0.01)
    nn.init.zeros_(module.bias)


def get_weights(module: nn.Sequential) -> dict[str, np.ndarray]:
    """Our weights from a torch module: float32 numpy arrays, dense weights as (in, out)."""
    weights = {}
    for name, tensor in module.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        array = tensor.detach().to("cpu", torch.float32).numpy().copy()
        if _is_linear_weight(module, name):
            array = np.ascontiguousarray(array.T)  # (out, in) -> (in, out)
        weights[name] = array
    return weights


def set_weights(module: nn.Sequential, weights: dict[str, np.ndarray]) -> nn.Sequential:
    """Load our weights into `module` in place; every name must match, shapes included."""
    state = module.state_dict()
    expected = {name for name in state if not name.endswith("num_batches_tracked")}
    if set(weights) != expected:
        missing, extra = sorted(expected - set(weights)), sorted(set(weights) - expected)
        raise ValueError(f"weights do not fit the architecture (missing {missing}, unexpected {extra})")
    new_state = {}
    for name, tensor in state.items():
        if name.endswith("num_batches_tracked"):
            new_state[name] = tensor
            continue
        array = np.asarray(weights[name], dtype=np.float32)
        if _is_linear_weight(module, name):
            array = array.T  # (in, out) -> (out, in)
        if tuple(array.shape) != tuple(tensor.shape):
            raise ValueError(f"{name}: shape {array.shape}, the architecture needs {tuple(tensor.shape)}")
        new_state[name] = torch.from_numpy(np.ascontiguousarray(array)).to(tensor.device, tensor.dtype)
    module.load_state_dict(new_state)
    return module


def _is_linear_weight(module: nn.Sequential, name: str) -> bool:
    index, _, param = name.partition(".")
    return param == "weight" and isinstance(module[int(index)], nn.Linear)
