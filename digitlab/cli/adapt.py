"""`digitlab adapt`: fine-tune a model on a person's own digits (folders or web-page corrections)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from digitlab.cli.common import print_json
from digitlab.errors import DigitlabError

MNIST_TEST_SEED = 0  # the same subset of MNIST test before and after, and from run to run
CALIBRATION_DIGITS = 2000  # MNIST test[0:2000], inside the calibration's held-out half, refits the copy's confidence


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("adapt", help="learn a person's handwriting from a few labelled examples")
    p.add_argument("model", metavar="MODEL", help="a model .npz, run folder or shipped model name")
    p.add_argument("--examples", action="append", required=True, metavar="PATH",
                   help="a folder with sub-folders 0-9 or a labels.csv (file,label), or a corrections "
                        "database from `digitlab serve`; repeat for several")
    p.add_argument("-o", "--output", required=True, metavar="OUT.npz", help="the adapted model file to write")
    p.add_argument("--epochs", type=int, default=10, help="passes over the examples and replayed digits (default 10)")
    p.add_argument("--lr", type=float, default=1e-3, help="initial learning rate, cosine to 0 (default 0.001)")
    p.add_argument("--seed", type=int, default=0, help="the held-out draw, the warps and the replayed digits")
    p.add_argument("--holdout", type=float, default=0.2,
                   help="share of each class's examples kept out of training to score before and after (default 0.2)")
    p.add_argument("--replay", type=int, default=1000,
                   help="MNIST training digits mixed in so the model keeps reading everyone else (default 1000)")
    p.add_argument("--mnist-test", type=int, default=2000,
                   help="MNIST test digits scored before and after (a fixed draw; 10000 = all; 0 = none)")
    p.add_argument("--data-dir", default=None,
                   help="where MNIST files are cached or kept (default $DIGITLAB_DATA or ~/.cache/digitlab)")
    p.add_argument("--engine", choices=("auto", "numpy", "torch"), default="auto",
                   help="what runs the frozen layers' pass (the costly part): auto = torch for a "
                        "torch-trained model when torch is installed, else numpy; the head learns in numpy")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def run(model, examples, output, epochs, lr, seed, holdout, replay, mnist_test, data_dir, engine, json):
    import numpy as np

    from digitlab.evaluate.adapt import AdaptSettings, adapt, can_adapt, hold_out, per_class
    from digitlab.models.modelfile import save_model
    from digitlab.read.calibration import calibration_beside, save_calibration
    from digitlab.read.examples import load_examples
    from digitlab.read.reader import Reader

    _check_numbers(epochs, lr, holdout, replay, mnist_test)
    if Path(output).is_dir():
        raise DigitlabError(f"{output}: is a folder; -o needs a file name such as mine.npz")
    reader = Reader.load(model)
    if not can_adapt(reader.model):
        raise DigitlabError(f"{model}: cannot adapt a {type(reader.model).__name__}: only networks can be "
                            "fine-tuned, not the scikit-learn baselines")
    found = load_examples(reader, examples)
    for note in found.skipped:
        print(f"digitlab: skipped {note}", file=sys.stderr)
    counts = per_class(found.labels, reader.classes)
    missing = [c for c, n in counts.items() if n == 0]
    if missing:
        print(f"digitlab: no examples of {', '.join(map(str, missing))}: adapting on the other digits",
              file=sys.stderr)
    rng = np.random.default_rng(seed)
    train, held = hold_out(found.labels, holdout, rng)
    scored = {"held-out examples": (found.images[held], found.labels[held])} if len(held) else {}
    replayed = calibration_digits = None
    if replay or mnist_test:
        replayed, test, calibration_digits = _mnist(data_dir, mnist_test)
        scored.update({"MNIST test": test} if mnist_test else {})
    settings = AdaptSettings(epochs=epochs, learning_rate=lr, replay=replay)
    engine = _engine(engine, reader.info)
    result = adapt(reader.model, found.images[train], found.labels[train], replayed if replay else None,
                   scored, settings, seed, engine)
    summary = {"model": reader.name, "output": str(output), "examples": [str(e) for e in examples],
               "n_examples": len(found.labels), "n_trained": len(train), "n_held_out": len(held),
               "per_class": counts, "skipped": found.skipped, "replayed": min(replay, 60000), "engine": engine,
               "seed": seed, "seconds": round(result.seconds, 2),
               "scores": {name: {"before": b, "after": a, "n": len(scored[name][1])}
                          for name, (b, a) in result.scores.items()}}
    calibration = _calibration(reader, result.model, calibration_digits)
    summary["calibration"] = str(calibration_beside(output))
    save_model(result.model, output, info=_card(reader, result, summary))
    save_calibration(calibration, summary["calibration"], fitted_with="digitlab adapt")
    if json:
        print_json(summary)
    else:
        _print_summary(summary, epochs)
    return 0


def _check_numbers(epochs, lr, holdout, replay, mnist_test):
    if epochs < 1:
        raise DigitlabError(f"--epochs must be at least 1, got {epochs}")
    if not lr > 0:
        raise DigitlabError(f"--lr must be above 0, got {lr}")
    if not 0 <= holdout < 1:
        raise DigitlabError(f"--holdout must be in [0, 1), got {holdout}")
    if replay < 0 or mnist_test < 0:
        raise DigitlabError("--replay and --mnist-test count digits: 0 or more")


def _engine(engine: str, info: dict) -> str:
    """auto: torch for a torch-trained model when torch is installed, else numpy."""
    if engine != "auto":
        return engine
    if info.get("trained_with") != "torch":
        return "numpy"
    try:
        import digitlab.torch_engine.inference  # noqa: F401  (imports torch)
    except ImportError:
        return "numpy"
    return "torch"


def _mnist(data_dir, n_test):
    """(MNIST train, a fixed draw of n_test MNIST test digits, the calibration's digits), each (images, labels)."""
    import numpy as np

    from digitlab.data import load_dataset

    mnist = load_dataset("mnist", data_dir=data_dir)
    n_test = min(n_test, len(mnist.test.labels))
    pick = np.sort(np.random.default_rng(MNIST_TEST_SEED).choice(len(mnist.test.labels), n_test, replace=False))
    calibration = slice(0, CALIBRATION_DIGITS)
    return ((mnist.train.images, mnist.train.labels), (mnist.test.images[pick], mnist.test.labels[pick]),
            (mnist.test.images[calibration], mnist.test.labels[calibration]))


def _calibration(reader, adapted, digits):
    """The adapted model's calibration (see `calibration.recalibrate`): refitted on MNIST test
    digits read by both models, or the original's as it is when no MNIST was loaded."""
    import numpy as np

    from digitlab.read.calibration import recalibrate
    from digitlab.read.digitness import digitness
    from digitlab.read.reader import Reader

    if digits is None:
        return reader.calibration
    images, labels = digits
    inputs = np.stack([reader.prepare(image).input for image in images])
    likeness = digitness(inputs) if reader.check_digitness else None
    held_out = f"MNIST test[0:{len(labels)}] ({len(labels)} images) through digitlab.preprocess"
    return recalibrate(reader.calibration, reader.raw_proba(inputs), Reader(adapted, reader.info).raw_proba(inputs),
                       reader.label_index(labels), likeness, held_out)


def _card(reader, result, summary) -> dict:
    """The adapted model's info: what it was adapted from and on, how, and the scores."""
    base = reader.info
    return {"name": Path(summary["output"]).stem, "input_shape": list(reader.shape), "classes": reader.classes,
            "dataset": base.get("dataset"), "trained_with": base.get("trained_with", "numpy"),
            "trained": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "adapted_from": {key: base.get(key) for key in ("name", "test_accuracy", "command", "trained_with")
                             if base.get(key) is not None} | {"name": reader.name},
            "adapted_on": {key: summary[key] for key in ("examples", "n_examples", "n_trained", "n_held_out",
                                                         "per_class", "skipped")},
            "adapt": {"settings": result.settings, "seed": summary["seed"], "engine": summary["engine"],
                      "seconds": summary["seconds"], "rows": result.n_rows, "scores": summary["scores"]},
            "history": result.history}


def _print_summary(s: dict, epochs: int) -> None:
    counts = " ".join(f"{c}:{n}" for c, n in s["per_class"].items())
    print(f"adapted {s['model']} on {s['n_trained']} examples ({counts}; {s['n_held_out']} held out), "
          f"{s['replayed']} MNIST digits replayed, {epochs} epochs in {s['seconds']:.1f} s ({s['engine']} engine)")
    if s["scores"]:
        print(f"{'':<24} {'before':>8} {'after':>8}")
    for name, score in s["scores"].items():
        print(f"{name + ' (' + str(score['n']) + ')':<24} {score['before']:8.2%} {score['after']:8.2%}")
    print(f"wrote {s['output']} and {s['calibration']}")
