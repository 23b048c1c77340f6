"""Train the digit-likeness detector shipped as digitlab/read/digitness.npz.

    .venv/bin/python benchmarks/reading_digitness.py --data-dir ../shared/data/mnist

A small CNN (see digitlab/read/digitness.py for the layers) learns to
tell MNIST-style digits from things a digit model should not read, all after
the same preprocessing the reader applies.

Positives: MNIST train[:20000], plus synthetic photos of train[20000:23000]
after `prepare`.

Negatives, each made differently from the benchmark's (digitlab.data.synth):
- letters A-Z a-z from the Liberation fonts and DejaVu Serif/Math, with random
  stroke width, rotation, shear and aspect; half of them as photos. Every
  DejaVu Sans face (the benchmark's font, its Mono, Condensed, Bold...) is held
  out; LiberationMono is held out of training and used for validation.
- scribbles from this file's own generator (smooth splines, loops, zigzags,
  arcs), not the benchmark's random-walk polylines;
- fragments of MNIST train[40000:] digits (one side of a random line removed)
  and pairs of them side by side in their 28 px frames (what a bad cut in a
  line produces); with `--touching-pairs`, written ink to ink instead (two
  touching digits a line failed to cut), which trains the line reader's
  one-digit detector, digitlab/read/one_digit.npz:

    .venv/bin/python benchmarks/reading_digitness.py --data-dir ../shared/data/mnist \\
        --touching-pairs --out digitlab/read/one_digit.npz

The threshold is the 1% quantile of the score on held-out digits (photos of
MNIST test[:1000] and clean test[1000:2000]: the calibration half of test,
never the benchmark half). `--validation-out` writes those digits and the
held-out non-digits (LiberationMono letters, own scribbles) for
`digitlab calibrate --validation`, which fits each model's
digit score on them. Training uses PyTorch (one thread); the package runs
the network in NumPy.
"""

from __future__ import annotations

import argparse
import glob
import json
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from digitlab.data import synth
from digitlab.preprocess import prepare
from digitlab.read.negatives import fragment, pair, touching_pair

OUT = Path(__file__).resolve().parents[1] / "digitlab" / "read" / "digitness.npz"
FONT_DIRS = "/usr/share/fonts/truetype/*/*.ttf"
VALIDATION_FONT = "LiberationMono"


def fonts(validation: bool = False) -> list[str]:
    """Training fonts (or the validation font); never a DejaVu Sans face."""
    found = [f for f in sorted(glob.glob(FONT_DIRS)) if "DejaVuSans" not in Path(f).name]
    return [f for f in found if (VALIDATION_FONT in Path(f).name) == validation]


# -- negatives -----------------------------------------------------------------

