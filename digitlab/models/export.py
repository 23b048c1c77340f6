"""Export a fitted network: one ONNX file, or the learners' folder of `W1.npy, b1.npy, ...`.

ONNX is built straight from the architecture description and the weights
(no torch needed), one ONNX node per layer of ours:

    input "pixels"  float32 (N, H*W) in [0, 1]    -> Reshape (N, C, H, W)
    conv2d -> Conv     batchnorm -> BatchNormalization (inference form)
    dense  -> Gemm     (our weight is (in, out), so Gemm's B is it as stored)
    maxpool2d -> MaxPool   flatten -> Flatten (C-major, as ours)   dropout -> nothing
    outputs "logits" (N, K) and "probabilities" (N, K) (Softmax, or the network's own head)

The class labels and the model's info travel in the file's metadata_props.
`onnx` is imported here and nowhere else, and only when exporting to ONNX.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from digitlab.errors import DigitlabError
from digitlab.files import atomic_path

FORMATS = ("onnx", "npy-dir")
OPSET = 17
_UNARY = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}


def export_model(model, out, format: str = "onnx", info: dict | None = None) -> Path:
    """Write `model` (a fitted network of any engine) to `out` in `format`; return the path."""
    if format not in FORMATS:
        raise DigitlabError(f"unknown export format {format!r}; choose from {', '.join(FORMATS)}")
    if not hasattr(model, "architecture_") or not hasattr(model, "get_weights"):
        raise DigitlabError(f"only networks (mlp, cnn, lenet5, ...) can be exported, not a {type(model).__name__}")
    if format == "npy-dir":
        from digitlab.models.npydir import save_npy_dir

        return save_npy_dir(model, out, info=info)
    return save_onnx(model, out, info)


def save_onnx(model, path, info: dict | None = None) -> Path:
    """One self-contained .onnx file, checked by onnx.checker, written atomically."""
    onnx = _import_onnx()
    proto = to_onnx(model, info)
    onnx.checker.check_model(proto, full_check=True)
    path = Path(path)
    with atomic_path(path) as tmp:
        onnx.save(proto, str(tmp))
    return path


def to_onnx(model, info: dict | None = None):
    """The ModelProto of a fitted network (see the module docstring for the graph)."""
    _import_onnx()
    from onnx import TensorProto, helper, numpy_helper

    arch, weights = model.architecture_, model.get_weights()
    shape = list(arch["input_shape"])
    n_features = int(np.prod(shape))
    inits = [numpy_helper.from_array(np.array([-1, *shape], np.int64), "input_shape")]
    nodes = [helper.make_node("Reshape", ["pixels", "input_shape"], ["x0"])]
    current = "x0"
    for index, layer in enumerate(arch["layers"]):
        new_nodes, new_inits, current = _layer_nodes(index, layer, current, weights)
        nodes += new_nodes
        inits += [numpy_helper.from_array(np.asarray(a, np.float32), name) for name, a in new_inits.items()]
    nodes.append(helper.make_node("Identity", [current], ["logits"]))
    nodes += _probability_nodes(arch["layers"][-1]["type"], current, inits)
    n_out = len(model.classes_)
    graph = helper.make_graph(
        nodes, "digitlab", [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["N", n_features])],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", n_out]) for name in ("logits", "probabilities")],
        initializer=inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="digitlab",
                              doc_string="pixels: float32 (N, H*W) in [0, 1], white ink on black")
    proto.ir_version = min(proto.ir_version, 8)  # readable by onnxruntime releases from 2022 on
    meta = {"classes": json.dumps(np.asarray(model.classes_).tolist()), "architecture": json.dumps(arch),
            "info": json.dumps(info or {}, default=str)}
    helper.set_model_props(proto, meta)
    return proto


def _layer_nodes(index: int, layer: dict, x: str, weights: dict):
    """(nodes, initialisers, output name) for layer `index`; Dropout is identity at inference."""
    from onnx import helper

    kind, y, p = layer["type"], f"x{index + 1}", f"{index}."
    if kind == "dropout":
        return [], {}, x
    if kind == "dense":
        return [helper.make_node("Gemm", [x, p + "weight", p + "bias"], [y])], \
            {p + "weight": weights[p + "weight"], p + "bias": weights[p + "bias"]}, y
    if kind == "conv2d":
        pad = layer["padding"]
        node = helper.make_node("Conv", [x, p + "weight", p + "bias"], [y], kernel_shape=[layer["kernel_size"]] * 2,
                                strides=[layer["stride"]] * 2, pads=[pad] * 4)
        return [node], {p + "weight": weights[p + "weight"], p + "bias": weights[p + "bias"]}, y
    if kind == "batchnorm":
        names = [p + n for n in ("weight", "bias", "running_mean", "running_var")]
        node = helper.make_node("BatchNormalization", [x, *names], [y], epsilon=float(layer["eps"]))
        return [node], {n: weights[n] for n in names}, y
    if kind == "maxpool2d":
        node = helper.make_node("MaxPool", [x], [y], kernel_shape=[layer["pool_size"]] * 2,
                                strides=[layer["stride"]] * 2)
        return [node], {}, y
    if kind == "flatten":
        return [helper.make_node("Flatten", [x], [y], axis=1)], {}, y
    if kind == "leaky_relu":
        return [helper.make_node("LeakyRelu", [x], [y], alpha=float(layer["negative_slope"]))], {}, y
    if kind == "softmax":
        return [helper.make_node("Softmax", [x], [y], axis=1)], {}, y
    return [helper.make_node(_UNARY[kind], [x], [y])], {}, y


def _probability_nodes(last: str, out: str, inits: list):
    """Softmax over logits, or the network's own head (sigmoid outputs normalised to sum to 1)."""
    from onnx import helper, numpy_helper

    if last == "softmax":
        return [helper.make_node("Identity", [out], ["probabilities"])]
    if last == "sigmoid":  # as the numpy engine's to_probabilities does
        inits.append(numpy_helper.from_array(np.array([1], np.int64), "sum_axes"))
        return [helper.make_node("ReduceSum", [out, "sum_axes"], ["total"], keepdims=1),
                helper.make_node("Div", [out, "total"], ["probabilities"])]
    return [helper.make_node("Softmax", [out], ["probabilities"], axis=1)]


def onnx_parity(path, model, n: int = 64, seed: int = 0) -> float:
    """Largest |difference| between onnxruntime's and our model's probabilities on `n` random inputs."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise DigitlabError("checking an ONNX file needs onnxruntime: pip install 'digitlab[onnx]'") from exc
    X = np.random.default_rng(seed).random((n, int(np.prod(model.architecture_["input_shape"]))), np.float32)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (theirs,) = session.run(["probabilities"], {"pixels": X})
    return float(np.abs(theirs - model.predict_proba(X)).max())


def _import_onnx():
    try:
        import onnx
    except ImportError as exc:
        raise DigitlabError("ONNX export needs the onnx package: pip install 'digitlab[onnx]'") from exc
    return onnx
