"""What a model file must hold before and after it is rebuilt, checked in one place.

A model file comes from anywhere: a download, an old run, a hand-edited copy. A
damaged one must stop with one line, never load and quietly answer nonsense:
NaN weights made every prediction digit 0 with probability "nan", and int8
weights (truncated to zeros when copied into the network) a flat 10%.

- `check_meta`: the JSON metadata is an object with the keys `save_model` writes.
- `check_arrays`: every array is numbers, and every float is finite.
- `check_rebuilt`: the rebuilt model, stored again, gives the arrays the file
  holds (same names, dtypes, shapes): a file is exactly what its class writes.
"""

from __future__ import annotations

import numpy as np

from digitlab.errors import DigitlabError

# key -> the JSON type it must have (`save_model` writes them all)
META_TYPES = {"engine": str, "kind": str, "params": dict, "info": dict}


def check_meta(path, meta) -> dict:
    """`meta` as read from a file's `__meta__`, checked; returns it."""
    if not isinstance(meta, dict):
        raise DigitlabError(f"{path}: not a digitlab model file (its metadata is a JSON "
                            f"{type(meta).__name__}, not an object)")
    for key, kind in META_TYPES.items():
        if not isinstance(meta.get(key), kind):
            found = "missing" if key not in meta else f"a {type(meta[key]).__name__}"
            raise DigitlabError(f"{path}: damaged model file: metadata '{key}' should be a "
                                f"{'string' if kind is str else 'JSON object'}, is {found}")
    shape = meta["info"].get("input_shape")
    if shape is not None and not (isinstance(shape, list) and len(shape) in (2, 3)
                                  and all(type(d) is int and d > 0 for d in shape)):
        raise DigitlabError(f"{path}: damaged model file: info 'input_shape' should be [H, W], is {shape!r}")
    if not isinstance(meta["info"].get("classes", []), list):
        raise DigitlabError(f"{path}: damaged model file: info 'classes' should be a list")
    return meta


def check_arrays(path, arrays: dict) -> None:
    """Every array holds real numbers, and every float is finite."""
    for name, array in arrays.items():
        if array.dtype.kind not in "biuf":
            raise DigitlabError(f"{path}: damaged model file: array {name!r} holds {array.dtype}, not numbers")
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            bad = int(np.size(array) - np.isfinite(array).sum())
            raise DigitlabError(f"{path}: damaged model file: array {name!r} holds {bad:,} NaN or infinite "
                                "values (a training run that diverged?)")


def check_rebuilt(path, arrays: dict, stored: dict) -> None:
    """`stored` (what the rebuilt model's class writes) has the names, dtypes and shapes of the file's `arrays`.

    A pickled scikit-learn model's bytes (arrays named `pickle`) may differ in
    length from one pickling to the next, so only their dtype is compared.
    """
    if set(arrays) != set(stored):
        extra, missing = sorted(set(arrays) - set(stored)), sorted(set(stored) - set(arrays))
        raise DigitlabError(f"{path}: damaged model file: arrays do not fit the model"
                            + (f"; unexpected {', '.join(extra)}" if extra else "")
                            + (f"; missing {', '.join(missing)}" if missing else ""))
    for name, array in arrays.items():
        want = np.asarray(stored[name])
        same_shape = name.rsplit(".", 1)[-1] == "pickle" or array.shape == want.shape
        if array.dtype != want.dtype or not same_shape:
            raise DigitlabError(f"{path}: damaged model file: array {name!r} is {array.dtype} {array.shape}, "
                                f"but this model stores {want.dtype} {want.shape}")
