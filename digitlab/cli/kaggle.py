"""`digitlab kaggle`: Kaggle's Digit Recognizer, train.csv + test.csv -> submission.csv."""

from __future__ import annotations

import sys

from digitlab.cli.common import print_json


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "kaggle", help="train on Kaggle's train.csv (or load a model), write submission.csv for test.csv",
        description="Kaggle Digit Recognizer: train a model on train.csv (or take a saved one with --model), "
                    "predict every row of test.csv and write ImageId,Label with ids from 1. The submission "
                    "is checked before it is written, atomically.")
    p.add_argument("--train", default=None, help="Kaggle train.csv (label,pixel0..pixel783); needed to train")
    p.add_argument("--test", required=True, help="Kaggle test.csv (pixel0..pixel783)")
    p.add_argument("-o", "--output", default="submission.csv", help="where to write (default submission.csv)")
    p.add_argument("--model", default="mlp",
                   help="a model name to train (mlp (default), cnn, knn, seed-two-layer, ...) or a saved "
                        "model: a model .npz, a run folder, or a folder of W1.npy, b1.npy, ...")
    p.add_argument("--engine", default="numpy", help="numpy (default), torch or keras, for networks")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (networks)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="any other estimator parameter, e.g. --param batch_size=64 (repeatable)")
    p.add_argument("--save-model", default=None, metavar="PATH",
                   help="also save the trained model: a .npz file, or a folder for W1.npy, b1.npy, ...")
    p.add_argument("--trust", action="store_true",
                   help="allow a model file that holds pickled scikit-learn objects "
                        "(runs code: trusted files only)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(train, test, output, model, engine, seed, epochs, param, save_model, trust, json):
    from digitlab.cli.train import parse_params
    from digitlab.evaluate.kaggle import make_submission

    params = parse_params(param)
    if epochs is not None:
        params["max_iter"] = epochs
    log = (lambda *a: None) if json else (lambda msg: print(msg, file=sys.stderr))
    summary = make_submission(test, output, train=train, model=model, engine=engine, params=params,
                              seed=seed, trust=trust, save_model=save_model, log=log)
    if json:
        print_json(summary)
        return 0
    if "train_accuracy" in summary:
        print(f"train accuracy {summary['train_accuracy']:.4f} on {summary['train_rows']} rows   "
              f"fit {summary['fit_seconds']:.1f} s")
    if "test_accuracy" in summary:
        print(f"test accuracy {summary['test_accuracy']:.4f} (the test file has labels)")
    if "saved_model" in summary:
        print(f"model saved to {summary['saved_model']}")
    print(f"wrote {summary['rows']} predictions to {summary['output']}")
    return 0
