"""Run reports (a first, minimal version: metrics only)."""

from __future__ import annotations

import html
import json
from pathlib import Path

from digitlab.files import write_text
from digitlab.metrics import format_metrics


def write_run_report(run_dir) -> Path:
    run_dir = Path(run_dir)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    settings = json.loads((run_dir / "settings.json").read_text())
    body = html.escape(format_metrics(metrics["test"]))
    page = (f"<!doctype html><meta charset=utf-8><title>digitlab run</title>"
            f"<h1>{html.escape(settings['model'])} on {html.escape(settings['dataset'])}</h1>"
            f"<pre>{body}</pre>")
    return write_text(run_dir / "report.html", page)
