"""A run's and a comparison's results as they show themselves in a notebook.

`train` returns a `RunResult` and `run_comparison` a `ComparisonResult`: plain
dicts (so `--json` prints them unchanged) that a notebook draws as a small HTML
table through `_repr_html_`. Every piece of text is escaped.
"""

from __future__ import annotations

from html import escape

from digitlab.evaluate.compare import summary

STYLE = "border-collapse:collapse;font-family:sans-serif;font-size:0.9em"
CELL = "style='padding:2px 8px;border-bottom:1px solid #ddd;text-align:right'"


class RunResult(dict):
    """{"run": folder, "settings": {...}, "metrics": {...}} of one training run."""

    def _repr_html_(self) -> str:
        settings, metrics = self["settings"], self.get("metrics")
        title = f"{settings.get('model')} on {settings.get('dataset_name') or settings.get('dataset')}"
        if not metrics:
            return f"<p>{escape(title)}: trained (scored by rank 0)</p>"
        params = "-" if metrics.get("n_params") is None else f"{metrics['n_params']:,}"
        rows = [("test accuracy", f"{metrics['test']['accuracy']:.4f}"),
                ("train accuracy", f"{metrics['train']['accuracy']:.4f}"),
                ("fit", f"{metrics['fit_seconds']:.2f} s"),
                ("predict", f"{metrics['predict_images_per_second']:,.0f} images/s"),
                ("parameters", params),
                ("run folder", str(self.get("run")))]
        body = "".join(f"<tr><th {CELL}>{escape(k)}</th><td {CELL}>{escape(v)}</td></tr>" for k, v in rows)
        return f"<table style='{STYLE}'><caption>{escape(title)}</caption>{body}</table>"


class ComparisonResult(dict):
    """{"settings": {...}, "models": [row, ...], "sweeps": [...]} of one comparison."""

    def _repr_html_(self) -> str:
        settings = self["settings"]
        head = (f"{settings['dataset']}: {settings['n_images']:,} images, stratified "
                f"{settings['cv']}-fold cross-validation, seed {settings['seed']}; folds ran "
                f"{settings['n_jobs_text']} ({settings['wall_seconds']:.1f} s)")
        tables = [rows_table("models", self["models"], best_first=True)] if self["models"] else []
        tables += [rows_table(f"{s['title']} ({s['cv']} folds)", s["rows"]) for s in self["sweeps"]]
        return f"<div><p style='font-family:sans-serif'>{escape(head)}</p>{''.join(tables)}</div>"


def rows_table(caption: str, rows: list[dict], best_first: bool = False) -> str:
    """Result rows as mean ± std test and train accuracy, fit seconds and parameters."""
    stats = [summary(r) for r in rows]
    if best_first:
        stats.sort(key=lambda s: -s["test_mean"])
    header = ("model", "test accuracy", "train accuracy", "fit s", "params")
    lines = [f"<tr>{''.join(f'<th {CELL}>{h}</th>' for h in header)}</tr>"]
    for s in stats:
        cells = (s["label"], f"{s['test_mean']:.4f} ± {s['test_std']:.4f}",
                 f"{s['train_mean']:.4f} ± {s['train_std']:.4f}", f"{s['fit_mean']:.2f}",
                 "-" if s["n_params"] is None else f"{s['n_params']:,}")
        lines.append(f"<tr>{''.join(f'<td {CELL}>{escape(str(c))}</td>' for c in cells)}</tr>")
    return f"<table style='{STYLE}'><caption>{escape(caption)}</caption>{''.join(lines)}</table>"
