"""The keras engine's cost over a plain Keras script, the same network and data, in one process.

    python benchmarks/keras_overhead.py --data-dir ../shared/data/mnist --epochs 10 --repeats 2

Fits `seed-keras-25-15` (digitlab's keras engine) and the lab's plain Keras script on
`mnist-lab20`, alternating, and prints wall and CPU seconds per fit and their ratio. CPU
seconds matter on a shared machine, where wall time depends on what else runs.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np

from digitlab.data import load_dataset, to_features
from digitlab.models import make_model


def timed(fit):
    wall, cpu = time.perf_counter(), time.process_time()
    fit()
    return time.perf_counter() - wall, time.process_time() - cpu


def plain(X, y, epochs):
    import keras

    model = keras.Sequential([keras.Input((400,)), keras.layers.Dense(25, activation="relu"),
                              keras.layers.Dense(15, activation="relu"), keras.layers.Dense(10, activation="linear")])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.Adam(learning_rate=0.001))
    return lambda: model.fit(X, y, epochs=epochs, verbose=0)


def ours(X, y, epochs):
    model = make_model("seed-keras-25-15", engine="keras", max_iter=epochs, random_state=0)
    return lambda: model.fit(X, y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    data = load_dataset("mnist-lab20", data_dir=args.data_dir)
    X, y = to_features(data.train.images), data.train.labels
    timed(plain(X, y, 1))  # warm up Keras and torch once
    results = {"digitlab keras engine": [], "plain Keras script": []}
    for _ in range(args.repeats):
        results["digitlab keras engine"].append(timed(ours(X, y, args.epochs)))
        results["plain Keras script"].append(timed(plain(X, y, args.epochs)))
    print(f"{args.epochs} epochs, batch 32, 5000 x 400, torch threads {args.threads}, {args.repeats} repeats\n")
    print("| fit | wall s (mean) | CPU s (mean) |\n| --- | --- | --- |")
    means = {name: np.mean(rows, axis=0) for name, rows in results.items()}
    for name, (wall, cpu) in means.items():
        print(f"| {name} | {wall:.1f} | {cpu:.1f} |")
    ratio = means["digitlab keras engine"] / means["plain Keras script"]
    print(f"\nratio engine / plain: wall {ratio[0]:.2f}, CPU {ratio[1]:.2f}")


if __name__ == "__main__":
    main()
