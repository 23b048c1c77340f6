"""`digitlab train`: fit a model, print its scores, write a run folder."""

from __future__ import annotations

import sys

from digitlab.cli.common import add_data_flags, int_at_least, int_list, print_json
from digitlab.errors import DigitlabError

# flag -> estimator keyword argument (scikit-learn's names, as every model uses them)
NETWORK_FLAGS = {
    "hidden": "hidden_layer_sizes",
    "activation": "activation",
    "epochs": "max_iter",
    "batch_size": "batch_size",
    "lr": "learning_rate_init",
    "solver": "solver",
    "alpha": "alpha",
    "dropout": "dropout",
    # torch settings (--engine torch)
    "channels": "channels",
    "device": "device",
    "augment": "augment",
    "label_smoothing": "label_smoothing",
    "schedule": "schedule",
    "checkpoint": "checkpoint",
    "resume": "resume",
    "nproc": "nproc",
}


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("train", help="train a model, print its scores, write runs/<name>/",
                              description="Train a model on a dataset's train split, score it on its "
                                          "test split, and write a run folder with a report.")
    add_data_flags(p)
    p.add_argument("--model", default="knn", help="knn, logreg, svm, forest, sk-mlp, mlp, cnn, lenet5, a "
                                                  "preset, or an architecture .json file (default knn)")
    p.add_argument("--engine", default="numpy", help="numpy (default), torch or keras, for networks")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--subsample", type=int_at_least(1), default=None, metavar="N",
                   help="train on N images (stratified) instead of the whole train split")
    p.add_argument("--runs-dir", default="runs", help="where run folders go (default runs/)")
    p.add_argument("--name", dest="run_name", default=None, help="run folder name (default dataset-model-time)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    nets = p.add_argument_group("network settings (mlp, cnn, presets)")
    nets.add_argument("--hidden", type=int_list, help="hidden layer sizes, e.g. 128,64,32")
    nets.add_argument("--activation", help="relu, leaky_relu, sigmoid or tanh")
    nets.add_argument("--epochs", type=int, help="training epochs")
    nets.add_argument("--batch-size", type=int, help="mini-batch size")
    nets.add_argument("--lr", type=float, help="initial learning rate")
    nets.add_argument("--solver", help="sgd, momentum, nesterov, adam or adamw")
    nets.add_argument("--alpha", type=float, help="L2 weight decay")
    nets.add_argument("--dropout", type=float, help="dropout rate")
    torch_flags = p.add_argument_group("torch settings (--engine torch)")
    torch_flags.add_argument("--channels", type=int_list, help="conv channels per stage, e.g. 32,64")
    torch_flags.add_argument("--device", help="auto (cuda, then mps, then cpu; default), cpu, cuda, cuda:N or mps")
    torch_flags.add_argument("--augment", help="none, affine (rotate, shift, scale, shear), elastic, or robust "
                             "(affine plus pen width, blur, contrast, paper, lines, blots, noise)")
    torch_flags.add_argument("--label-smoothing", type=float, help="label smoothing in [0, 1)")
    torch_flags.add_argument("--schedule", help="onecycle (default), cosine or constant")
    torch_flags.add_argument("--checkpoint", metavar="PATH", help="write a checkpoint here after every epoch")
    torch_flags.add_argument("--resume", action="store_true", default=None,
                             help="continue from --checkpoint (the same result as an uninterrupted run)")
    torch_flags.add_argument("--nproc", type=int, help="train in N processes (DistributedDataParallel)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="any other estimator parameter, e.g. --param n_neighbors=5 (repeatable)")
    p.set_defaults(func=run)


def run(dataset, data_dir, model, engine, seed, subsample, runs_dir, run_name, json, param, **flags):
    from digitlab.evaluate.metrics import format_metrics
    from digitlab.evaluate.runs import train

    params = {NETWORK_FLAGS[flag]: value for flag, value in flags.items() if value is not None}
    params.update(parse_params(param))
    log = (lambda *a: None) if json else (lambda msg: print(msg, file=sys.stderr))
    summary = train(dataset=dataset, model=model, engine=engine, data_dir=data_dir, seed=seed,
                    subsample=subsample, runs_dir=runs_dir, run_name=run_name, params=params, log=log)
    if summary["run"] is None:  # a torchrun worker other than rank 0: rank 0 reports
        return 0
    if json:
        print_json(summary)
        return 0
    metrics = summary["metrics"]
    print(format_metrics(metrics["test"]))
    print(f"\ntrain accuracy {metrics['train']['accuracy']:.4f}   "
          f"fit {metrics['fit_seconds']:.2f} s   predict {metrics['predict_images_per_second']:,.0f} images/s")
    print(f"run folder: {summary['run']}  (report: {summary['run']}/report.html)")
    return 0


def parse_params(pairs: list[str]) -> dict:
    """['n_neighbors=5', 'weights=uniform'] -> {'n_neighbors': 5, 'weights': 'uniform'}"""
    import json as _json

    params = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise DigitlabError(f"--param expects NAME=VALUE, got {pair!r}")
        try:
            params[name] = _json.loads(text)
        except (ValueError, RecursionError):  # not JSON: the text itself
            params[name] = text
    return params
