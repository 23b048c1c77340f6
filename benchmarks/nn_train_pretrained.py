"""Train a numpy-engine model on all of MNIST's train split and ship it in digitlab/models/pretrained/.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/nn_train_pretrained.py --preset mlp-512 \
        --data-dir ../shared/data/mnist --seed 0

Writes digitlab/models/pretrained/<name>.npz (a digitlab model file) and <name>.json,
its card: test accuracy, the sha256 of the four MNIST files, this exact
command, the seed, the training time and the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from digitlab.data import load_dataset, to_features
from digitlab.files import write_json
from digitlab.models import save_model
from digitlab.nn.estimators import CNNClassifier, MLPClassifier

PRETRAINED = Path(__file__).resolve().parents[1] / "digitlab" / "models" / "pretrained"
MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

PRESETS = {
    # a wide MLP: dropout and random shifts of 2 px are what take it past 98.5%
    "mlp-512": lambda seed: MLPClassifier((512, 256), "relu", dropout=0.2, solver="adamw", alpha=1e-4,
                                          learning_rate_init=2e-3, schedule="onecycle", max_iter=30,
                                          batch_size=128, augment="shift", validation_fraction=0.0,
                                          random_state=seed, verbose=True),
    # two conv stages (16 and 32 filters), batch-norm, dropout, shifts of 2 px
    "cnn-16-32": lambda seed: CNNClassifier((16, 32), 128, dropout=0.25, solver="adam",
                                            learning_rate_init=3e-3, schedule="onecycle", max_iter=8,
                                            batch_size=128, augment="shift", validation_fraction=0.0,
                                            random_state=seed, verbose=True),
    # the same CNN in 3 epochs without shifts: what a loaded 2-core machine can train in 20 minutes
    "cnn-16-32-3ep": lambda seed: CNNClassifier((16, 32), 128, dropout=0.25, solver="adam",
                                                learning_rate_init=3e-3, schedule="onecycle", max_iter=3,
                                                batch_size=128, validation_fraction=0.0, random_state=seed,
                                                verbose=True),
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="mlp-512")
    parser.add_argument("--name", default=None, help="file name in digitlab/models/pretrained (default numpy-<preset>)")
    parser.add_argument("--data-dir", default="../shared/data/mnist")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    name = args.name or f"numpy-{args.preset}"

    data = load_dataset("mnist", data_dir=args.data_dir)
    X, y = to_features(data.train.images), data.train.labels
    X_test, y_test = to_features(data.test.images), data.test.labels
    model = PRESETS[args.preset](args.seed)
    start = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - start
    accuracy = float(model.score(X_test, y_test))
    print(f"{name}: test accuracy {accuracy:.4f} after {seconds:.0f} s", file=sys.stderr)

    card = {
        "name": name, "engine": "numpy", "model": type(model).__name__, "preset": args.preset,
        "input_shape": [28, 28], "classes": model.classes_.tolist(), "dataset": "mnist",
        "test_accuracy": accuracy, "n_test": len(y_test), "n_params": int(model.n_params_),
        "seed": args.seed, "train_seconds": round(seconds, 1), "epochs": model.n_iter_,
        "data_sha256": {f: sha256(Path(args.data_dir) / f) for f in MNIST_FILES},
        "command": "OPENBLAS_NUM_THREADS={} python benchmarks/nn_train_pretrained.py {}".format(
            os.environ.get("OPENBLAS_NUM_THREADS", "(unset)"), " ".join(sys.argv[1:] if argv is None else argv)),
        "params": model.get_params(),
        "machine": f"{platform.machine()} {os.cpu_count()}-core CPU, {platform.system()}, "
                   f"numpy {np.__version__}, shared with other jobs (loaded) while training",
        "trained": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "history": model.history_,
    }
    info = {k: card[k] for k in ("input_shape", "classes", "dataset", "test_accuracy", "seed", "name")}
    save_model(model, PRETRAINED / f"{name}.npz", info=info)
    write_json(PRETRAINED / f"{name}.json", card)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
