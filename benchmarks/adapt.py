"""Learning a writer group's hand from k examples per digit: query accuracy against k, MNIST kept, time.

    # the BENCHMARKS.md figures: seeds named before the run, all of MNIST test
    .venv/bin/python benchmarks/adapt.py --seeds 0 1 --mnist-test 10000 --out adapt-out
    # tuning: other seeds, a 2,000-picture draw of each set, 2,000 MNIST test digits
    .venv/bin/python benchmarks/adapt.py --seeds 100 101 --limit 2000 --lr 1e-3

For each set in ../shared/data/handwriting-dev (usps-train, semeion-dev), each
k in 1, 5, 10, 20 and each seed: k pictures of each digit are drawn as the
person's examples and every other picture is a query. The shipped default is
adapted exactly as `digitlab adapt` adapts it (`digitlab.evaluate.adapt.adapt`,
1,000 MNIST training digits replayed; nothing held out, the queries score it)
and scored on the queries (a "no digit" answer counts as wrong, as in
real_handwriting.py) and on MNIST test. Every picture is prepared once, by the
reader's own preprocessing, and crosses the frozen body once: the adapted
models differ only in their head, so each is scored on cached features.
Adaptation time is `adapt`'s own clock (warped copies, the body's pass over
examples and replayed digits, the epochs), one BLAS thread.
Writes results.json and adapt_k.png (query accuracy against k) to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from digitlab.data import load_dataset
from digitlab.data.labelled import labelled_files
from digitlab.evaluate.adapt import AdaptSettings, adapt
from digitlab.nn.finetune import body_features, head_network, head_start
from digitlab.nn.training import predict_proba
from digitlab.read.reader import Reader

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = ("usps-train", "semeion-dev")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS))
    parser.add_argument("--ks", nargs="+", type=int, default=[1, 5, 10, 20])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--limit", type=int, default=None, help="a seeded draw of N pictures per set (tuning)")
    parser.add_argument("--mnist-test", type=int, default=2000, help="MNIST test digits scored (10000 = all)")
    parser.add_argument("--data-dir", default=str(SHARED / "mnist"))
    parser.add_argument("--dev", default=str(SHARED / "handwriting-dev"))
    parser.add_argument("--epochs", type=int, default=AdaptSettings.epochs)
    parser.add_argument("--lr", type=float, default=AdaptSettings.learning_rate)
    parser.add_argument("--replay", type=int, default=AdaptSettings.replay)
    parser.add_argument("--example-rows", type=int, default=AdaptSettings.example_rows)
    parser.add_argument("--engine", choices=("numpy", "torch"), default="numpy",
                        help="what runs the frozen body's pass while adapting (scoring always numpy)")
    parser.add_argument("--out", default="adapt-out", help="folder for results.json and adapt_k.png")
    args = parser.parse_args()

    settings = AdaptSettings(epochs=args.epochs, learning_rate=args.lr, replay=args.replay,
                             example_rows=args.example_rows)
    reader = Reader.load()
    start = head_start(reader.model.network_.arch)
    print(f"model {reader.name}; {settings}; {args.engine} engine; seeds {args.seeds}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    mnist = load_dataset("mnist", data_dir=args.data_dir, download=False)
    pick = np.sort(np.random.default_rng(0).choice(len(mnist.test.labels), args.mnist_test, replace=False))
    mnist_test = Scored(reader, start, mnist.test.images[pick], mnist.test.labels[pick])
    replay = (mnist.train.images, mnist.train.labels)
    rows = []
    print("| set | k | queries | before | after (seeds) | MNIST test before -> after | adapt s |", flush=True)
    print("| --- | ---: | ---: | ---: | --- | --- | ---: |", flush=True)
    for name in args.sets:
        images, labels, has_digit = prepared(reader, Path(args.dev) / name, args.limit)
        pictures = Scored(reader, start, images, labels, has_digit)
        for k in args.ks:
            runs = [one_run(reader, pictures, mnist_test, replay, k, seed, settings, args.engine)
                    for seed in args.seeds]
            rows.append({"set": name, "k": k, "runs": runs})
            print_row(name, k, runs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"settings": vars(args), "rows": rows}, indent=1) + "\n")
    plot(rows, out / "adapt_k.png")
    print(f"wrote {out / 'results.json'} and {out / 'adapt_k.png'}")


class Scored:
    """Pictures with their labels and the frozen body's features, to score any head on."""

    def __init__(self, reader, start, images, labels, has_digit=None):
        self.images, self.labels, self.start = images, labels, start
        self.has_digit = np.ones(len(labels), bool) if has_digit is None else has_digit
        x = images.astype(np.float32)[:, None] / np.float32(255.0)
        self.features = body_features(reader.model.network_, x, start)

    def accuracy(self, model, index=None) -> float:
        index = np.arange(len(self.labels)) if index is None else index
        read = predict_proba(head_network(model.network_, self.start), self.features[index]).argmax(1)
        right = (model.classes_[read] == self.labels[index]) & self.has_digit[index]
        return float(right.mean())


