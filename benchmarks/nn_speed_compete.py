"""The numpy engine's MLP epoch against scikit-learn's beside other jobs: `nn_speed.py --compete N`.

    .venv/bin/python benchmarks/nn_speed.py --data-dir ../shared/data/mnist --compete 2 --rounds 5

Times, --rounds times interleaved, one epoch of the engine (its `train`, BLAS
limited to one thread as it trains by default), of the engine with BLAS as
found (`blas_threads=None`: the thread pool OpenBLAS starts, one per core
unless OPENBLAS_NUM_THREADS says otherwise) and of scikit-learn (`partial_fit`,
one epoch, its input check included), first with nothing of its own beside it,
then beside N busy single-threaded processes it starts itself (pure-Python
loops, as other people's jobs on a shared box) and ends afterwards. Printed per
round and as median and range: seconds per epoch and scikit-learn / engine.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np
from competing import competing

from digitlab.data import load_dataset, to_features
from digitlab.nn import architecture as A
from digitlab.nn import training
from digitlab.nn.network import Network


def compete_rounds(X, y, rounds: int, n_competing: int, hidden: tuple, batch: int
                   ) -> dict[int, list[tuple[float, float, float]]]:
    """Per number of competing processes (0, then n_competing), per round: seconds of one epoch of
    (engine, engine with BLAS as found, scikit-learn), each side on its own network trained on from round to round."""
    from sklearn.neural_network import MLPClassifier as SkMLP

    X4 = X.reshape(-1, 1, 28, 28)  # as MLPClassifier passes it
    nets = {threads: Network(A.mlp(hidden, "relu"), rng=np.random.default_rng(0)) for threads in (1, None)}
    rng = np.random.default_rng(0)
    sk = SkMLP(hidden, solver="adam", learning_rate_init=1e-3, batch_size=batch, alpha=0.0, random_state=0)

    def engine(threads):
        settings = training.TrainSettings(max_iter=1, batch_size=batch, schedule="constant", blas_threads=threads)
        return training.train(nets[threads], X4, y, None, settings, rng)[0]["seconds"]

    def sklearn():
        start = time.perf_counter()
        sk.partial_fit(X, y, classes=np.arange(10))
        return time.perf_counter() - start

    engine(1), engine(None), sklearn()  # warm-up epochs, not counted
    timings = {}
    for n in sorted({0, n_competing}):
        with competing(n):
            timings[n] = [(engine(1), engine(None), sklearn()) for _ in range(rounds)]
    return timings


def print_compete(timings: dict) -> None:
    def spread(values):
        return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"

    print("\n| competing processes | round | engine s | engine, BLAS as found s | scikit-learn s | sklearn / engine |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for n, rows in timings.items():
        for i, (ours, found, sk) in enumerate(rows, 1):
            print(f"| {n} | {i} | {ours:.3f} | {found:.3f} | {sk:.3f} | {sk / ours:.2f}x |")
    print("\nmedian (range) over the rounds:\n")
    print("| competing processes | engine s / epoch | engine, BLAS as found | scikit-learn | sklearn / engine "
          "| sklearn / engine as found |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for n, rows in timings.items():
        ours, found, sk = zip(*rows)
        print(f"| {n} | {spread(ours)} | {spread(found)} | {spread(sk)} | {spread([b / a for a, _, b in rows])}x "
              f"| {spread([b / a for _, a, b in rows])}x |")
    quiet = [statistics.median(column) for column in zip(*timings[0])]
    for n, rows in timings.items():
        if n:
            slow = [statistics.median(column) / q for column, q in zip(zip(*rows), quiet)]
            print(f"\nbeside {n} busy processes, medians over quiet: engine {slow[0]:.2f}x, "
                  f"engine with BLAS as found {slow[1]:.2f}x, scikit-learn {slow[2]:.2f}x slower")


def blas_pools() -> str:
    from threadpoolctl import threadpool_info

    return "; ".join(f"{pool['prefix']} {pool.get('version')} {pool.get('architecture')} {pool['num_threads']} threads"
                     for pool in threadpool_info() if pool["user_api"] == "blas")


def main_compete(data_dir, limit, rounds, n_competing, hidden: tuple, batch: int) -> int:
    data = load_dataset("mnist", data_dir=data_dir)
    X, y = to_features(data.train.images[:limit]), data.train.labels[:limit]
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')} "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}; BLAS: {blas_pools()}; {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; one epoch on {len(X)} images, "
          f"{rounds} rounds", flush=True)
    print_compete(compete_rounds(X, y, rounds, n_competing, hidden, batch))
    print(f"\nload average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0
