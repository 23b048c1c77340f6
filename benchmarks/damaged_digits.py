"""Damaged digits through the reading path: the corruption suite read as `digitlab predict` reads pictures.

    .venv/bin/python benchmarks/damaged_digits.py --data-dir ../shared/data/mnist --n 300

`digitlab robustness` feeds each corrupted MNIST test digit to the raw model.
A person with a damaged picture runs `digitlab predict` instead, which finds
the ink, crops and reframes it first (`Reader.predict_image`). This script
scores both on the same pictures: a stratified sample of MNIST test (as
`digitlab robustness --n N --seed S` draws it), every corruption seeded as
the suite seeds it. "No digit" counts as wrong. Prints a markdown table, one
row per corruption and severity.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from digitlab.evaluate.corruptions import CORRUPTIONS, corrupt
from digitlab.evaluate.robustness import load_mnist_test, load_reader, rng_for

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def read_all(reader, images) -> tuple[np.ndarray, np.ndarray]:
    """(digits, statuses) for uint8 (n, 28, 28) pictures read one by one; -1 for "no digit"."""
    answers = [reader.predict_image(image) for image in images]
    digits = np.array([-1 if a.digit is None else a.digit for a in answers])
    return digits, np.array([a.status for a in answers])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(SHARED / "mnist"))
    parser.add_argument("--n", type=int, default=300, help="MNIST test digits (stratified)")
    parser.add_argument("--severities", nargs="+", type=int, default=[3])
    parser.add_argument("--corruptions", nargs="+", default=list(CORRUPTIONS), choices=list(CORRUPTIONS),
                        metavar="NAME")
    parser.add_argument("--model", default=None, help="a shipped name or model file (default: the default)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    reader = load_reader(args.model)
    test = load_mnist_test(args.data_dir, n=args.n, seed=args.seed)
    print(f"model {reader.name}; {args.n} MNIST test digits (seed {args.seed})\n")
    print("| corruption | severity | raw model | read | ok and right | unsure | no digit | ok and wrong | s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    rows = [("clean", 0)] + [(name, s) for name in args.corruptions for s in args.severities]
    for name, severity in rows:
        start = time.perf_counter()
        images = test.images if severity == 0 else corrupt(test.images, name, severity,
                                                           rng_for(args.seed, name, severity))
        raw = reader.raw_proba(images).argmax(axis=1) == reader.label_index(test.labels)
        digits, status = read_all(reader, images)
        right, ok = digits == test.labels, status == "ok"
        print(f"| {name} | {severity} | {raw.mean():.1%} | {right.mean():.1%} | {(right & ok).mean():.1%} | "
              f"{(status == 'unsure').mean():.1%} | {(status == 'no digit').mean():.1%} | "
              f"{(~right & ok).mean():.1%} | {time.perf_counter() - start:.0f} |", flush=True)


if __name__ == "__main__":
    main()
