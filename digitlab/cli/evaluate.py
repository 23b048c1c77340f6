"""`digitlab evaluate`: score a saved model on another split or dataset."""

from __future__ import annotations

from digitlab.cli.common import add_data_flags, print_json


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("evaluate", help="score a saved model (run folder, .npz or weights folder)")
    p.add_argument("model_path", metavar="RUN_OR_MODEL",
                   help="a run folder, a model .npz, or a folder of W1.npy, b1.npy, ...")
    add_data_flags(p)
    p.add_argument("--split", choices=("test", "train"), default="test", help="which split (default test)")
    p.add_argument("--trust", action="store_true",
                   help="allow a model file that holds pickled scikit-learn objects (runs code: trusted files only)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(model_path, dataset, data_dir, split, trust, json):
    from digitlab.evaluate.metrics import format_metrics
    from digitlab.evaluate.scoring import evaluate

    result = evaluate(model_path, dataset=dataset, data_dir=data_dir, split=split, trust=trust)
    if json:
        print_json(result)
    else:
        print(f"{result['model']} on {result['dataset']} ({split} split)")
        print(format_metrics(result))
    return 0
