"""Which training recipe, on MNIST alone, reads other people's handwriting? One table, one run.

    # a GPU: the default recipes (below), 12 epochs each, the rows also kept as JSON
    python benchmarks/robust_recipe.py --device cuda --epochs 12 --json robust_recipe.json
    # two CPU cores: the cheap comparison (fast-cnn, 3 epochs on 20,000 images; ~1 min a recipe)
    OMP_NUM_THREADS=1 python benchmarks/robust_recipe.py --smoke --recipes fast:affine,fast:robust

A recipe is MODEL:AUGMENT. MODEL: `cnn` (the shipped default's network and
optimiser settings: cnn 32,64, dense 128, dropout 0.25, AdamW 0.003,
one-cycle, batch 128, label smoothing 0.1), `wide` (cnn 64,128, dense 256),
`fast` (the fast-cnn preset's network at the same settings). AUGMENT: a
`--augment` preset (none, affine, elastic, robust), or `robust-no-A+B` (the
robust preset less families A and B; see robust_augment.FAMILIES).

Each recipe trains with the same seed through the engine's own loop
(`train_module`, as `digitlab train --engine torch` runs it) and is scored on:
- MNIST test, the raw 28x28 images (the goal: >= 99.6%);
- real handwriting from other sources (../shared/data/handwriting-dev:
  usps-train, semeion-dev), each 64x64 PNG read by the product's
  preprocessing (`digitlab.preprocess.prepare`, as `Reader.predict_image`
  does); "read": a picture the reader calls "no digit" counts as wrong (the
  product's figure); "framed": such pictures are framed anyway (the
  network's own figure, apart from the reader's no-digit test).
Those sets choose between recipes; they never train one. The pictures are
prepared once, in parallel processes, before any training.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path

import numpy as np

MODELS = {
    "cnn": {"architecture": "cnn", "channels": (32, 64), "hidden_layer_sizes": (128,), "dropout": 0.25,
            "batchnorm": True},
    "wide": {"architecture": "cnn", "channels": (64, 128), "hidden_layer_sizes": (256,), "dropout": 0.25,
             "batchnorm": True},
    "fast": {"architecture": "fast-cnn", "channels": (16, 32, 64), "hidden_layer_sizes": (128,), "dropout": 0.0},
}
# the shipped default's command, less the network and the augmentation
SETTINGS = {"batch_size": 128, "learning_rate_init": 3e-3, "solver": "adamw", "label_smoothing": 0.1,
            "schedule": "onecycle", "alpha": 1e-4}
DEFAULT_RECIPES = "cnn:affine,cnn:robust,wide:robust,cnn:robust-no-fill_box,cnn:robust-no-pen"
SETS = ("usps-train", "semeion-dev")


# -- the handwriting, prepared once -------------------------------------------------------------

def _prepare_one(path: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """(read, framed, has_digit): the reader's 28x28 input, and the digit framed even when it says "no digit"."""
    from digitlab.preprocess import prepare
    from digitlab.preprocess.frame import frame_digit

    prepared = prepare(path)
    framed = prepared.input if prepared.has_digit else frame_digit(prepared.ink.ink, prepared.ink.mask)
    return prepared.input, framed, prepared.has_digit


def load_handwriting(root: Path, workers: int) -> dict:
    """{set: {"read", "framed": uint8 (n, 28, 28), "labels": (n,), "has_digit": (n,)}} for each folder."""
    out = {}
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        for name in SETS:
            with open(root / name / "labels.csv", newline="") as f:
                rows = list(csv.DictReader(f))
            paths = [str(root / name / row["file"]) for row in rows]
            read, framed, has = zip(*pool.map(_prepare_one, paths, chunksize=64))
            out[name] = {"read": np.stack(read), "framed": np.stack(framed), "has_digit": np.array(has),
                         "labels": np.array([int(row["label"]) for row in rows])}
    return out


def cached_handwriting(root: Path, workers: int, cache) -> dict:
    """`load_handwriting`, read from / written to the npz `cache` when one is named."""
    if cache and Path(cache).exists():
        with np.load(cache) as f:
            return {name: {k: f[f"{name}/{k}"] for k in ("read", "framed", "has_digit", "labels")} for name in SETS}
    out = load_handwriting(root, workers)
    if cache:
        np.savez(cache, **{f"{name}/{k}": v for name, d in out.items() for k, v in d.items()})
    return out


# -- recipes ------------------------------------------------------------------------------------

def parse_recipe(spec: str):
    """"MODEL:AUGMENT" -> (model settings, augmentation object or None)."""
    from digitlab.torch_engine.robust_augment import PRESETS

    model, _, augment = spec.partition(":")
    if model not in MODELS:
        raise SystemExit(f"unknown model {model!r} in {spec!r}; choose from {', '.join(MODELS)}")
    if augment.startswith("robust-no-"):
        return MODELS[model], PRESETS["robust"].without(*augment.removeprefix("robust-no-").split("+"))
    if augment not in PRESETS:
        raise SystemExit(f"unknown augment {augment!r} in {spec!r}; choose from {', '.join(PRESETS)}, robust-no-A+B")
    return MODELS[model], PRESETS[augment]


