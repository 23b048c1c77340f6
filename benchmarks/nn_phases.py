"""Where one epoch of the numpy engine's MLP 784-128-64-32-10 goes: time per phase, in one process.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/nn_phases.py --data-dir ../shared/data/mnist

Trains the network of benchmarks/nn_speed.py (Adam lr 1e-3, batch 128, float32)
for --epochs epochs through the engine's own `train`, with a timer around every
layer's forward and backward, the loss and the optimiser step. What is left of
the epoch is the loop itself: the batch gather, the accuracy count, Python.
Beside each dense layer: numpy's time for that layer's bare products (the
reference of nn_speed.py, split by layer), so its overhead shows. Timers cost
well under a millisecond per epoch. Printed per phase: the fastest epoch's ms.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections import defaultdict

import numpy as np

from digitlab.data import load_dataset, to_features
from digitlab.nn import architecture as A
from digitlab.nn import training
from digitlab.nn.network import Network

HIDDEN = (128, 64, 32)
BATCH = 128


def timed(fn, totals: dict, name: str):
    """fn, adding its run time to totals[name]."""
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        totals[name] += time.perf_counter() - start
        return result
    return wrapper


def instrument(net: Network, totals: dict, epochs: list, steps_per_epoch: int) -> None:
    """Time every layer's forward and backward, the loss and the optimiser step of the next `train`.

    After each epoch's last step the totals move, as a dict, to the end of `epochs`.
    """
    for i, layer in enumerate(net.layers):
        name = f"{i} {type(layer).__name__.lower()}"
        layer.forward = timed(layer.forward, totals, f"{name} forward")
        layer.backward = timed(layer.backward, totals, f"{name} backward")

    def loss_function(loss, head, _original=training.loss_function):
        fn, fused = _original(loss, head)
        return timed(fn, totals, "loss"), fused

    class Optimizer(training.Optimizer):
        def step(self, *args, **kwargs):
            timed(super().step, totals, "optimiser step")(*args, **kwargs)
            if self.t % steps_per_epoch == 0:
                epochs.append(dict(totals))
                totals.clear()

    training.loss_function, training.Optimizer = loss_function, Optimizer


def bare_products(n: int, repeat: int = 3) -> dict[int, float]:
    """Per dense layer (index into the layer list): seconds for one epoch's products, numpy alone, best of `repeat`."""
    rng = np.random.default_rng(0)
    dims = [784, *HIDDEN, 10]
    best = {}
    for k, (a, b) in enumerate(itertools.pairwise(dims)):
        x, w, dy = (rng.random((BATCH, a), np.float32), rng.random((a, b), np.float32),
                    rng.random((BATCH, b), np.float32))
        seconds = []
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(n // BATCH):
                x @ w
                x.T @ dy
                if k:
                    dy @ w.T
            seconds.append(time.perf_counter() - start)
        best[2 * k + 1] = min(seconds)  # dense layers sit at 1, 3, 5, 7 (after the flatten, ReLUs between)
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data/mnist")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    data = load_dataset("mnist", data_dir=args.data_dir)
    X, y = to_features(data.train.images).reshape(-1, 1, 28, 28), data.train.labels  # as MLPClassifier passes it
    net = Network(A.mlp(HIDDEN, "relu"), rng=np.random.default_rng(0))
    totals, phases_per_epoch = defaultdict(float), []
    instrument(net, totals, phases_per_epoch, -(-len(X) // BATCH))
    settings = training.TrainSettings(max_iter=args.epochs, batch_size=BATCH, schedule="constant")
    history = training.train(net, X, y, None, settings, np.random.default_rng(0))
    seconds, phases = min(zip((row["seconds"] for row in history), phases_per_epoch), key=lambda pair: pair[0])
    products = bare_products(len(X))
    epoch_ms = " ".join(f"{row['seconds'] * 1e3:.0f}" for row in history)
    print(f"epochs {epoch_ms} ms; the fastest, {seconds * 1e3:.0f} ms ({len(X)} images, batch {BATCH}, "
          f"train accuracy {history[-1]['accuracy']:.4f}):\n")
    print("| phase | ms | share |")
    print("| --- | ---: | ---: |")
    for name, value in phases.items():
        print(f"| {name} | {value * 1e3:.1f} | {value / seconds:.1%} |")
    rest = seconds - sum(phases.values())
    print(f"| loop: gather, accuracy, Python | {rest * 1e3:.1f} | {rest / seconds:.1%} |")
    print("\n| dense layer | forward + backward ms | numpy's bare products ms |")
    print("| --- | ---: | ---: |")
    for index, bare in products.items():
        ours = phases[f"{index} dense forward"] + phases[f"{index} dense backward"]
        print(f"| {index} | {ours * 1e3:.1f} | {bare * 1e3:.1f} |")
    print(f"| all | {sum(phases[f'{i} dense forward'] + phases[f'{i} dense backward'] for i in products) * 1e3:.1f} "
          f"| {sum(products.values()) * 1e3:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
