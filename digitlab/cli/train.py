"""`digitlab train`: fit a model, print its scores, write a run folder."""

from __future__ import annotations

import sys

from digitlab.cli.common import add_data_flags, int_at_least, print_json
from digitlab.cli.network_flags import add_network_flags, network_params
from digitlab.errors import DigitlabError


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
    p.add_argument("--quiet", action="store_true", help="no progress bar or per-epoch lines")
    add_network_flags(p)
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="any other estimator parameter, e.g. --param n_neighbors=5 (repeatable)")
    p.set_defaults(func=run)


def run(dataset, data_dir, model, engine, seed, subsample, runs_dir, run_name, json, param, quiet, **flags):
    from digitlab.evaluate.metrics import format_metrics
    from digitlab.evaluate.runs import train
    from digitlab.models import model_engine

    own = model_engine(model, engine) != "sklearn"  # a baseline's settings are scikit-learn's to check
    params = network_params(flags, engine) if own else {k: v for k, v in flags.items() if v is not None}
    if own and not quiet:
        params["verbose"] = 1
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
