"""`digitlab report RUN`: rebuild a run folder's report.html from its files, without retraining."""

from __future__ import annotations


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("report", help="rebuild RUN/report.html from a run folder (no retraining)",
                              description="Rebuild the self-contained HTML report of a training run "
                                          "from its run folder: figures, scores, mistakes, weights.")
    p.add_argument("run_dir", metavar="RUN", help="a run folder written by `digitlab train`")
    p.add_argument("--data-dir", default=None,
                   help="where the run's dataset is kept, to show its train images (default: the cache)")
    p.set_defaults(func=run)


def run(run_dir, data_dir):
    from pathlib import Path

    from digitlab.errors import DigitlabError
    from digitlab.report import write_run_report

    if not Path(run_dir).is_dir():
        raise DigitlabError(f"{run_dir}: no such run folder")
    path = write_run_report(run_dir, data_dir=data_dir)
    print(f"report: {path}")
    return 0