def font_letter(font: str, char: str, rng, plain: bool = False) -> np.ndarray:
    """A letter with random size, stroke width, rotation, shear and aspect (none if `plain`); uint8 photo or grey."""
    size = int(rng.integers(28, 120))
    canvas = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(canvas).text((size // 2, size // 4), char, fill=255, font=ImageFont.truetype(font, size))
    alpha = np.asarray(canvas, np.float32) / 255.0
    if plain:
        return synth.on_paper(alpha, rng) if rng.random() < 0.5 else np.uint8(255 - 255 * alpha)
    radius = int(rng.integers(-1, 4)) * max(1, size // 40)  # thin or thick pen
    if radius > 0:
        alpha = ndimage.grey_dilation(alpha, size=(radius + 1,) * 2)
    elif radius < 0 and size >= 60:
        alpha = ndimage.grey_erosion(alpha, size=(2,) * 2)
    angle = np.deg2rad(rng.uniform(-15, 15))
    shear, aspect = rng.uniform(-0.3, 0.3), rng.uniform(0.7, 1.3)
    # output (y, x) samples input matrix @ (y, x) + offset: rotation, shear and x-stretch about the centre
    matrix = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) @ \
        np.array([[1.0, 0.0], [shear, 1.0 / aspect]])
    centre = np.array(alpha.shape) / 2
    alpha = ndimage.affine_transform(alpha, matrix, offset=centre - matrix @ centre, order=1)
    return synth.on_paper(alpha, rng) if rng.random() < 0.5 else np.uint8(255 - 255 * alpha)


def spline_scribble(rng, size=(120, 160)) -> np.ndarray:
    """Pen strokes unlike the benchmark's: smooth splines, loops, zigzags or arcs; uint8 grey."""
    canvas = Image.new("L", size[::-1], 0)
    draw = ImageDraw.Draw(canvas)
    h, w = size
    for _ in range(rng.integers(1, 3)):
        kind = rng.integers(4)
        t = np.linspace(0, 1, 200)
        if kind == 0:  # a smooth curve through a few random points
            knots = rng.uniform([0.1 * w, 0.1 * h], [0.9 * w, 0.9 * h], (int(rng.integers(3, 7)), 2))
            points = np.stack([np.interp(t * (len(knots) - 1), np.arange(len(knots)), knots[:, i]) for i in (0, 1)], 1)
            points = ndimage.gaussian_filter1d(points, 12, axis=0, mode="nearest")
        elif kind == 1:  # loops: a circle drifting sideways
            turns, radius = rng.uniform(1.5, 5), rng.uniform(0.1, 0.3) * h
            points = np.stack([0.2 * w + 0.6 * w * t + radius * np.cos(2 * np.pi * turns * t),
                               h / 2 + radius * np.sin(2 * np.pi * turns * t)], 1)
        elif kind == 2:  # a zigzag or hatching
            n = int(rng.integers(3, 9))
            xs = np.linspace(0.15 * w, 0.85 * w, n)
            ys = np.where(np.arange(n) % 2, 0.2 * h, 0.8 * h) + rng.normal(0, 0.05 * h, n)
            points = np.stack([xs, ys], 1)
        else:  # an arc of an ellipse, or a whole one
            start, span = rng.uniform(0, 2 * np.pi), rng.uniform(np.pi, 2 * np.pi)
            angles = start + span * t
            points = np.stack([w / 2 + rng.uniform(0.1, 0.4) * w * np.cos(angles),
                               h / 2 + rng.uniform(0.1, 0.4) * h * np.sin(angles)], 1)
        draw.line([tuple(p) for p in points], fill=255, width=int(rng.integers(2, 9)), joint="curve")
    return np.uint8(255 - np.asarray(canvas))


def negatives(train: np.ndarray, rng, letters: int, scribbles: int, parts: int, validation: bool = False,
              pairs=pair):
    """uint8 (n, 28, 28) model inputs that are not one digit; `pairs` makes the pairs of digits."""
    pool = fonts(validation)
    found = [prepare(font_letter(pool[rng.integers(len(pool))], synth.LETTERS[rng.integers(52)], rng))
             for _ in range(letters)]
    found += [prepare(spline_scribble(rng)) for _ in range(scribbles)]
    out = [p.input for p in found if p.has_digit]
    for _ in range(parts):
        i, j = rng.integers(len(train), size=2)
        piece = fragment(train[i], rng) if rng.random() < 0.5 else pairs(train[i], train[j], rng)
        if piece is not None:
            out.append(piece)
    return np.stack(out)


def more_letters(n: int, rng) -> np.ndarray:
    """Letters from the training fonts, a third of them plain font glyphs as the fonts draw them."""
    pool = fonts()
    found = [prepare(font_letter(pool[rng.integers(len(pool))], synth.LETTERS[rng.integers(52)], rng,
                                 plain=rng.random() < 1 / 3)) for _ in range(n)]
    return np.stack([p.input for p in found if p.has_digit])


def pen_digit(rng) -> np.ndarray:
    """A "1" as one straight stroke or a "0" as one ellipse, drawn with an even pen: uint8 grey.

    What a person draws on a canvas; font glyphs such as I, l and O have these shapes too, so
    without them as positives the detector learns that a perfect stroke is not handwriting.
    """
    size = 200
    height = rng.uniform(80, 180)
    pen = max(2, int(height * rng.uniform(0.06, 0.16)))
    canvas = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    top, bottom = (size - height) / 2, (size + height) / 2
    if rng.random() < 0.5:
        lean = np.tan(np.deg2rad(rng.uniform(-15, 15))) * height / 2
        draw.line([(size / 2 + lean, top), (size / 2 - lean, bottom)], fill=255, width=pen)
    else:
        half = height * rng.uniform(0.3, 0.5)
        draw.ellipse([(size / 2 - half, top), (size / 2 + half, bottom)], outline=255, width=pen)
    return np.uint8(255 - np.asarray(canvas))


# the negatives' cache key and how they pair digits, by --touching-pairs
NEGATIVES = {False: ("negative", pair), True: ("negative_touching", touching_pair)}


def make_data(data_dir: str, cached: dict, more_photos: int = 0, pen_digits: int = 0,
              touching_pairs: bool = False) -> dict:
    """The training and held-out images; each group is made with its own seed, so a cache may hold some.

    `more_photos`: photos of that many more training digits (train[23000:]) as positives;
    `pen_digits`: that many 1s and 0s drawn with an even pen (`pen_digit`) as positives;
    `touching_pairs`: negatives with `touching_pair` instead of `pair` (the line reader's detector).
    """
    train = synth.read_idx(f"{data_dir}/train-images-idx3-ubyte.gz")
    test = synth.read_idx(f"{data_dir}/t10k-images-idx3-ubyte.gz")

    def digits(rng):
        photos = np.stack([prepare(synth.photo(x, rng)).input for x in train[20000:23000]])
        held = np.stack([prepare(synth.photo(d, rng)).input for d in test[:1000]] + list(test[1000:2000]))
        return {"positive": np.concatenate([train[:20000], photos]), "held_digits": held}

    negative, pairs = NEGATIVES[touching_pairs]
    makers = [  # (what it makes, seed, how)
        (("positive", "held_digits"), 7, digits),
        ((negative,), 123, lambda rng: {negative: negatives(train[40000:], rng, 6000, 3000, 4000, pairs=pairs)}),
        (("more_letters",), 456, lambda rng: {"more_letters": more_letters(6000, rng)}),
        (("held_other",), 321, lambda rng: {"held_other": negatives(train[40000:], rng, 600, 300, 0, True)})]
    extras = {  # optional positives: key -> (how many, seed, one picture from rng and an index)
        "pen_digits": (pen_digits, 9, lambda rng, i: pen_digit(rng)),
        "more_photos": (more_photos, 8, lambda rng, i: synth.photo(train[23000 + i], rng)),
    }
    for key, (count, seed, picture) in extras.items():
        if len(cached.get(key, ())) != count:  # a cache made for another count (or none) is remade or dropped
            cached = {k: v for k, v in cached.items() if k != key}
        if count:
            makers.append(((key,), seed, lambda rng, key=key, count=count, picture=picture: {
                key: np.stack([prepare(picture(rng, i)).input for i in range(count)])}))
    data = dict(cached)
    for keys, seed, make in makers:
        if not all(key in data for key in keys):
            data.update(make(np.random.default_rng(seed)))
    return data


# -- the network ---------------------------------------------------------------

def build(torch, channels=(12, 24, 32), hidden: int = 32):
    nn = torch.nn
    a, b, c = channels
    return nn.Sequential(
        nn.Conv2d(1, a, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # (n, a, 14, 14)
        nn.Conv2d(a, b, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (n, b, 7, 7)
        nn.Conv2d(b, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (n, c, 3, 3)
        nn.Flatten(), nn.Linear(9 * c, hidden), nn.ReLU(), nn.Linear(hidden, 1))


def fit(x: np.ndarray, y: np.ndarray, epochs: int, seed: int, channels=(12, 24, 32)):
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    net = build(torch, channels)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 3e-3, total_steps=epochs * (len(x) // 128 + 1))
    xs = torch.tensor(x[:, None], dtype=torch.float32) / 255.0  # (n, 1, 28, 28)
    ys = torch.tensor(y, dtype=torch.float32)
    weight = torch.where(ys > 0, 1.0, float((y > 0).sum() / max((y == 0).sum(), 1)))  # balance the classes
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        order = torch.randperm(len(xs), generator=gen)
        total = 0.0
        for start in range(0, len(xs), 128):
            idx = order[start: start + 128]
            batch = xs[idx]
            shift = torch.randint(-2, 3, (2,), generator=gen).tolist()  # a little translation
            batch = torch.roll(batch, shifts=shift, dims=(2, 3))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(batch)[:, 0], ys[idx], weight[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}: loss {total / len(xs):.4f}", flush=True)
    layers = [m for m in net if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    names = ["conv1", "conv2", "conv3", "dense1", "dense2"]  # the names digitness.py reads
    return {f"{name}_{part}": getattr(layer, part).detach().numpy().astype(np.float32)
            for name, layer in zip(names, layers) for part in ("weight", "bias")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
    parser.add_argument("--out", default=str(OUT), help=f"where to write the weights (default {OUT})")
    parser.add_argument("--cache", default=None, help="reuse (or write) the generated images in this .npz")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--channels", default="12,24,32", help="channels of the three convolutions")
    parser.add_argument("--more-photos", type=int, default=0,
                        help="photos of this many more training digits (train[23000:]) as positives")
    parser.add_argument("--pen-digits", type=int, default=0,
                        help="this many 1s and 0s drawn with an even pen as positives")
    parser.add_argument("--touching-pairs", action="store_true",
                        help="pairs of digits written ink to ink instead of side by side in their frames: the "
                             "line reader's one-digit detector (write it with --out .../one_digit.npz)")
    parser.add_argument("--validation-out", default=None,
                        help="also write the held-out digits and non-digits (model inputs) to this .npz, "
                             "for digitlab calibrate --validation; with --epochs 0 only that")
    args = parser.parse_args()
    channels = tuple(int(c) for c in args.channels.split(","))
    start = time.perf_counter()
    cached = {}
    if args.cache and Path(args.cache).is_file():
        with np.load(args.cache, allow_pickle=False) as npz:
            cached = {k: npz[k] for k in npz.files}
    data = make_data(args.data_dir, cached, args.more_photos, args.pen_digits, args.touching_pairs)
    if args.cache and set(data) != set(cached):
        np.savez_compressed(args.cache, **data)
    if args.validation_out:
        about = ("photos of MNIST test[:1000] + clean test[1000:2000]; LiberationMono letters + own scribbles "
                 "(benchmarks/reading_digitness.py, seeds 7 and 321)")
        np.savez_compressed(args.validation_out, digits=data["held_digits"], others=data["held_other"],
                            about=np.array(about))
        print(f"validation: {len(data['held_digits'])} digits, {len(data['held_other'])} others -> {args.validation_out}")
    if args.epochs == 0:
        return
    negative = np.concatenate([data[NEGATIVES[args.touching_pairs][0]], data["more_letters"]])
    none = data["positive"][:0]
    positive = np.concatenate([data["positive"], data.get("more_photos", none), data.get("pen_digits", none)])
    x = np.concatenate([positive, negative])
    y = np.r_[np.ones(len(positive)), np.zeros(len(negative))]
    weights = fit(x, y, args.epochs, args.seed, channels)

    from digitlab.read.digitness import score

    digits, other = score(data["held_digits"], weights), score(data["held_other"], weights)
    threshold = float(np.quantile(digits, 0.01))
    card = {"command": "python benchmarks/reading_digitness.py --data-dir ../shared/data/mnist "
                       f"--epochs {args.epochs} --seed {args.seed} --channels {args.channels}"
                       f"{f' --more-photos {args.more_photos}' if args.more_photos else ''}"
                       f"{f' --pen-digits {args.pen_digits}' if args.pen_digits else ''}"
                       f"{f' --touching-pairs --out digitlab/read/{Path(args.out).name}' if args.touching_pairs else ''}",
            "positives": len(positive), "negatives": len(negative), "threshold": threshold,
            "validation_rejected": float(np.mean(other < threshold)),
            "seconds": round(time.perf_counter() - start)}
    np.savez(args.out, threshold=np.float64(threshold), **weights)
    Path(args.out).with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
