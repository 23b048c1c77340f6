"""Reports: one self-contained HTML file per training run, and one per comparison.

`write_run_report(run_dir)` is called by every training run (see `runs.py`)
and by `digitlab report RUN`; it reads the run folder and never trains.
"""

from __future__ import annotations

from pathlib import Path

from digitlab.files import write_text


def write_run_report(run_dir, data_dir=None) -> Path:
    """Write `run_dir/report.html` from the run folder's files; return its path.

    `data_dir` helps reload a downloaded dataset's train split for the
    samples and class-balance figures (the test split stands in otherwise).
    """
    from digitlab.report.run_report import build_run_report

    run_dir = Path(run_dir)
    return write_text(run_dir / "report.html", build_run_report(run_dir, data_dir=data_dir))
