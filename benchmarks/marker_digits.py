"""Digits written with a marker, and with a ballpoint: MNIST test digits with other pens, photographed large.

    .venv/bin/python benchmarks/marker_digits.py --data-dir ../shared/data/mnist --n 300

Each digit (a seeded sample of MNIST test[5000:]) is enlarged 10x to 280x280,
thresholded into strokes and grown by W px on every side (W = 0, 10, 20: strokes
0, 2 and 4 px wider at MNIST's scale), then drawn dark (30) on light paper (235).
A third or more of such a picture can be ink, so which side is ink is in doubt
(`digitlab.preprocess.ink.polarity_doubtful`). Each is read with
`Reader.predict_image` as `digitlab predict` reads it, and as its negative
(light on dark); "no digit" counts as wrong. Prints a markdown table.

Then the same digits redrawn with a ballpoint (`digitlab.data.pens.ballpoint`: the
strokes' middle lines drawn W px wide at 280 px, W = 2, 4, 8; MNIST's strokes are
about 25), read with the thin strokes grown (`digitlab.preprocess.stroke`) and, on
the same pictures, without (the reader before it): right, and "ok" and right.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from digitlab.data import load_dataset
from digitlab.data.decode import load_grey
from digitlab.data.pens import ballpoint
from digitlab.preprocess import stroke
from digitlab.preprocess.ink import polarity_doubtful
from digitlab.read.reader import Reader

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SCALE = 10  # the photo's pixels per MNIST pixel


def written_with_a_marker(image: np.ndarray, grow: int) -> np.ndarray:
    """uint8 (28, 28) white-on-black digit -> uint8 (280, 280), dark strokes grown by `grow` px."""
    size = 28 * SCALE
    strokes = np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR)) > 100
    if grow:
        strokes = ndimage.binary_dilation(strokes, iterations=grow)
    return np.where(strokes, 30, 235).astype(np.uint8)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(SHARED / "mnist"))
    parser.add_argument("--n", type=int, default=300, help="digits per stroke width")
    parser.add_argument("--grow", nargs="+", type=int, default=[0, 10, 20], help="px added on every side")
    parser.add_argument("--ballpoint", nargs="+", type=float, default=[2, 4, 8], help="pen widths in px at 280")
    parser.add_argument("--model", default=None, help="a shipped name or model file (default: the default)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    reader = Reader.load(args.model)
    test = load_dataset("mnist", data_dir=args.data_dir, download=False).test
    pick = 5000 + np.sort(np.random.default_rng(args.seed).choice(5000, args.n, replace=False))
    print(f"model {reader.name}; {args.n} MNIST test digits (seed {args.seed})\n")
    print("| strokes wider by | ink share of the picture | majority rule in doubt | dark on light | light on dark | s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for grow in args.grow:
        start = time.perf_counter()
        photos = [written_with_a_marker(test.images[i], grow) for i in pick]
        labels = test.labels[pick]
        doubtful = np.mean([polarity_doubtful(load_grey(photo)) for photo in photos])
        ink = np.mean([(photo < 128).mean() for photo in photos])
        right = [np.mean([reader.predict_image(p).digit == label for p, label in zip(pictures, labels)])
                 for pictures in (photos, [255 - p for p in photos])]
        print(f"| {2 * grow / SCALE:.0f} px | {ink:.0%} | {doubtful:.1%} | {right[0]:.1%} | {right[1]:.1%} | "
              f"{time.perf_counter() - start:.0f} |", flush=True)
    print("\n| ballpoint width (at 280 px) | right: strokes grown (as before) | \"ok\" and right: grown (as before) | s |")
    print("| ---: | ---: | ---: | ---: |")
    for width in args.ballpoint:
        start = time.perf_counter()
        photos = [ballpoint(test.images[i], width) for i in pick]
        grown, before = read_right_and_ok(reader, photos, test.labels[pick]), read_without_growing(reader, photos,
                                                                                                 test.labels[pick])
        print(f"| {width:g} px | {grown[0]:.1%} ({before[0]:.1%}) | {grown[1]:.1%} ({before[1]:.1%}) | "
              f"{time.perf_counter() - start:.0f} |", flush=True)


def read_right_and_ok(reader, photos, labels) -> tuple[float, float]:
    """(share read right, share read right and "ok")."""
    answers = [reader.predict_image(photo) for photo in photos]
    right = np.array([a.digit == label for a, label in zip(answers, labels)])
    return right.mean(), (right & np.array([a.status == "ok" for a in answers])).mean()


def read_without_growing(reader, photos, labels) -> tuple[float, float]:
    """`read_right_and_ok` with no stroke grown: the reader before `preprocess/stroke.py`."""
    kept, stroke.MIN_WIDTH = stroke.MIN_WIDTH, 0.0
    try:
        return read_right_and_ok(reader, photos, labels)
    finally:
        stroke.MIN_WIDTH = kept


if __name__ == "__main__":
    main()
