"""Speed of the numpy engine's MLP 784-128-64-32-10 against scikit-learn and plain PyTorch, in one process.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/nn_speed.py --data-dir ../shared/data/mnist --threads 1

All three train the same network the same way (Adam lr 1e-3, batch 128,
float32, no weight decay, reshuffled every epoch) for --epochs epochs, then
score the test split. Printed: seconds per epoch and the ratios; the achieved
GFLOP/s against numpy's own float32 matmul rate on the same shapes; inference
throughput (10,000 images) and single-image latency.

The matmul reference: the products one epoch of this network needs, run by
numpy alone with nothing else in the loop, on the shapes training runs (batch
128: x W forward, x^T dy and dy W^T backward, per layer, dy W^T skipped for the
first layer as the engine skips it), the same arrays every step. This box's
own matmul speed drifts by a third from minute to minute, so the two sides are
interleaved: --rounds times an engine epoch (the engine's own `train`, one epoch
per call, on one network) then the reference's epoch, and each round gives a
ratio of two neighbouring timings; printed: every round's ratio and the median.
Each round also times the batch gather and the Adam steps alone: what any numpy
loop of this network pays besides the products, so the share it would reach if
everything else cost nothing.

Beside other jobs: --compete N, engine against scikit-learn epochs, quiet and
beside N busy processes (nn_speed_compete.py says how).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
import warnings

import numpy as np

from digitlab.data import load_dataset, to_features
from digitlab.nn import architecture as A
from digitlab.nn import training
from digitlab.nn.estimators import MLPClassifier
from digitlab.nn.network import Network
from digitlab.nn.optimizers import Optimizer

HIDDEN = (128, 64, 32)
BATCH = 128


def sizes():
    return [784, *HIDDEN, 10]


def training_flops(n: int) -> float:
    """Multiply-adds x 2 in one epoch: forward x W, backward dW = x^T dy and dx = dy W^T (not for layer 1)."""
    dims = sizes()
    weights = [a * b for a, b in itertools.pairwise(dims)]
    return 2.0 * n * (3 * sum(weights) - weights[0])


def matmul_epoch(n: int) -> float:
    """Seconds numpy's float32 matmuls alone need for one epoch's products at batch 128."""
    rng = np.random.default_rng(0)
    mats = [(rng.random((BATCH, a), np.float32), rng.random((a, b), np.float32), rng.random((BATCH, b), np.float32))
            for a, b in itertools.pairwise(sizes())]
    start = time.perf_counter()
    for _ in range(n // BATCH):
        for i, (x, w, dy) in enumerate(mats):
            x @ w
            x.T @ dy
            if i:
                dy @ w.T
    return time.perf_counter() - start


def gather_and_adam_epoch(X, n_params: int, rng) -> float:
    """Seconds for what any numpy training loop adds to the products: a shuffled batch gathered per step
    and an Adam step over every parameter (the engine's optimiser, on random gradients)."""
    params, grads = np.zeros(n_params, np.float32), rng.standard_normal(n_params).astype(np.float32)
    optimizer = Optimizer("adam")
    order = rng.permutation(len(X))
    start = time.perf_counter()
    for b in range(len(X) // BATCH):
        X[order[b * BATCH:(b + 1) * BATCH]]
        optimizer.step(params, grads, 1e-3)
    return time.perf_counter() - start


def interleaved_rate(X, y, rounds: int) -> list[tuple[float, float, float]]:
    """Per round, timed back to back: (engine epoch, numpy's bare products, gather + Adam) in seconds."""
    net = Network(A.mlp(HIDDEN, "relu"), rng=np.random.default_rng(0))
    X = X.reshape(-1, 1, 28, 28)  # as MLPClassifier passes it
    settings = training.TrainSettings(max_iter=1, batch_size=BATCH, schedule="constant")
    rng = np.random.default_rng(0)
    training.train(net, X, y, None, settings, rng)  # warm-up epoch, not counted
    timings = []
    for _ in range(rounds):
        engine = training.train(net, X, y, None, settings, rng)[0]["seconds"]
        timings.append((engine, matmul_epoch(len(X)), gather_and_adam_epoch(X, net.params.size, rng)))
    return timings


def peak_gflops(size: int = 2048) -> float:
    a = np.random.default_rng(0).random((size, size), np.float32)
    a @ a
    start = time.perf_counter()
    a @ a
    return 2 * size**3 / (time.perf_counter() - start) / 1e9


def time_ours(X, y, X_test, y_test, epochs):
    model = MLPClassifier(HIDDEN, "relu", solver="adam", learning_rate_init=1e-3, schedule="constant",
                          batch_size=BATCH, max_iter=epochs, validation_fraction=0.0, random_state=0)
    start = time.perf_counter()
    model.fit(X, y)
    seconds = (time.perf_counter() - start) / epochs
    return seconds, model.score(X_test, y_test), model.predict_proba


def time_sklearn(X, y, X_test, y_test, epochs):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier as SkMLP

    model = SkMLP(HIDDEN, solver="adam", learning_rate_init=1e-3, batch_size=BATCH, max_iter=epochs, alpha=0.0,
                  tol=0.0, n_iter_no_change=epochs + 1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
    seconds = (time.perf_counter() - start) / epochs
    return seconds, model.score(X_test, y_test), model.predict_proba


def time_torch(X, y, X_test, y_test, epochs):
    import torch
    from torch import nn

    torch.manual_seed(0)
    dims = sizes()
    layers = []
    for a, b in itertools.pairwise(dims):
        layers += [nn.Linear(a, b), nn.ReLU()]
    net = nn.Sequential(*layers[:-1])
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(Xt))
        for i in range(0, len(Xt), BATCH):
            index = order[i:i + BATCH]
            opt.zero_grad()
            loss_fn(net(Xt[index]), yt[index]).backward()
            opt.step()
    seconds = (time.perf_counter() - start) / epochs

    def predict_proba(Xp):
        with torch.no_grad():
            return torch.softmax(net(torch.from_numpy(Xp)), dim=1).numpy()

    accuracy = float((predict_proba(X_test).argmax(1) == y_test).mean())
    return seconds, accuracy, predict_proba


def inference(predict_proba, X_test, repeat=200):
    predict_proba(X_test)
    start = time.perf_counter()
    predict_proba(X_test)
    throughput = len(X_test) / (time.perf_counter() - start)
    one = X_test[:1]
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        predict_proba(X_test[i:i + 1] if i else one)
        times.append(time.perf_counter() - start)
    return throughput, statistics.median(times) * 1e6


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data/mnist")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images (a dry run)")
    parser.add_argument("--threads", type=int, default=1, help="threads for torch (set OPENBLAS_NUM_THREADS too)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved engine/reference epochs for the rate")
    parser.add_argument("--compete", type=int, default=None, metavar="N",
                        help="instead: engine vs scikit-learn epochs, quiet and beside N busy processes it starts")
    args = parser.parse_args(argv)
    if args.compete is not None:
        from nn_speed_compete import main_compete

        return main_compete(args.data_dir, args.limit, args.rounds, args.compete, HIDDEN, BATCH)
    import torch

    torch.set_num_threads(args.threads)
    data = load_dataset("mnist", data_dir=args.data_dir)
    X, y = to_features(data.train.images[:args.limit]), data.train.labels[:args.limit]
    X_test, y_test = to_features(data.test.images), data.test.labels
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')} torch threads {torch.get_num_threads()} "
          f"numpy {np.__version__} torch {torch.__version__}; {args.epochs} epochs on {len(X)} images")

    results = {}
    for name, fn in [("numpy engine", time_ours), ("scikit-learn", time_sklearn), ("pytorch loop", time_torch)]:
        results[name] = fn(X, y, X_test, y_test, args.epochs)
        print(f"  trained {name}: {results[name][0]:.2f} s/epoch", flush=True)
    ours = results["numpy engine"][0]
    print("\n| implementation | s / epoch | vs numpy engine | test accuracy | predict img/s | 1-image latency us |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, (seconds, accuracy, predict_proba) in results.items():
        throughput, latency = inference(predict_proba, X_test)
        print(f"| {name} | {seconds:.2f} | {seconds / ours:.2f}x | {accuracy:.4f} | {throughput:,.0f} | {latency:.0f} |")

    flops = training_flops(len(X))
    rounds = interleaved_rate(X, y, args.rounds)
    print(f"\ntraining FLOPs per epoch {flops / 1e9:.1f} G. Rounds of numpy engine epoch, numpy's matmuls alone on "
          f"the same shapes (batch {BATCH}), and the batch gather + Adam steps alone, timed back to back:")
    print("\n| round | engine s | engine GFLOP/s | matmuls alone s | matmuls GFLOP/s | share of numpy's matmul rate "
          "| gather + Adam s | share if all else were free |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for i, (engine, products, floor) in enumerate(rounds, 1):
        print(f"| {i} | {engine:.3f} | {flops / engine / 1e9:.1f} | {products:.3f} | {flops / products / 1e9:.1f} "
              f"| {products / engine:.0%} | {floor:.3f} | {products / (products + floor):.0%} |")
    shares = [products / engine for engine, products, _ in rounds]
    caps = [products / (products + floor) for _, products, floor in rounds]
    print(f"\nmedian share of numpy's matmul rate {statistics.median(shares):.0%} (range {min(shares):.0%}-"
          f"{max(shares):.0%}); products + gather + Adam alone would reach {statistics.median(caps):.0%}; for scale, "
          f"one 2048x2048 matmul runs at {peak_gflops():.1f} GFLOP/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
