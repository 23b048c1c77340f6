"""One comparison as the CLI runs it: cross-validated models and sweeps on one dataset."""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timezone

import numpy as np
import sklearn
from joblib import effective_n_jobs

from digitlab import __version__
from digitlab.errors import DigitlabError
from digitlab.evaluate.cluster import on_cluster
from digitlab.evaluate.compare import (
    check_folds,
    cross_validate_candidates,
    load_cv_data,
    parse_models,
)
from digitlab.evaluate.results import ComparisonResult
from digitlab.evaluate.sweeps import run_sweep


def run_comparison(dataset: str = "digits", models=None, sweeps=(), cv: int = 4, seed: int = 0,
                   subsample: int | None = None, data_dir=None, n_jobs: int = -1, engine: str = "numpy",
                   params: dict | None = None, log=None, scheduler=None) -> dict:
    """Cross-validate `models` and run `sweeps` on one dataset; return everything the report needs.

    scheduler : None to fit the folds in `n_jobs` local processes; a Dask scheduler address
        ("tcp://HOST:8786") or a `dask.distributed.Client` to fit them on that cluster's workers
        (every worker thread takes fits; `n_jobs` is not used). The scores are the same either way.

    Returns {"settings": {...}, "models": [row, ...], "sweeps": [sweep result, ...]}, a dict
    that a notebook shows as tables.
    """
    if n_jobs == 0:
        raise DigitlabError("--n-jobs 0: give a number of parallel workers, or -1 for every core")
    candidates = parse_models(models, engine, params) if models else []
    X, y, data = load_cv_data(dataset, data_dir, subsample, seed)
    check_folds(cv, y)
    with on_cluster(scheduler, share=(X, y)) as cluster:
        if cluster:
            n_jobs = -1  # joblib runs n_jobs=1 in this process; -1 hands every fit to the cluster
            if log:
                log(f"fitting {cluster}")
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        start = time.perf_counter()
        rows = cross_validate_candidates(candidates, X, y, cv, seed, n_jobs, log) if candidates else []
        swept = [run_sweep(name, X, y, cv, seed, n_jobs, engine, log) for name in sweeps]
        wall = time.perf_counter() - start
    cores = os.cpu_count() or 1
    workers = effective_n_jobs(n_jobs)
    settings = {
        "dataset": data.name, "n_images": len(y), "image_shape": list(data.image_shape),
        "cv": cv, "seed": seed, "subsample": subsample, "engine": engine,
        "models": {c.label: c.params for c in candidates}, "sweeps": list(sweeps), "n_jobs": n_jobs,
        "n_jobs_text": str(cluster) if cluster else
                       "one at a time" if workers == 1 else f"{workers} at a time in parallel",
        "scheduler": cluster.address if cluster else None,
        "cpu_count": cores, "digitlab": __version__, "numpy": np.__version__,
        "scikit-learn": sklearn.__version__, "started": started,
        "wall_seconds": round(wall, 2),
        "command": " ".join(["digitlab", *sys.argv[1:]]) if sys.argv[0].endswith("digitlab") else None,
    }
    return ComparisonResult(settings=settings, models=rows, sweeps=swept)
