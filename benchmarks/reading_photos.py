"""How well digitlab reads photos of handwriting, and how honestly it says when it cannot.

    .venv/bin/python benchmarks/reading_photos.py --data-dir ../shared/data/mnist --n 1000 --others 200

Renders MNIST *test* digits (test[5000:], the half not used to fit the
calibration) as synthetic photos (see digitlab.data.synth) and compares the
model's accuracy on them with the same model on the clean 28x28 originals.
The same photos again with a desk around the sheet. Then blank pages, noise,
letters and scribbles: how many get "no digit" or "unsure". Prints a
markdown report.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from digitlab.data import synth
from digitlab.read.calibration import expected_calibration_error
from digitlab.read.reader import Reader


def photo_results(reader, images, labels, seed, make=synth.photo):
    rng = np.random.default_rng(seed)
    rows, inputs, seconds = [], [], 0.0
    for image, label in zip(images, labels):
        picture = make(image, rng)
        start = time.perf_counter()
        p = reader.predict_image(picture)
        seconds += time.perf_counter() - start
        rows.append((p.digit == label, p.status))
        if p.status != "no digit":
            inputs.append((p.input, label))
    return rows, inputs, seconds / len(images)


def rejected_share(reader, make, n, seed) -> tuple[float, float]:
    """Share answered "no digit" or "unsure", and the share "no digit"."""
    rng = np.random.default_rng(seed)
    statuses = [reader.predict_image(make(rng)).status for _ in range(n)]
    return np.mean([s != "ok" for s in statuses]), np.mean([s == "no digit" for s in statuses])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model path or shipped name (default: shipped default)")
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
    parser.add_argument("--n", type=int, default=1000, help="photos of digits")
    parser.add_argument("--others", type=int, default=200, help="blank, noise, letter and scribble images each")
    parser.add_argument("--per-letter", type=int, default=10, help="images of each letter for the per-letter table")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    reader = Reader.load(args.model)
    images = synth.read_idx(f"{args.data_dir}/t10k-images-idx3-ubyte.gz")[5000:]
    labels = synth.read_idx(f"{args.data_dir}/t10k-labels-idx1-ubyte.gz")[5000:].astype(np.int64)
    pick = np.random.default_rng(args.seed).choice(len(images), args.n, replace=False)
    images, labels = images[pick], labels[pick]

    clean = reader.predict_inputs(images)
    clean_acc = np.mean([p.digit == y for p, y in zip(clean, labels)])
    clean_ok = np.mean([p.status == "ok" for p in clean])
    rows, inputs, per_image = photo_results(reader, images, labels, args.seed)
    correct = np.array([r[0] for r in rows])
    status = np.array([r[1] for r in rows])
    x = np.stack([i for i, _ in inputs])
    y = reader.label_index([label for _, label in inputs])
    raw = reader.raw_proba(x)
    ece_raw = expected_calibration_error(raw, y)
    ece_cal = expected_calibration_error(reader.calibration.apply(raw), y)

    cal = reader.calibration
    rule = f"digit score weight {cal.reject_weight:g}, unsure below {cal.reject_below:.3f}" \
        if cal.reject_below is not None else f"unsure below {cal.unsure_below:.3f} (no digit score)"
    print(f"model: {reader.name}; temperature {cal.temperature:.3f}, {rule}; seed {args.seed}\n")
    print("| set | n | accuracy | answered \"ok\" | accuracy when \"ok\" |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| clean MNIST test[5000:] sample (28x28, no preprocessing) | {args.n} | {clean_acc:.2%} | "
          f"{clean_ok:.2%} | {np.mean([p.digit == t for p, t in zip(clean, labels) if p.status == 'ok']):.2%} |")
    print(f"| the same digits as synthetic photos | {args.n} | {correct.mean():.2%} | {np.mean(status == 'ok'):.2%} | "
          f"{correct[status == 'ok'].mean():.2%} |")
    print(f"\nphotos answered \"no digit\": {np.mean(status == 'no digit'):.2%}; "
          f"ECE on photos: {ece_raw:.4f} uncalibrated -> {ece_cal:.4f} calibrated; "
          f"reading time {per_image * 1000:.1f} ms per photo (decode excluded, model included)")
    on_desk = photo_results(reader, images, labels, args.seed, lambda d, rng: synth.on_desk(synth.photo(d, rng), rng))[0]
    right, status = np.array([r[0] for r in on_desk]), np.array([r[1] for r in on_desk])
    print(f"the same digits as photos of a note on a desk (`synth.on_desk`): accuracy {right.mean():.2%}, "
          f"\"ok\" and right {np.mean(right & (status == 'ok')):.2%}, \"no digit\" {np.mean(status == 'no digit'):.2%}\n")

    letters = synth.LETTERS
    plain = "".join(c for c in letters if c not in synth.LOOKALIKES)
    others = [("blank pages", synth.blank),
              ("noise (Gaussian, uniform, salt-and-pepper)", synth.noise),
              ("scribbles", synth.scribble),
              ("letters, all 52 (DejaVu Sans)", lambda rng: synth.letter(rng)),
              (f"letters that do not look like digits ({len(plain)})",
               lambda rng: synth.letter(rng, plain[rng.integers(len(plain))]))]
    print("| not a digit | n | \"no digit\" or \"unsure\" | of which \"no digit\" |")
    print("| --- | ---: | ---: | ---: |")
    for i, (name, make) in enumerate(others):
        rejected, none = rejected_share(reader, make, args.others, args.seed + 1 + i)
        print(f"| {name} | {args.others} | {rejected:.1%} | {none:.1%} |")
    if args.per_letter:
        per_letter_table(reader, args.per_letter, args.seed + 100)


def per_letter_table(reader, n, seed):
    """Share of each letter answered "no digit" or "unsure", look-alikes (O, l, S...) marked with *."""
    cells = []
    for i, char in enumerate(synth.LETTERS):
        rejected, _ = rejected_share(reader, lambda rng, c=char: synth.letter(rng, c), n, seed + i)
        cells.append(f"{char}{'*' if char in synth.LOOKALIKES else ''} {rejected:.0%}")
    print(f"\nper letter ({n} images each, DejaVu Sans; * marks a look-alike of a digit):\n")
    print("|" + " |" * 13 + "\n|" + " --- |" * 13)
    for row in range(0, len(cells), 13):
        print("| " + " | ".join(cells[row: row + 13]) + " |")


if __name__ == "__main__":
    main()