def train(spec: str, X, y, epochs: int, seed: int, device):
    """The recipe's trained module (on `device`) and its training seconds."""
    import torch

    from digitlab.torch_engine.build import build_module
    from digitlab.torch_engine.estimator import TorchNetClassifier
    from digitlab.torch_engine.fit import train_config
    from digitlab.torch_engine.loop import train_module

    model, augment = parse_recipe(spec)
    est = TorchNetClassifier(**model, **SETTINGS, max_iter=epochs, random_state=seed)
    torch.manual_seed(seed)  # as the estimator's fit does
    module = build_module(est.build_architecture((1, 28, 28), 10))
    cfg = replace(train_config(est, seed, device), augment=augment)
    history = train_module(module, X, y, cfg, device)
    return module.eval(), history[-1]["seconds"]


def accuracy(module, images: np.ndarray, labels: np.ndarray, device, batch: int = 4096) -> np.ndarray:
    """Per-image correctness of uint8 (n, 28, 28) inputs, scaled to [0, 1] as Reader.raw_proba does."""
    import torch

    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch):
            xb = torch.from_numpy(images[start:start + batch]).to(device).float().div_(255)[:, None]
            out.append(module(xb).argmax(1).cpu().numpy())
    return np.concatenate(out) == labels


def score(module, mnist_test, handwriting, device) -> dict:
    row = {"mnist": accuracy(module, *mnist_test, device).mean()}
    for name, d in handwriting.items():
        short = name.split("-")[0]
        row[f"{short} read"] = (accuracy(module, d["read"], d["labels"], device) & d["has_digit"]).mean()
        row[f"{short} framed"] = accuracy(module, d["framed"], d["labels"], device).mean()
    return row


# -- the run ------------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", default=DEFAULT_RECIPES, help=f"comma-separated MODEL:AUGMENT (default "
                                                                   f"{DEFAULT_RECIPES})")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    parser.add_argument("--epochs", type=int, default=None, help="default 12 (3 with --smoke)")
    parser.add_argument("--subsample", type=int, default=None, metavar="N", help="train on N images (stratified)")
    parser.add_argument("--smoke", action="store_true", help="a cheap CPU comparison: 3 epochs on 20,000 images "
                                                             "unless --epochs/--subsample say otherwise")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default="../shared/data/mnist")
    parser.add_argument("--handwriting", default="../shared/data/handwriting-dev")
    parser.add_argument("--workers", type=int, default=min(16, len(os.sched_getaffinity(0))),
                        help="processes preparing the handwriting pictures")
    parser.add_argument("--cache", metavar="NPZ", help="keep the prepared handwriting here (re-used when present)")
    parser.add_argument("--json", metavar="PATH", help="also write the rows here (after every recipe)")
    args = parser.parse_args(argv)
    epochs = args.epochs or (3 if args.smoke else 12)
    subsample = args.subsample or (20_000 if args.smoke else None)
    specs = [s.strip() for s in args.recipes.split(",") if s.strip()]
    for spec in specs:
        parse_recipe(spec)  # a typo stops the run before anything trains

    started = time.perf_counter()
    handwriting = cached_handwriting(Path(args.handwriting), args.workers, args.cache)
    prep_seconds = time.perf_counter() - started

    import torch

    from digitlab.data import load_dataset, to_features
    from digitlab.data.dataset import stratified_subsample
    from digitlab.torch_engine.device import pick_device

    device = pick_device(args.device)
    data = load_dataset("mnist", data_dir=args.data_dir)
    split = stratified_subsample(data.train, subsample, seed=args.seed) if subsample else data.train
    X = torch.from_numpy(to_features(split.images)).view(-1, 1, 28, 28)
    y = torch.from_numpy(split.labels.astype(np.int64))
    mnist_test = (data.test.images, data.test.labels)
    print(f"torch {torch.__version__} on {device} ({torch.get_num_threads()} threads); {len(X)} training images, "
          f"{epochs} epoch(s), seed {args.seed}; handwriting prepared in {prep_seconds:.1f} s "
          f"({args.workers} processes)", flush=True)
    rows = []
    for spec in specs:
        module, seconds = train(spec, X, y, epochs, args.seed, device)
        t = time.perf_counter()
        row = {"recipe": spec, "train s": seconds, **score(module, mnist_test, handwriting, device),
               "score s": time.perf_counter() - t}
        rows.append(row)
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=2, default=float))
    print(markdown(rows))
    return 0


def markdown(rows) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + " --- |" * len(keys)]
    for row in rows:
        cells = [row[k] if isinstance(row[k], str) else (f"{row[k]:.1f}" if k.endswith(" s") else
                                                         f"{100 * row[k]:.2f}%") for k in keys]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
