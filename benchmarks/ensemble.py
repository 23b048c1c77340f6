"""Ensembles and test-time augmentation on the MNIST test split: do they beat the best single model?

    python benchmarks/ensemble.py --data-dir ../shared/data/mnist                       # the shipped models
    python benchmarks/ensemble.py --data-dir ../shared/data/mnist \\
        --members torch-cnn-64-128-robust runs/cnn-seed1 runs/cnn-seed2

Each member (a shipped name, a model file or a run folder) predicts the 10,000
test images once per view (the original, then `--shifts/--angles/--scales` as
in `digitlab.models.tta`); every ensemble's accuracy, with and without test-time
augmentation, is then the mean of those probabilities. `--weights` (one per
member, as `digitlab ensemble --weights`) adds the weighted mean of all members,
e.g. so that each recipe counts equally however many seeds it has. With `--engine torch`
(the default when PyTorch is installed) the networks run in torch with the
same weights (the engines agree to 1e-5; see tests/test_torch_engine.py), which
is several times faster than the numpy engine. The library's own
`TTAClassifier(EnsembleClassifier(...))` is checked against these figures on
the first 500 images. Members' training times come from their cards or histories. With `--cache DIR`
each member's probabilities are kept (per member and set of views) and reused.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import time
from pathlib import Path

import numpy as np

from digitlab.cli.export import load_any
from digitlab.data import load_dataset, to_features
from digitlab.models.ensemble import EnsembleClassifier
from digitlab.models.pretrained import list_pretrained
from digitlab.models.tta import TTAClassifier, views, warp


def as_torch(model):
    """The same network run by torch (numpy-engine files hold the architecture and weights)."""
    from digitlab.torch_engine.estimator import TorchNetClassifier
    from digitlab.torch_engine.fit import restore

    if isinstance(model, TorchNetClassifier) or not hasattr(model, "architecture_"):
        return model
    arch = model.architecture_
    return restore(TorchNetClassifier(architecture=arch), model.classes_, model.get_weights())


def train_seconds(model, info: dict):
    """Training time from the card (shipped or converted models) or the torch history."""
    if info.get("train_seconds") is not None:
        return float(info["train_seconds"])
    history = getattr(model, "history_", None) or info.get("history") or []
    return float(history[-1]["seconds"]) if history and "seconds" in history[-1] else None


def card_for(name: str) -> dict:
    """A model file's card `<name>.json` beside it (what torch_train_pretrained.py writes), if any."""
    path = Path(name)
    card = path.with_suffix(".json")
    return json.loads(card.read_text()) if path.suffix == ".npz" and card.is_file() else {}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data/mnist")
    parser.add_argument("--members", nargs="+", default=None, help="default: every shipped model")
    parser.add_argument("--shifts", type=float, nargs="*", default=[1.0])
    parser.add_argument("--angles", type=float, nargs="*", default=[])
    parser.add_argument("--scales", type=float, nargs="*", default=[])
    parser.add_argument("--engine", choices=("torch", "numpy"), default=None,
                        help="run the networks in torch (default when installed) or the numpy engine")
    parser.add_argument("--weights", type=float, nargs="+", default=None,
                        help="one weight per member: also report the weighted mean of all members")
    parser.add_argument("--cache", default=None,
                        help="keep each member's probabilities here and reuse them (a folder outside the repo)")
    args = parser.parse_args(argv)
    engine = args.engine or ("torch" if _has_torch() else "numpy")
    names = args.members or [card["name"] for card in list_pretrained()]
    if args.weights is not None and (len(args.weights) != len(names) or min(args.weights) < 0
                                     or sum(args.weights) <= 0):
        parser.error(f"--weights needs {len(names)} non-negative numbers (one per member), not all 0")
    test = load_dataset("mnist", data_dir=args.data_dir).test
    X, y = to_features(test.images), test.labels
    images = X.reshape(-1, 28, 28)
    all_views = views(args.shifts, args.angles, args.scales)
    print(f"{len(all_views)} views: {all_views}; networks run in {engine}", flush=True)
    models, proba, seconds = {}, {}, {}
    for name in names:
        model, info, short = load_any(name)
        info = {**card_for(name), **info}
        models[short] = model
        runner = as_torch(model) if engine == "torch" else model
        started = time.perf_counter()
        cached = Path(args.cache) / f"{short}-{_cache_key(name, all_views)}.npy" if args.cache else None
        if cached is not None and cached.is_file():
            proba[short] = np.load(cached)
        else:
            proba[short] = np.stack([runner.predict_proba(warp(images, *v).reshape(len(X), -1))
                                     for v in all_views])
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                np.save(cached, proba[short])
        seconds[short] = train_seconds(model, info)
        print(f"  {short}: predicted {len(all_views)} views in {time.perf_counter() - started:.0f} s; "
              f"trained in {seconds[short]} s", flush=True)
    accuracy = lambda p: float(np.mean(p.argmax(1) == y))
    rows = []
    for size in range(1, len(proba) + 1):
        for group in itertools.combinations(proba, size):
            plain = np.mean([proba[n][0] for n in group], axis=0)
            tta = np.mean([proba[n].mean(axis=0) for n in group], axis=0)
            train = sum(seconds[n] for n in group) if all(seconds[n] is not None for n in group) else None
            rows.append({"members": list(group), "accuracy": accuracy(plain), "tta_accuracy": accuracy(tta),
                         "train_seconds": train})
            print(f"{' + '.join(group):90s} {rows[-1]['accuracy']:.4f}  TTA {rows[-1]['tta_accuracy']:.4f}  "
                  f"training {train if train is None else round(train)} s", flush=True)
    weighted = _weighted_row(proba, args.weights, accuracy) if args.weights else None
    _check_library(models, proba, X, args)
    print(json.dumps({"views": all_views, "engine": engine, "rows": rows, "weighted": weighted}))
    return 0


