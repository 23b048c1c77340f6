"""Build an architecture (see `digitlab.nn.architecture`) as a `keras.Sequential`,
and move weights between Keras and the numpy engine's layout.

Two layout differences, handled here and nowhere else:

* Keras is channels-last. Our images are (C, H, W); the model reshapes its
  flat input to (C, H, W) and permutes it to (H, W, C) once, and a conv kernel
  is (k, k, in_c, out_c) in Keras but (out_c, in_c, k, k) in ours.
* Our `flatten` is C-major, (C, H, W) -> C*H*W. Keras' Flatten on (H, W, C)
  would order the features H-major, so before flattening we permute back to
  (C, H, W). The dense weight after it is then the same in both engines.

Integer conv padding becomes ZeroPadding2D + a "valid" Conv2D, which is exact
for any kernel, stride and padding (Keras' "same" is not, for even sizes).
"""

from __future__ import annotations

import numpy as np

from digitlab.nn.architecture import validate

# our init names -> Keras initializer classes (biases start at zero in both)
INITIALIZERS = {"he": "HeNormal", "xavier": "GlorotUniform", "normal": "RandomNormal"}
FUSABLE = ("relu", "sigmoid", "tanh", "softmax")  # activations Keras layers take by name


def build_sequential(keras, arch: dict, seed: int = 0, l2: float = 0.0):
    """A `keras.Sequential` computing `arch`'s logits from flat inputs (n, prod(input_shape)).

    Returns `(model, named)`, where `named[i]` is the Keras layer that holds
    the parameters of our layer `i` (dense, conv2d, batchnorm).
    """
    arch = validate(arch)
    shape = tuple(arch["input_shape"])
    layers = [keras.Input(shape=(int(np.prod(shape)),))]
    if len(shape) == 3:
        layers += [keras.layers.Reshape(shape), keras.layers.Permute((2, 3, 1))]  # (C, H, W) -> (H, W, C)
    rank = len(shape)
    named, specs, index = {}, arch["layers"], 0
    while index < len(specs):
        spec = specs[index]
        # An activation right after a dense or conv layer goes inside it, as Keras users write
        # Dense(25, activation="relu"): the same maths, and half the per-layer overhead per step.
        fused = index + 1 < len(specs) and spec["type"] in ("dense", "conv2d") \
            and specs[index + 1]["type"] in FUSABLE
        activation = specs[index + 1]["type"] if fused else None
        built = _layer(keras, spec, rank, seed + index, l2, activation)
        if spec["type"] in ("dense", "conv2d", "batchnorm"):
            named[index] = built[-1]
        if spec["type"] == "flatten":
            rank = 1
        layers += built
        index += 2 if fused else 1
    return keras.Sequential(layers), named


def _layer(keras, spec: dict, rank: int, seed: int, l2: float, activation=None) -> list:
    """The Keras layers for one of ours; `rank` is 3 for images (H, W, C), 1 for vectors."""
    L, kind = keras.layers, spec["type"]
    if kind == "dense":
        return [L.Dense(spec["units"], activation=activation, **_weights_options(keras, spec, seed, l2))]
    if kind == "conv2d":
        pad = [L.ZeroPadding2D(spec["padding"])] if spec["padding"] else []
        return pad + [L.Conv2D(spec["filters"], spec["kernel_size"], strides=spec["stride"], padding="valid",
                               activation=activation, **_weights_options(keras, spec, seed, l2))]
    if kind == "maxpool2d":
        return [L.MaxPooling2D(spec["pool_size"], strides=spec["stride"], padding="valid")]
    if kind == "batchnorm":
        # ours (torch's): running = (1 - m) * running + m * batch; Keras weights the old value by its momentum
        return [L.BatchNormalization(axis=-1, momentum=1.0 - spec["momentum"], epsilon=spec["eps"])]
    if kind == "dropout":
        return [L.Dropout(spec["rate"], seed=seed)]
    if kind == "flatten":  # (H, W, C) -> (C, H, W) first; a vector is flat already
        return [L.Permute((3, 1, 2)), L.Flatten()] if rank == 3 else []
    if kind == "leaky_relu":
        return [L.LeakyReLU(negative_slope=spec["negative_slope"])]
    return [L.Activation(kind)]  # relu, sigmoid, tanh, softmax: Keras knows them by these names


def _weights_options(keras, spec: dict, seed: int, l2: float) -> dict:
    init = getattr(keras.initializers, INITIALIZERS[spec["init"]])
    options = {"kernel_initializer": init(seed=seed), "bias_initializer": "zeros"}
    if l2:
        options["kernel_regularizer"] = keras.regularizers.L2(l2)
    return options


# -- weights: ours <-> Keras ---------------------------------------------------

def get_numpy_weights(arch: dict, named: dict) -> dict[str, np.ndarray]:
    """Our float32 weights, named like `architecture.param_shapes`, from a built Keras model."""
    weights = {}
    for index, layer in named.items():
        kind = arch["layers"][index]["type"]
        values = [np.asarray(v, dtype=np.float32) for v in layer.get_weights()]
        if kind == "dense":
            weights[f"{index}.weight"], weights[f"{index}.bias"] = values  # both (in, out)
        elif kind == "conv2d":
            kernel, bias = values
            # (k, k, in, out) -> (out, in, k, k)
            weights[f"{index}.weight"] = np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))
            weights[f"{index}.bias"] = bias
        elif kind == "batchnorm":
            # Keras' gamma, beta, moving mean, moving variance
            names = ("weight", "bias", "running_mean", "running_var")
            weights.update({f"{index}.{name}": v for name, v in zip(names, values)})
    return weights


def set_numpy_weights(arch: dict, named: dict, weights: dict) -> None:
    """Load our weights (as from `get_numpy_weights` or the numpy engine) into a built Keras model."""
    for index, layer in named.items():
        kind = arch["layers"][index]["type"]
        w = {name.split(".", 1)[1]: np.asarray(v, dtype=np.float32)
             for name, v in weights.items() if name.split(".", 1)[0] == str(index)}
        if kind == "dense":
            values = [w["weight"], w["bias"]]
        elif kind == "conv2d":
            values = [w["weight"].transpose(2, 3, 1, 0), w["bias"]]  # (out,in,k,k) -> (k,k,in,out)
        else:
            values = [w["weight"], w["bias"], w["running_mean"], w["running_var"]]
        layer.set_weights(values)
