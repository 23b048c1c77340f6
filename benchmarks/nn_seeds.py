"""The learners' networks, trained their way and the modern way, on MNIST (one process, one table).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/nn_seeds.py --data-dir ../shared/data/mnist

Trains each preset of digitlab.models.numpy_models on the full MNIST train split (seed 0)
and prints its test accuracy, epochs and training time, as a markdown table.
"""

from __future__ import annotations

import argparse
import json
import time

from digitlab.data import load_dataset, to_features
from digitlab.models.numpy_models import MODELS

PRESETS = ("seed-sigmoid-mlp", "seed-sigmoid-mlp-modern", "seed-two-layer", "seed-two-layer-modern")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data/mnist")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=sorted(MODELS))
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override a parameter of every preset, e.g. learning_rate_init=0.32")
    args = parser.parse_args(argv)
    overrides = {k: json.loads(v) for k, _, v in (p.partition("=") for p in args.param)}
    data = load_dataset("mnist", data_dir=args.data_dir)
    X, y = to_features(data.train.images), data.train.labels
    X_test, y_test = to_features(data.test.images), data.test.labels
    print("| model | settings | epochs | train s | test accuracy |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name in args.presets:
        model = MODELS[name]().set_params(random_state=args.seed, **overrides)
        p = model.get_params()
        settings = (f"{p['activation']}, {p['solver']} lr {p['learning_rate_init']}, batch {p['batch_size']}, "
                    f"{p['schedule']}, init {p['init'] or 'he/xavier'}, out {p['output_activation'] or 'logits'}")
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        print(f"| {name} | {settings} | {model.n_iter_} | {seconds:.0f} | {model.score(X_test, y_test):.4f} |",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
