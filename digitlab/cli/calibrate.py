"""`digitlab calibrate`: fit a model's temperature and "unsure" rule on held-out MNIST digits."""

from __future__ import annotations

from dataclasses import replace


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "calibrate", help="fit how sure a model may claim to be (every shipped model, or --model)",
        description="Fit temperature scaling and the 'unsure' line on MNIST test[0:5000] (the reading "
                    "benchmarks use test[5000:]); writes <model>.calibration.json beside the model.")
    p.add_argument("--data-dir", default=None, help="folder with the MNIST IDX files")
    p.add_argument("--model", default=None, help="calibrate this model file instead of the shipped ones")
    p.add_argument("--validation", default=None,
                   help="an .npz of validation model inputs, 'digits' and 'others' (written by "
                        "benchmarks/reading_digitness.py --validation-out), to fit the digit score; "
                        "without it, \"unsure\" falls back to the calibrated probability")
    p.add_argument("--trust", action="store_true",
                   help="allow a model file that holds pickled scikit-learn objects (runs code: trusted files only)")
    p.set_defaults(func=run)


def run(data_dir, model, validation, trust):
    from digitlab.read import calibration as cal
    from digitlab.read.reader import Reader, shipped_model_names

    checks = cal.load_validation(validation) if validation else None
    targets = [(model, cal.calibration_beside(model))] if model else \
        [(name, cal.calibration_path(name)) for name in shipped_model_names()]
    readers = [(name, Reader.load(name, trust=trust, calibration=False), path) for name, path in targets]
    images, labels = _held_out_mnist(data_dir)  # after the models: a bad model file is named first
    held_out = f"MNIST test[{cal.HELD_OUT.start}:{cal.HELD_OUT.stop}] ({len(labels)} images) through digitlab.preprocess"
    for name, reader, path in readers:
        fitted = cal.calibrate_reader(reader, images, labels, held_out)
        if checks is not None:
            fitted = replace(fitted, **cal.reject_rule_for(reader, *checks))
        cal.save_calibration(fitted, path)
        rule = "no digit score" if fitted.reject_below is None else \
            f"digit score weight {fitted.reject_weight:g}, unsure below {fitted.reject_below:.3f}"
        print(f"{name}: T={fitted.temperature:.3f} ECE {fitted.ece_before:.4f} -> {fitted.ece_after:.4f} "
              f"unsure below {fitted.unsure_below:.3f}; {rule} -> {path}")
    return 0


def _held_out_mnist(data_dir):
    from digitlab.data import load_dataset
    from digitlab.read.calibration import HELD_OUT

    data = load_dataset("mnist", data_dir=data_dir, download=False)
    return data.test.images[HELD_OUT], data.test.labels[HELD_OUT]
