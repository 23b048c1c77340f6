"""The comparison report: one table, sweeps, and conclusions, as one HTML page."""

from __future__ import annotations

import json

from digitlab.evaluate import conclusions
from digitlab.evaluate.compare import summary
from digitlab.report import compare_figures as figs
from digitlab.report.html import details, esc, figure, page, paragraph, section, table

HEADER = ["model", "test accuracy", "± std", "train accuracy", "± std", "fit s / fold",
          "predict s / fold", "images / s", "parameters"]


def stats_rows(rows: list[dict]) -> list[list]:
    """Table rows (best test accuracy first) with the numbers shown in the report."""
    ranked = sorted((summary(r) for r in rows), key=lambda s: -s["test_mean"])
    return [[s["label"], f"{s['test_mean']:.4f}", f"{s['test_std']:.4f}", f"{s['train_mean']:.4f}",
             f"{s['train_std']:.4f}", f"{s['fit_mean']:.3f}", f"{s['predict_mean']:.4f}",
             f"{s['predict_images_per_second']:,.0f}", "-" if s["n_params"] is None else f"{s['n_params']:,}"]
            for s in ranked]


def build_compare_report(result: dict) -> str:
    """`result` is what `digitlab.cli.compare` computes: settings, model rows, sweeps."""
    settings = result["settings"]
    sections = []
    if result.get("models"):
        sections.append(_models_section(result["models"], settings))
    for sweep in result.get("sweeps", []):
        sections.append(_sweep_section(sweep))
    sections.append(_settings_section(settings))
    title = f"Model comparison on {settings['dataset']}"
    sub = (f"{settings['n_images']:,} train images ({settings['image_shape'][0]}x"
           f"{settings['image_shape'][1]}), stratified {settings['cv']}-fold cross-validation, seed "
           f"{settings['seed']}")
    return page(title, sub, sections)


def _models_section(rows: list[dict], settings: dict) -> str:
    stats = [summary(r) for r in rows]
    text = "".join(f"<li>{esc(line)}</li>" for line in conclusions.models(rows))
    return section(
        "Models", f"<ul id='conclusions-models'>{text}</ul>",
        table("models", HEADER, stats_rows(rows), highlight=0),
        paragraph("Accuracy is the share of held-out (test) or fitted (train) fold images classified "
                  "correctly, mean and standard deviation over the folds. Parameters: learned numbers "
                  "(for k-NN the stored pixels, for a forest its tree nodes, for an SVM its support "
                  "vectors and their weights)."),
        figure("models", figs.model_accuracy(stats),
               "Mean test accuracy per model with its spread over folds; diamonds: train accuracy."),
        figure("times", figs.model_times(stats),
               f"Seconds per fold to fit and to predict the held-out fold (folds ran "
               f"{settings['n_jobs_text']})."),
        anchor="models")


def _sweep_section(sweep: dict) -> str:
    stats = [summary(r) for r in sweep["rows"]]
    rows = [[v, f"{s['test_mean']:.4f}", f"{s['test_std']:.4f}", f"{s['train_mean']:.4f}",
             f"{s['train_std']:.4f}", f"{s['train_mean'] - s['test_mean']:.4f}", f"{s['fit_mean']:.3f}",
             "-" if s["n_params"] is None else f"{s['n_params']:,}"]
            for v, s in zip(sweep["values"], stats)]
    text = "".join(f"<li>{esc(line)}</li>" for line in conclusions.sweep(sweep))
    key = f"sweep-{sweep['name']}"
    return section(
        sweep["title"], f"<ul id='conclusions-{key}'>{text}</ul>",
        figure(key, figs.sweep_curve(stats, sweep["values"], sweep["setting"], sweep["title"],
                                        connect=sweep["name"] != "depth"),
               f"Train and test accuracy, mean ± std over {sweep['cv']} folds. "
               "Where the curves part, the model is memorising rather than generalising."),
        table(key, [sweep["setting"], "test accuracy", "± std", "train accuracy", "± std",
                    "train − test", "fit s / fold", "parameters"], rows),
        details("each point's model and parameters", table(
            f"{key}-params", [sweep["setting"], "model", "parameters"],
            [[v, r["model"], json.dumps(r["params"])] for v, r in zip(sweep["values"], sweep["rows"])], left=3)),
        anchor=key)


def _settings_section(settings: dict) -> str:
    rows = [[k, json.dumps(v) if isinstance(v, (list, dict)) else v] for k, v in settings.items()]
    return section("Settings", table("settings", ["setting", "value"], rows, left=2),
                   paragraph("Times are wall-clock seconds on the machine named above; with folds "
                             "running in parallel they include contention between workers."))

