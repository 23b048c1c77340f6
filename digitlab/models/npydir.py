"""The learners' weights folder: `model/W1.npy, b1.npy, W2.npy, b2.npy, ...`.

Learners who write a network by hand (e.g. the 784-10-10 ReLU/softmax network
trained full-batch) keep one weight matrix and one bias column per layer, with
examples as *columns*:

    Z1 = W1 @ X + b1      X  (784, m)    W1 (10, 784)   b1 (10, 1)
    A1 = relu(Z1)
    Z2 = W2 @ A1 + b2                    W2 (10, 10)    b2 (10, 1)
    A2 = softmax(Z2)      (10, m)

Our dense weight is (in, out) with examples as rows, so W_k = ours.T and
b_k = ours[:, None]. A folder we write also holds `model.json` (the
architecture, classes and free metadata), so its activation and input shape
come back exactly; a learner's folder without it is read as ReLU between
layers, softmax at the end, and a square one-channel image (784 -> 28x28). Files are read with
`allow_pickle=False`. Only dense networks fit this format; anything else is
stored as a model `.npz` (see `modelfile.py`).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from digitlab.data.arrayfile import read_npy
from digitlab.errors import DigitlabError
from digitlab.files import atomic_path, read_json, write_json
from digitlab.nn import architecture as arch_lib

META = "model.json"
ELEMENTWISE = ("relu", "leaky_relu", "sigmoid", "tanh", "dropout")  # layers that keep no weights
_FILE = re.compile(r"^([Wb])(\d+)\.npy$")


def save_npy_dir(model, folder, info: dict | None = None) -> Path:
    """Write a fitted dense network as W1.npy, b1.npy, ... plus model.json into `folder`.

    `model` is any fitted network of ours (numpy, torch or keras engine): it
    needs `architecture_`, `classes_` and `get_weights()`. Each file is written
    atomically; stale W/b files of a bigger earlier model are removed.
    """
    arch, weights = _dense_only(model)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise DigitlabError(f"{folder}: exists and is not a folder")
    if (folder / "model.npz").exists():
        raise DigitlabError(f"{folder}: holds a model.npz (a run folder?); choose another folder")
    dense = [i for i, layer in enumerate(arch["layers"]) if layer["type"] == "dense"]
    arrays = {}
    for k, index in enumerate(dense, start=1):
        arrays[f"W{k}"] = np.ascontiguousarray(weights[f"{index}.weight"].T, dtype=np.float32)  # (out, in)
        arrays[f"b{k}"] = weights[f"{index}.bias"].astype(np.float32).reshape(-1, 1)  # (out, 1)
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        if _FILE.match(path.name) and path.stem not in arrays:
            path.unlink()
    for name, array in arrays.items():
        with atomic_path(folder / f"{name}.npy") as tmp, open(tmp, "wb") as f:  # a file object:
            np.save(f, array, allow_pickle=False)  # numpy then adds no second ".npy"
    write_json(folder / META, {"format": "digitlab-npy-dir", "architecture": arch,
                               "classes": np.asarray(model.classes_).tolist(), "info": info or {}})
    return folder


def load_npy_dir(folder):
    """Read a weights folder; return `(model, info)` with `model` a fitted numpy-engine network."""
    from digitlab.nn.estimators import from_weights

    folder = Path(folder)
    arrays = _read_arrays(folder)
    meta = _read_meta(folder)
    n_layers = len(arrays) // 2
    in_features = arrays["W1"].shape[1]
    out_features = arrays[f"W{n_layers}"].shape[0]
    if meta:
        arch = arch_lib.validate(meta["architecture"])
        classes = np.asarray(meta["classes"])
    else:
        arch = _learners_architecture(folder, arrays, in_features)
        classes = np.arange(out_features)
    weights = _our_weights(folder, arch, arrays)
    if len(classes) != out_features:
        raise DigitlabError(f"{folder}: W{n_layers} gives {out_features} outputs but there are "
                            f"{len(classes)} classes")
    info = dict(meta.get("info", {})) if meta else {}
    info.setdefault("input_shape", list(arch["input_shape"][-2:]))
    info.setdefault("classes", classes.tolist())
    return from_weights(arch, weights, classes), info


def _dense_only(model):
    try:
        arch, weights = model.architecture_, model.get_weights()
    except AttributeError:
        raise DigitlabError(f"a {type(model).__name__} has no network weights to save as W1.npy, b1.npy, ...")
    kinds = {layer["type"] for layer in arch["layers"]}
    if not kinds <= {"flatten", "dense", "softmax", *ELEMENTWISE} or arch["layers"][0]["type"] != "flatten":
        raise DigitlabError("only dense networks (flatten, dense, activations) can be saved as "
                            "W1.npy, b1.npy, ...; save this one as a model .npz")
    return arch, weights


def _read_arrays(folder: Path) -> dict[str, np.ndarray]:
    """W1..Wn and b1..bn, validated: contiguous numbering, finite floats, shapes that chain."""
    if not folder.is_dir():
        raise DigitlabError(f"{folder}: no such folder")
    found = {p.stem: p for p in folder.iterdir() if _FILE.match(p.name)}
    n = len(found) // 2
    expected = {f"{c}{k}" for k in range(1, n + 1) for c in "Wb"}
    if n == 0 or set(found) != expected:
        have = ", ".join(sorted(found)) or "none"
        raise DigitlabError(f"{folder}: expected W1.npy, b1.npy, W2.npy, b2.npy, ... (found {have})")
    arrays = {}
    for name, path in found.items():
        array = read_npy(path)
        if array.dtype.kind not in "fiu" or not np.all(np.isfinite(array)):
            raise DigitlabError(f"{path}: expected finite numbers, got {array.dtype}")
        arrays[name] = array.astype(np.float32)
    for k in range(1, n + 1):
        W, b = arrays[f"W{k}"], arrays[f"b{k}"]
        if W.ndim != 2 or b.size != W.shape[0] or b.ndim > 2:
            raise DigitlabError(f"{folder}: W{k} must be (out, in) and b{k} (out, 1); "
                                f"got {W.shape} and {b.shape}")
        if k > 1 and W.shape[1] != arrays[f"W{k - 1}"].shape[0]:
            raise DigitlabError(f"{folder}: W{k} takes {W.shape[1]} inputs but W{k - 1} gives "
                                f"{arrays[f'W{k - 1}'].shape[0]}")
    return arrays


def _read_meta(folder: Path) -> dict | None:
    path = folder / META
    if not path.is_file():
        return None
    meta = read_json(path, "digitlab weights description")
    try:
        meta["architecture"], meta["classes"]
    except (KeyError, TypeError, IndexError) as exc:
        raise DigitlabError(f"{path}: not a digitlab weights description ({exc})") from exc
    return meta


def _learners_architecture(folder: Path, arrays: dict, in_features: int) -> dict:
    """flatten, (dense, relu) ..., dense, softmax: the hand-written network's shape."""
    side = math.isqrt(in_features)
    if side * side != in_features:
        raise DigitlabError(f"{folder}: W1 takes {in_features} inputs, not a square image; "
                            f"add a {META} with the architecture")
    n_layers = len(arrays) // 2
    layers = [{"type": "flatten"}]
    for k in range(1, n_layers + 1):
        layers.append({"type": "dense", "units": int(arrays[f"W{k}"].shape[0])})
        layers.append({"type": "relu" if k < n_layers else "softmax"})
    return arch_lib.validate({"input_shape": [1, side, side], "layers": layers})


def _our_weights(folder: Path, arch: dict, arrays: dict) -> dict[str, np.ndarray]:
    """Our names and layout, checked against the architecture's shapes."""
    dense = [i for i, layer in enumerate(arch["layers"]) if layer["type"] == "dense"]
    if len(dense) != len(arrays) // 2:
        raise DigitlabError(f"{folder}: {META} describes {len(dense)} dense layers but there are "
                            f"{len(arrays) // 2} weight files")
    weights = {}
    for k, index in enumerate(dense, start=1):
        weights[f"{index}.weight"] = np.ascontiguousarray(arrays[f"W{k}"].T)  # (out, in) -> (in, out)
        weights[f"{index}.bias"] = arrays[f"b{k}"].reshape(-1)
    for name, shape in arch_lib.param_shapes(arch).items():
        if weights[name].shape != shape:
            raise DigitlabError(f"{folder}: weights for layer {name} are {weights[name].shape}, "
                                f"the architecture needs {shape}")
    return weights
