"""Whole-number accuracy on synthetic photos of lines of 2-8 handwritten digits.

    .venv/bin/python benchmarks/reading_lines.py --data-dir ../shared/data/mnist --n 300

Each line is 2-8 MNIST *test* digits (test[5000:]) on one photo (see
digitlab.data.synth), with varied spacing; a quarter of the gaps are touching.
A line counts as right only when the whole number is right.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from digitlab.data import synth
from digitlab.read.reader import Reader


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model path or shipped name (default: shipped default)")
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
    parser.add_argument("--n", type=int, default=300, help="lines")
    parser.add_argument("--touching", type=float, default=0.25, help="share of gaps where digits touch")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    reader = Reader.load(args.model)
    images = synth.read_idx(f"{args.data_dir}/t10k-images-idx3-ubyte.gz")[5000:]
    labels = synth.read_idx(f"{args.data_dir}/t10k-labels-idx1-ubyte.gz")[5000:]
    rng = np.random.default_rng(args.seed)
    right, count_right, digit_right, digits, seconds = 0, 0, 0, 0, 0.0
    over, under = 0, 0
    by_length = {}
    for _ in range(args.n):
        pick = rng.choice(len(images), int(rng.integers(2, 9)), replace=False)
        truth = "".join(str(d) for d in labels[pick])
        picture = synth.line(list(images[pick]), rng, touching=args.touching)
        start = time.perf_counter()
        text = reader.read_number(picture).text
        seconds += time.perf_counter() - start
        right += text == truth
        count_right += len(text) == len(truth)
        if len(text) == len(truth):
            digit_right += sum(a == b for a, b in zip(text, truth))
            digits += len(truth)
        over += len(text) > len(truth)
        under += len(text) < len(truth)
        by_length.setdefault(len(truth), []).append(text == truth)
    print(f"model: {reader.name}; {args.n} lines, touching share {args.touching}, seed {args.seed}\n")
    print(f"whole-number accuracy: {right / args.n:.2%}; digit count right: {count_right / args.n:.2%}; "
          f"too many digits: {over / args.n:.2%}; too few: {under / args.n:.2%}; "
          f"digits right (in lines with the right count): {digit_right / max(digits, 1):.2%}; "
          f"{seconds / args.n * 1000:.0f} ms per line\n")
    print("| digits in line | lines | whole number right |")
    print("| ---: | ---: | ---: |")
    for length in sorted(by_length):
        print(f"| {length} | {len(by_length[length])} | {np.mean(by_length[length]):.1%} |")


if __name__ == "__main__":
    main()
