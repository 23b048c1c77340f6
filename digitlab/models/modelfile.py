"""One `.npz` per model, read with `allow_pickle=False`.

The file holds named weight arrays plus `__meta__`, a JSON string:

    {"format": "digitlab-model", "version": 1,
     "engine": "numpy", "kind": "MLPClassifier",     # which class rebuilds it
     "params": {...},                                  # its get_params()
     "info": {"input_shape": [28, 28], "classes": [...], "dataset": ..., ...}}

Each engine module (see `registry.ENGINE_MODULES`) lists the classes it can
rebuild in `CODECS`: kind -> `Codec(cls, encode, decode)`, where
`encode(model) -> (params, arrays)` and
`decode(params, arrays, trust) -> model`.
Only those classes can be named by a file, so a file cannot make us import or
run anything else. A scikit-learn model that has no pickle-free form (SVC,
random forest) is stored as pickle bytes inside the `.npz`; reading it back
needs `trust=True` (`--trust` on the CLI), because unpickling runs code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

from digitlab.data.arrayfile import read_npz
from digitlab.errors import DigitlabError
from digitlab.files import atomic_path, parse_json
from digitlab.models.filecheck import check_arrays, check_meta, check_rebuilt

FORMAT = "digitlab-model"
VERSION = 1
META_KEY = "__meta__"


class Codec(NamedTuple):
    cls: type
    encode: Callable  # model -> (params: dict, arrays: dict[str, ndarray])
    decode: Callable  # (params, arrays, trust: bool) -> model


def save_model(model, path, info: dict | None = None) -> Path:
    """Write a fitted `model` to `path` (.npz) atomically; `info` is free JSON metadata."""
    header, arrays = encode_model(model)
    meta = {"format": FORMAT, "version": VERSION, **header, "info": info or {}}
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:  # a file object, so numpy does not append ".npz"
        np.savez_compressed(f, **{META_KEY: np.array(json.dumps(meta, default=_plain))}, **arrays)
    return path


def load_model(path, *, trust: bool = False):
    """Read a model; return `(model, info)`.

    `path` is a model `.npz`, a run folder (its `model.npz`), or a folder of
    learners' weights `W1.npy, b1.npy, ...` (see `npydir.py`).
    """
    path = Path(path)
    if path.is_dir():
        if not (path / "model.npz").is_file():
            from digitlab.models.npydir import load_npy_dir

            return load_npy_dir(path)
        path = path / "model.npz"
    meta, arrays = _read(path)
    try:
        model = decode_model(meta, arrays, trust)
        stored = encode_model(model)[1]
    except DigitlabError:
        raise
    except Exception as exc:  # a file whose arrays do not fit its class
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise DigitlabError(f"{path}: model file is damaged ({reason})") from exc
    check_rebuilt(path, arrays, stored)
    return model, meta["info"]


def encode_model(model) -> tuple[dict, dict]:
    """({"engine", "kind", "params"}, arrays): what a file stores for `model` (ensembles nest these)."""
    engine, kind = _describe(model)
    params, arrays = _codec(engine, kind).encode(model)
    return {"engine": engine, "kind": kind, "params": params}, arrays


def decode_model(header: dict, arrays: dict, trust: bool = False):
    """The model `encode_model` described; only classes listed in an engine's CODECS can come back."""
    return _codec(header["engine"], header["kind"]).decode(header["params"], arrays, trust)


def read_model_info(path) -> dict:
    """The metadata of a model file, without rebuilding the model."""
    meta, _ = _read(path)
    return meta


def _read(path) -> tuple[dict, dict]:
    path = Path(path)
    if not path.is_file():
        raise DigitlabError(f"{path}: no such model file")
    arrays = read_npz(path)
    text = arrays.pop(META_KEY, None)
    if text is None or text.shape != () or text.dtype.kind != "U":
        raise DigitlabError(f"{path}: not a digitlab model file (no {META_KEY} text)")
    meta = parse_json(str(text), f"{path}: not a digitlab model file (its metadata)")
    if isinstance(meta, dict) and (meta.get("format") != FORMAT or meta.get("version") != VERSION):
        raise DigitlabError(f"{path}: not a digitlab model file (format {meta.get('format')!r})")
    check_arrays(path, arrays)
    return check_meta(path, meta), arrays


def _describe(model) -> tuple[str, str]:
    """(engine, kind) of a model: the engine whose package defines its class."""
    from digitlab.models.registry import CLASS_PACKAGES, engine_module

    defined_in = type(model).__module__
    for engine, package in CLASS_PACKAGES.items():
        if not defined_in.startswith(package + "."):
            continue
        for kind, codec in engine_module(engine).CODECS.items():
            if type(model) is codec.cls:
                return engine, kind
    raise DigitlabError(f"cannot store a {type(model).__name__} as a digitlab model file")


def _codec(engine: str, kind: str) -> Codec:
    from digitlab.models.registry import engine_module

    codecs = getattr(engine_module(engine), "CODECS", {})
    if kind not in codecs:
        raise DigitlabError(f"engine {engine!r} cannot store or rebuild a {kind!r} model")
    return codecs[kind]


def _plain(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} in model metadata")
