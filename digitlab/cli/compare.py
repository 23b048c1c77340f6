"""`digitlab compare`: cross-validate several models, run sweeps, write one HTML report."""

from __future__ import annotations

import sys

from digitlab.cli.common import add_data_flags, int_at_least, print_json


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "compare", help="cross-validate models side by side; sweeps of k, width and depth",
        description="Stratified k-fold cross-validation of several models on the same folds, "
                    "a table of mean ± std accuracy, fit/predict time and size, optional sweeps, "
                    "and a self-contained HTML report with conclusions drawn from the numbers.")
    add_data_flags(p)
    p.add_argument("--models", default=None,
                   help="comma-separated model names (default knn,logreg,svm,forest,sk-mlp,mlp,cnn "
                        "when no --sweep is given)")
    p.add_argument("--sweep", dest="sweeps", default=None, metavar="NAME[,NAME]",
                   help="knn-k (k = 1..10), width (one hidden layer of 8..256), depth (1-3 hidden "
                        "layers, 6 folds), or all")
    p.add_argument("--cv", type=int, default=4, help="number of folds (default 4)")
    p.add_argument("--seed", type=int, default=0, help="seed of the folds and the models (default 0)")
    p.add_argument("--subsample", type=int_at_least(1), default=None, metavar="N",
                   help="cross-validate on N train images (stratified), e.g. for mnist")
    p.add_argument("--n-jobs", type=int, default=-1,
                   help="folds fitted in parallel here (default -1: all cores; with --scheduler every "
                        "worker thread of the cluster takes folds)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="fit the folds on a running Dask cluster, e.g. tcp://10.0.0.5:8786 "
                        "(needs 'digitlab[cluster]'; default: local processes)")
    p.add_argument("--engine", default="numpy", help="engine of the networks mlp/cnn (default numpy)")
    p.add_argument("--param", action="append", default=[], metavar="MODEL.NAME=VALUE",
                   help="a model's parameter, e.g. --param mlp.max_iter=60 --param knn.n_neighbors=5 "
                        "(repeatable)")
    p.add_argument("-o", "--output", default="compare-report.html",
                   help="where the HTML report goes (default compare-report.html)")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.set_defaults(func=run)


def run(dataset, data_dir, models, sweeps, cv, seed, subsample, n_jobs, scheduler, engine, param, output,
        json):
    from digitlab.evaluate import conclusions
    from digitlab.evaluate.compare import DEFAULT_MODELS, format_table
    from digitlab.evaluate.comparison import run_comparison
    from digitlab.evaluate.sweeps import parse_sweeps
    from digitlab.files import write_text
    from digitlab.models import model_names
    from digitlab.report.compare_report import build_compare_report

    sweep_names = parse_sweeps(sweeps)
    if models is None and not sweep_names:
        available = set(model_names(engine))
        models = ",".join(m for m in DEFAULT_MODELS if m in available)
    log = None if json else (lambda msg: print(msg, file=sys.stderr))
    result = run_comparison(dataset=dataset, models=models, sweeps=sweep_names, cv=cv, seed=seed,
                            subsample=subsample, data_dir=data_dir, n_jobs=n_jobs, engine=engine,
                            params=model_params(param), log=log, scheduler=scheduler)
    result["conclusions"] = {"models": conclusions.models(result["models"]) if result["models"] else [],
                             **{s["name"]: conclusions.sweep(s) for s in result["sweeps"]}}
    write_text(output, build_compare_report(result))
    result["report"] = str(output)
    if json:
        print_json(result)
        return 0
    settings = result["settings"]
    print(f"{settings['dataset']}: {settings['n_images']:,} train images, "
          f"stratified {settings['cv']}-fold cross-validation, seed {settings['seed']}")
    if result["models"]:
        print("\n" + format_table(result["models"]))
        print("".join(f"\n- {line}" for line in result["conclusions"]["models"]))
    for sweep in result["sweeps"]:
        print(f"\n{sweep['title']} ({sweep['cv']} folds)")
        print(format_table(sweep["rows"], order="given"))
        print("".join(f"\n- {line}" for line in result["conclusions"][sweep["name"]]))
    print(f"\nreport: {output}  ({settings['wall_seconds']:.1f} s)")
    return 0


def model_params(pairs: list[str]) -> dict:
    """['mlp.max_iter=60', 'knn.n_neighbors=5'] -> {'mlp': {'max_iter': 60}, 'knn': {'n_neighbors': 5}}"""
    from digitlab.cli.train import parse_params
    from digitlab.errors import DigitlabError

    out = {}
    for pair in pairs:
        model, dot, rest = pair.partition(".")
        if not dot or not model or "=" not in rest:
            raise DigitlabError(f"--param expects MODEL.NAME=VALUE, e.g. mlp.max_iter=60; got {pair!r}")
        out.setdefault(model, {}).update(parse_params([rest]))
    return out
