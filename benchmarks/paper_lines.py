"""Digits written on ruled and squared paper, read with and without taking the printed lines out.

    .venv/bin/python benchmarks/paper_lines.py --data-dir ../shared/data/mnist --n 300 --lines 100

Single digits are MNIST test digits (test[5000:], a seeded sample) photographed
on plain, ruled and squared paper (`synth.photo_on_lined_paper`) and inside a
form's printed box (`synth.photo_in_box`); numbers are 2-8 of them on one
ruled line (`synth.line(..., lined=True)`) or 2-6 in a form's row of boxes
(`synth.comb_field`). Each picture is
read twice, interleaved: as `predict` reads it, and with
`digitlab.preprocess.rules.remove_paper_lines` patched to take nothing out
(the reader before it existed). Prints Markdown rows.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

import numpy as np

from digitlab.data import synth
from digitlab.preprocess import ink
from digitlab.read.reader import Reader


@contextlib.contextmanager
def lines_kept():
    """The reader as it was before printed lines were taken out."""
    saved = ink.remove_paper_lines
    ink.remove_paper_lines = lambda mask: (mask, np.zeros_like(mask))
    try:
        yield
    finally:
        ink.remove_paper_lines = saved


def single_digits(reader, images, labels, paper: str, rng) -> dict:
    """{side: [ok and right, unsure, no digit, ok and wrong]} counts over the digits, both sides."""
    counts = {"lines kept": np.zeros(4, int), "lines taken out": np.zeros(4, int)}
    for image, label in zip(images, labels):
        if paper == "plain":
            picture = synth.photo(image, rng)
        elif paper == "boxed":
            picture = synth.photo_in_box(image, rng)
        else:
            picture = synth.photo_on_lined_paper(image, rng, squared=paper == "squared")
        for side, count in counts.items():
            with lines_kept() if side == "lines kept" else contextlib.nullcontext():
                p = reader.predict_image(picture)
            count[{"ok": 0 if p.digit == label else 3, "unsure": 1, "no digit": 2}[p.status]] += 1
    return counts


def numbers(reader, images, labels, n: int, rng, layout: str) -> dict:
    """{side: whole numbers right} over n numbers of 2-8 digits on a ruled line, or 2-6 in a form's boxes."""
    right = {"lines kept": 0, "lines taken out": 0}
    for _ in range(n):
        pick = rng.choice(len(images), int(rng.integers(2, 9 if layout == "ruled" else 7)), replace=False)
        if layout == "ruled":
            picture = synth.line(list(images[pick]), rng, lined=True)
        else:
            picture = synth.comb_field(list(images[pick]), rng)
        truth = "".join(str(d) for d in labels[pick])
        for side in right:
            with lines_kept() if side == "lines kept" else contextlib.nullcontext():
                right[side] += reader.read_number(picture).text == truth
    return right


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model path or shipped name (default: shipped default)")
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
    parser.add_argument("--n", type=int, default=300, help="digits per kind of paper")
    parser.add_argument("--lines", type=int, default=100, help="numbers of each layout (ruled, boxed)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    reader = Reader.load(args.model)
    images = synth.read_idx(f"{args.data_dir}/t10k-images-idx3-ubyte.gz")[5000:]
    labels = synth.read_idx(f"{args.data_dir}/t10k-labels-idx1-ubyte.gz")[5000:]
    pick = np.random.default_rng(args.seed).choice(len(images), args.n, replace=False)
    print(f"model: {reader.name}; {args.n} digits of test[5000:] per paper, seed {args.seed}\n")
    print("| paper | printed lines | ok and right | unsure | no digit | ok and wrong |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for paper in ("plain", "ruled", "squared", "boxed"):
        counts = single_digits(reader, images[pick], labels[pick], paper, np.random.default_rng(args.seed))
        for side, row in counts.items():
            shares = " | ".join(f"{c / args.n:.1%}" for c in row)
            print(f"| {paper} | {side} | {shares} |", flush=True)
    for layout in ("ruled", "boxed") if args.lines else ():
        right = numbers(reader, images, labels, args.lines, np.random.default_rng(args.seed), layout)
        what = "ruled lines of 2-8 digits" if layout == "ruled" else "rows of 2-6 printed boxes (a form)"
        print(f"\nwhole numbers, {args.lines} {what}: "
              + "; ".join(f"{side} {count / args.lines:.1%}" for side, count in right.items()), flush=True)

if __name__ == "__main__":
    main()
