"""The learners' TensorFlow lab on `mnist-lab20`, through digitlab and as they write it.

    python benchmarks/keras_lab20.py --data-dir ../shared/data/mnist

Trains, on the lab's 5000 x 20x20 MNIST subset (500 per digit):
  * `seed-keras-25-15` with the keras engine (Dense 25 relu, 15 relu, 10 linear; Adam 1e-3; 40 epochs),
  * the same network as a plain Keras script, the way the lab writes it (the peer: same
    accuracy expected, and the ratio of fit times is our engine's overhead),
  * our modern defaults on the same data: the numpy engine's `mlp` and `cnn`, and k-NN,
and prints training-set and test-set accuracy (MNIST's 10,000 test digits shrunk the same way;
the lab itself only ever reports training-set errors) and fit seconds for each, as a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np

from digitlab.data import load_dataset, to_features
from digitlab.models import make_model


def plain_keras_lab(X, y, X_test, y_test, seed: int):
    """The lab's code, nearly word for word (plus a seed)."""
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((400,)), keras.layers.Dense(25, activation="relu"),
                              keras.layers.Dense(15, activation="relu"), keras.layers.Dense(10, activation="linear")])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.Adam(learning_rate=0.001))
    start = time.perf_counter()
    model.fit(X, y, epochs=40, verbose=0)
    seconds = time.perf_counter() - start
    accuracy = [float(np.mean(model.predict(A, verbose=0).argmax(axis=1) == b)) for A, b in ((X, y), (X_test, y_test))]
    return accuracy[0], accuracy[1], seconds


def ours(name: str, engine: str, X, y, X_test, y_test, seed: int):
    model = make_model(name, engine=engine)
    if "random_state" in model.get_params():
        model.set_params(random_state=seed)
    start = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - start
    return model.score(X, y), model.score(X_test, y_test), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="where the four MNIST files are")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds to repeat with (default 0)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: small nets gain nothing)")
    parser.add_argument("--skip", nargs="*", default=[], help="rows to leave out, e.g. cnn")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    data = load_dataset("mnist-lab20", data_dir=args.data_dir)
    X, y = to_features(data.train.images), data.train.labels
    X_test, y_test = to_features(data.test.images), data.test.labels
    rows = {
        "seed-keras-25-15 (keras engine)": lambda s: ours("seed-keras-25-15", "keras", X, y, X_test, y_test, s),
        "plain Keras script, same network (peer)": lambda s: plain_keras_lab(X, y, X_test, y_test, s),
        "mlp (numpy engine, modern defaults)": lambda s: ours("mlp", "numpy", X, y, X_test, y_test, s),
        "cnn (numpy engine, modern defaults)": lambda s: ours("cnn", "numpy", X, y, X_test, y_test, s),
        "knn (scikit-learn)": lambda s: ours("knn", "numpy", X, y, X_test, y_test, s),
    }
    print(f"mnist-lab20: train {X.shape}, test {X_test.shape}, keras backend {os.environ['KERAS_BACKEND']}, "
          f"torch threads {args.threads}, seeds {args.seeds}\n")
    print("| model | train accuracy | test accuracy | fit seconds |")
    print("| --- | --- | --- | --- |")
    for name, run in rows.items():
        if any(word in name for word in args.skip):
            continue
        results = np.array([run(seed) for seed in args.seeds])  # (seeds, 3)
        mean, spread = results.mean(axis=0), results.std(axis=0)
        cells = [f"{m:.4f} ± {s:.4f}" if len(args.seeds) > 1 else f"{m:.4f}" for m, s in zip(mean[:2], spread[:2])]
        print(f"| {name} | {cells[0]} | {cells[1]} | {mean[2]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
