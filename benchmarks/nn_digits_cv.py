"""4-fold cross-validated accuracy on scikit-learn's 8x8 digits: the numpy MLP against scikit-learn's MLP.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/nn_digits_cv.py

The same stratified, shuffled 4 folds (seed 0) for every model; all 1,797 images.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier as SkMLP

from digitlab.nn.estimators import MLPClassifier

MODELS = {
    "scikit-learn MLPClassifier(64 hidden)": lambda: SkMLP((64,), max_iter=500, random_state=0),
    "numpy mlp (128, 64, 32), defaults, 10 epochs": lambda: MLPClassifier(random_state=0),
    "numpy mlp (256,), 60 epochs, batch 32": lambda: MLPClassifier(
        (256,), max_iter=60, batch_size=32, learning_rate_init=2e-3, validation_fraction=0.0, random_state=0),
    "numpy mlp (1024,), dropout 0.5, 100 epochs, batch 32": lambda: MLPClassifier(
        (1024,), dropout=0.5, max_iter=100, batch_size=32, learning_rate_init=1e-3, validation_fraction=0.0,
        random_state=0),
}


def main() -> int:
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)  # the same [0, 1] scale as digitlab's to_features
    folds = StratifiedKFold(4, shuffle=True, random_state=0)
    print("| model | 4-fold accuracy | folds | seconds |")
    print("| --- | ---: | --- | ---: |")
    for name, make in MODELS.items():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            scores = cross_val_score(make(), X, y, cv=folds)
        print(f"| {name} | {scores.mean():.4f} | {' '.join(f'{s:.4f}' for s in scores)} | "
              f"{time.perf_counter() - start:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
