"""One comparison three ways: 1 local worker, 2 local workers, and a 2-worker Dask LocalCluster.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/compare_scale.py --data-dir ../shared/data/mnist

The same `run_comparison` (same folds, seed and models) runs with `n_jobs=1`, `n_jobs=2` (joblib's
local processes) and `scheduler=` a `dask.distributed.LocalCluster` of two single-thread worker
processes on loopback, `--rounds` times, interleaved. It checks that the three give the same
scores, and prints each setup's cross-validation wall seconds (median and range over rounds; data
loading excluded), its speed-up over one worker, and its overhead: wall time minus the ideal, one
worker's wall time divided by the workers. The cluster's start-up is timed apart, once, and the
fold work (fit + predict seconds summed over every fold) is printed for scale.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from digitlab.evaluate.comparison import run_comparison

SETUPS = ("1 local worker", "2 local workers", "Dask LocalCluster, 2 workers")


def scores(result) -> list:
    return [(r["label"], r["test_accuracy"], r["train_accuracy"]) for r in result["models"]]


def fold_work(result) -> float:
    """Seconds of fitting and predicting summed over every fold: the work to share out."""
    return float(sum(np.sum(r["fit_seconds"]) + np.sum(r["predict_seconds"]) for r in result["models"]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--subsample", type=int, default=3000)
    parser.add_argument("--models", default="knn,logreg,mlp")
    parser.add_argument("--mlp-epochs", type=int, default=10, help="the numpy mlp's epochs (default 10)")
    parser.add_argument("--cv", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    from dask.distributed import Client, LocalCluster

    kwargs = {"dataset": args.dataset, "data_dir": args.data_dir, "models": args.models, "cv": args.cv,
              "seed": args.seed, "subsample": args.subsample,
              "params": {"mlp": {"max_iter": args.mlp_epochs}} if "mlp" in args.models.split(",") else None}
    start = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=":0")
    client = Client(cluster)
    client.submit(sum, [1]).result()  # a worker has answered
    startup = time.perf_counter() - start
    runs = {name: [] for name in SETUPS}
    walls = {name: [] for name in SETUPS}
    try:
        for _ in range(args.rounds):
            for name, extra in zip(SETUPS, ({"n_jobs": 1}, {"n_jobs": 2}, {"scheduler": client})):
                runs[name].append(run_comparison(**kwargs, **extra))
                walls[name].append(runs[name][-1]["settings"]["wall_seconds"])  # folds only, not loading
                print(f"{name}: {walls[name][-1]:.1f} s", flush=True)
    finally:
        client.close()
        cluster.close()

    reference = scores(runs[SETUPS[0]][0])
    same = all(scores(r) == reference for rs in runs.values() for r in rs)
    work = statistics.median(fold_work(r) for r in runs[SETUPS[0]])
    base = statistics.median(walls[SETUPS[0]])
    settings = runs[SETUPS[0]][0]["settings"]
    print(f"\n{settings['dataset']}, {settings['n_images']:,} images, {args.cv} folds, models "
          f"{args.models} (mlp {args.mlp_epochs} epochs), {args.rounds} rounds; fold work "
          f"{work:.1f} s; same scores in every setup: {'yes' if same else 'NO'}")
    print(f"LocalCluster start-up (scheduler, two worker processes): {startup:.1f} s\n")
    print("| setup | wall s, median (range) | speed-up | overhead s (wall - one worker's / workers) |")
    print("| --- | ---: | ---: | ---: |")
    for name, workers in zip(SETUPS, (1, 2, 2)):
        wall = statistics.median(walls[name])
        print(f"| {name} | {wall:.1f} ({min(walls[name]):.1f}-{max(walls[name]):.1f}) | "
              f"{base / wall:.2f}x | {wall - base / workers:.1f} |")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