def _weighted_row(proba: dict, weights, accuracy) -> dict:
    """The weighted mean of every member's probabilities, without and with test-time augmentation."""
    plain = _weighted_mean([p[0] for p in proba.values()], weights)
    tta = _weighted_mean([p.mean(axis=0) for p in proba.values()], weights)
    row = {"members": list(proba), "weights": list(weights), "accuracy": accuracy(plain),
           "tta_accuracy": accuracy(tta)}
    print(f"weighted {' + '.join(f'{x:g}*{n}' for x, n in zip(weights, proba))}: "
          f"{row['accuracy']:.4f}  TTA {row['tta_accuracy']:.4f}", flush=True)
    return row


def _weighted_mean(probas: list, weights=None) -> np.ndarray:
    """The mean of the members' probabilities, weighted (normalised to sum 1) or plain."""
    w = np.ones(len(probas)) if weights is None else np.asarray(weights, dtype=np.float64)
    return np.tensordot(w / w.sum(), probas, axes=1)


def _check_library(models: dict, proba: dict, X, args, n: int = 500) -> None:
    """`TTAClassifier(EnsembleClassifier(all members, weights))` must give what the table used."""
    model = TTAClassifier.from_fitted(EnsembleClassifier.from_fitted(list(models.values()), weights=args.weights),
                                      shifts=tuple(args.shifts), angles=tuple(args.angles), scales=tuple(args.scales))
    expected = _weighted_mean([p[:, :n].mean(axis=0) for p in proba.values()], args.weights)
    diff = float(np.abs(model.predict_proba(X[:n]) - expected).max())
    print(f"library check (TTAClassifier of EnsembleClassifier, first {n} images): max |difference| {diff:.1e}")
    if diff > 1e-4:
        raise SystemExit("the library's ensemble disagrees with the benchmark's arithmetic")


def _cache_key(name: str, all_views) -> str:
    """Cached probabilities are reused only for the same model (file contents) and the same views."""
    path = Path(name) / "model.npz" if Path(name).is_dir() else Path(name)
    content = path.read_bytes() if path.is_file() else name.encode()
    return hashlib.sha256(content + repr(all_views).encode()).hexdigest()[:12]


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