def prepared(reader, folder: Path, limit):
    """(inputs (n, 28, 28) uint8, labels (n,), has_digit (n,)) of a labelled folder, as `predict` prepares them."""
    files = labelled_files(folder)
    if limit and limit < len(files):
        files = [files[i] for i in np.sort(np.random.default_rng(0).choice(len(files), limit, replace=False))]
    found = [reader.prepare(path) for path, _ in files]
    return (np.stack([p.input for p in found]), np.array([label for _, label in files]),
            np.array([p.has_digit for p in found]))


def one_run(reader, pictures: Scored, mnist_test: Scored, replay, k: int, seed: int, settings, engine) -> dict:
    rng = np.random.default_rng(seed)
    examples = np.concatenate([rng.choice(np.flatnonzero(pictures.labels == c), k, replace=False)
                               for c in range(10)])
    examples = examples[pictures.has_digit[examples]]  # what `digitlab adapt` keeps
    queries = np.setdiff1d(np.arange(len(pictures.labels)), examples)
    result = adapt(reader.model, pictures.images[examples], pictures.labels[examples], replay,
                   settings=settings, seed=seed, engine=engine)
    return {"seed": seed, "examples": len(examples), "queries": len(queries),
            "before": pictures.accuracy(reader.model, queries), "after": pictures.accuracy(result.model, queries),
            "mnist_before": mnist_test.accuracy(reader.model), "mnist_after": mnist_test.accuracy(result.model),
            "seconds": result.seconds}


def print_row(name, k, runs):
    mean = {key: np.mean([r[key] for r in runs]) for key in ("before", "after", "mnist_before", "mnist_after",
                                                              "seconds")}
    each = ", ".join(f"{r['after']:.2%}" for r in runs)
    print(f"| {name} | {k} | {runs[0]['queries']} | {mean['before']:.2%} | **{mean['after']:.2%}** ({each}) | "
          f"{mean['mnist_before']:.2%} -> {mean['mnist_after']:.2%} | {mean['seconds']:.1f} |", flush=True)


def plot(rows, path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    for name in dict.fromkeys(row["set"] for row in rows):
        mine = [row for row in rows if row["set"] == name]
        ks = [row["k"] for row in mine]
        after = np.array([[r["after"] for r in row["runs"]] for row in mine]) * 100
        before = np.mean([[r["before"] for r in row["runs"]] for row in mine]) * 100
        line = ax.errorbar(ks, after.mean(1), yerr=[after.mean(1) - after.min(1), after.max(1) - after.mean(1)],
                           marker="o", capsize=3, label=f"{name} adapted")
        ax.axhline(before, linestyle="--", color=line[0].get_color(), label=f"{name} before")
    ks = sorted({row["k"] for row in rows})
    ax.set_xscale("log")
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.minorticks_off()
    ax.set_xlabel("labelled examples per digit (k)")
    ax.set_ylabel("query accuracy (%)")
    ax.set_title("Adapting the shipped default to a writer group")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"{time.perf_counter() - start:.0f} s in all")
