"""How well every shipped model reads real handwriting that is not MNIST, through the product's own path.

    .venv/bin/python benchmarks/real_handwriting.py                  # both handwriting-dev sets, all models
    .venv/bin/python benchmarks/real_handwriting.py --limit 500 --lines 100 --models numpy-mlp-512
    .venv/bin/python benchmarks/real_handwriting.py --data my-digits/ --lines 0
    .venv/bin/python benchmarks/real_handwriting.py --no-digits --lines 200    # whole numbers only
    .venv/bin/python benchmarks/real_handwriting.py --no-digits --no-line-model  # ...by the cuts alone

Single digits: each labelled folder (sub-folders 0-9, or labels.csv `file,label`)
is read file by file with `Reader.predict_files`, exactly what
`digitlab predict FOLDER` runs. Per set and model: accuracy (a "no digit"
answer counts as wrong), the shares answered "no digit" and "unsure",
accuracy on the "ok" answers, and the commonest confusions.

The same digits shown differently: for a folder with an originals.npz (the
handwriting-dev sets), each model also reads the pictures' negatives (light
ink on dark, as a blackboard or a white-on-black dataset) and the originals
at their own 16x16, white on black, as a dataset stores them.

Whole numbers: lines of 2-6 USPS-train digits (originals.npz) drawn by two
generators (real_lines.py: the project's photo recipe, and a ruled scanned
form), read with `Reader.read_number`; a line is right only when the whole
string is. Seeded: the same lines for every model.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import real_lines
from PIL import Image

from digitlab.data.labelled import labelled_files
from digitlab.evaluate.reading import score_files
from digitlab.read.reader import Reader, shipped_model_names

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "handwriting-dev"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=[str(DEV / "usps-train"), str(DEV / "semeion-dev")],
                        help="labelled folders (default: both handwriting-dev sets)")
    parser.add_argument("--models", nargs="+", default=None, help="shipped names or model files (default: every shipped model)")
    parser.add_argument("--limit", type=int, default=None, help="read only a seeded sample of N images per set")
    parser.add_argument("--lines", type=int, default=200, help="lines per generator (0: no whole numbers)")
    parser.add_argument("--no-digits", action="store_true", help="whole numbers only: skip the single-digit tables")
    parser.add_argument("--lines-from", default=str(DEV / "usps-train" / "originals.npz"),
                        help="an .npz of 16x16 digits (images, labels) to build lines from")
    parser.add_argument("--no-line-model", dest="line_model", action="store_false",
                        help="whole numbers read by the cuts alone, as `digitlab read --no-line-model`")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    readers = [Reader.load(m) for m in (args.models or shipped_model_names())]
    print(f"seed {args.seed}; limit {args.limit or 'none'}\n")
    if not args.no_digits:
        digit_table(readers, args.data, args.limit, args.seed)
        presentation_table(readers, args.data, args.limit, args.seed)
    if args.lines:
        line_table(readers, args.lines_from, args.lines, args.seed, args.line_model)


def sample(n: int, limit, seed) -> np.ndarray:
    """Indices of a seeded sample of `limit` of n (all of them without a limit)."""
    if not limit or limit >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


def digit_table(readers, folders, limit, seed):
    print("| set | model | n | accuracy | \"no digit\" | \"unsure\" | accuracy when \"ok\" | top confusions (true->read) | s |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    for folder in folders:
        files = labelled_files(folder)
        files = [files[i] for i in sample(len(files), limit, seed)]
        for reader in readers:
            start = time.perf_counter()
            s = score_files(reader, files)
            print(f"| {Path(folder).name} | {reader.name} | {s['n']} | {s['accuracy']:.2%} | {s['no_digit']:.2%} | "
                  f"{s['unsure']:.2%} | {s['ok_accuracy']:.2%} | {', '.join(s['confusions'])} | "
                  f"{time.perf_counter() - start:.0f} |", flush=True)


def presentation_table(readers, folders, limit, seed):
    """Accuracy on the same digits as negatives of the pictures, and as the 16x16 originals."""
    found = [Path(folder) for folder in folders if (Path(folder) / "originals.npz").is_file()]
    if not found:
        return
    print("\nthe same digits shown differently (\"no digit\" counts as wrong)\n")
    print("| set | model | as scanned (dark on light, 64 px) | negatives (light on dark, 64 px) "
          "| originals.npz (16x16, white on black) |")
    print("| --- | --- | ---: | ---: | ---: |")
    for folder in found:
        files = labelled_files(folder)
        pick = sample(len(files), limit, seed)
        with np.load(folder / "originals.npz", allow_pickle=False) as npz:
            originals, labels = npz["images"][pick], npz["labels"][pick]
        scans = [np.asarray(Image.open(files[i][0]).convert("L")) for i in pick]
        for reader in readers:
            cells = [accuracy(reader, pictures, labels) for pictures in (scans, [255 - s for s in scans], originals)]
            print(f"| {folder.name} | {reader.name} | " + " | ".join(f"{a:.2%}" for a in cells) + " |", flush=True)


def accuracy(reader, pictures, labels) -> float:
    """Share of `pictures` (uint8 arrays) that `reader.predict_image` reads as their label."""
    return float(np.mean([reader.predict_image(p).digit == label for p, label in zip(pictures, labels)]))


def line_table(readers, source, n, seed, line_model=True):
    with np.load(source, allow_pickle=False) as npz:
        images, labels = npz["images"], npz["labels"]
    print(f"\nwhole numbers: {n} lines of 2-6 digits from {Path(source).parent.name} per generator"
          f"{'' if line_model else ', cuts alone (no line model)'}\n")
    print("| lines | model | whole number right | digit count right | digits right (right count) | digits \"unsure\" "
          "| ms per line |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for g, (name, make) in enumerate(real_lines.GENERATORS.items()):
        rng = np.random.default_rng([seed, g])
        lines = []
        for _ in range(n):
            pick = rng.choice(len(images), int(rng.integers(2, 7)), replace=False)
            lines.append((make(images[pick], rng), "".join(str(d) for d in labels[pick])))
        for reader in readers:
            print(f"| {name} | {reader.name} | " + line_row(reader, lines, line_model), flush=True)


def line_row(reader, lines, line_model=True) -> str:
    right = count = digit_right = digits = unsure = read = 0
    start = time.perf_counter()
    for picture, truth in lines:
        reading = reader.read_number(picture, line_model)
        text = reading.text
        right += text == truth
        unsure += sum(d.status == "unsure" for d in reading.digits)
        read += len(reading.digits)
        if len(text) == len(truth):
            count += 1
            digit_right += sum(a == b for a, b in zip(text, truth))
            digits += len(truth)
    ms = (time.perf_counter() - start) / len(lines) * 1000
    return (f"{right / len(lines):.1%} | {count / len(lines):.1%} | {digit_right / max(digits, 1):.1%} | "
            f"{unsure / max(read, 1):.1%} | {ms:.0f} |")


if __name__ == "__main__":
    main()
