"""Average the shipped models' probabilities on the MNIST test split: does an ensemble beat its best member?

    python benchmarks/ensemble.py --data-dir ../shared/data/mnist
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from digitlab.data import load_dataset, to_features
from digitlab.pretrained import list_pretrained, load_pretrained


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data/mnist")
    args = parser.parse_args(argv)
    test = load_dataset("mnist", data_dir=args.data_dir).test
    X, y = to_features(test.images), test.labels
    proba = {}
    for card in list_pretrained():
        model, _ = load_pretrained(card["name"])
        proba[card["name"]] = model.predict_proba(X)
        print(f"{card['name']:28s} {np.mean(proba[card['name']].argmax(1) == y):.4f}")
    for size in range(2, len(proba) + 1):
        for names in itertools.combinations(proba, size):
            mean = np.mean([proba[n] for n in names], axis=0)
            print(f"{' + '.join(names):70s} {np.mean(mean.argmax(1) == y):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
