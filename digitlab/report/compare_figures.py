"""Figures of a model comparison and of sweeps (matplotlib object API, headless)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

TRAIN, TEST = "#4c72b0", "#dd8452"


def model_accuracy(stats: list[dict]) -> Figure:
    """Horizontal bars of mean test accuracy (± std over folds), train accuracy as a marker."""
    stats = sorted(stats, key=lambda s: s["test_mean"])
    y = np.arange(len(stats))
    fig = Figure(figsize=(9, 0.5 * len(stats) + 1.4))
    ax = fig.subplots()
    test = np.array([s["test_mean"] for s in stats]) * 100
    ax.barh(y, test, xerr=[s["test_std"] * 100 for s in stats], color=TEST, capsize=3,
            label="test (held-out folds), mean ± std")
    ax.plot([s["train_mean"] * 100 for s in stats], y, "D", color=TRAIN, zorder=5, label="train (fitted folds)")
    low = max(0.0, min(test.min(), min(s["train_mean"] * 100 for s in stats)) - 4)
    for yi, value in zip(y, test):  # the value inside its bar, clear of the error bar and the diamond
        ax.text(low + 0.3, yi, f"{value:.2f}", va="center", ha="left", fontsize=9, color="white",
                fontweight="bold")
    ax.set_yticks(y, [s["label"] for s in stats])
    ax.set_xlim(low, 101)  # zoomed: the differences that matter are a few points
    ax.set_xlabel("accuracy (%)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def model_times(stats: list[dict]) -> Figure:
    """Fit and predict seconds per fold, log scale, so k-NN and a CNN fit on one chart."""
    stats = sorted(stats, key=lambda s: s["fit_mean"])
    y = np.arange(len(stats))
    fig = Figure(figsize=(9, 0.45 * len(stats) + 1.3))
    ax = fig.subplots()
    ax.barh(y - 0.2, [max(s["fit_mean"], 1e-4) for s in stats], 0.4, color="#55a868", label="fit")
    ax.barh(y + 0.2, [max(s["predict_mean"], 1e-4) for s in stats], 0.4, color="#8172b3",
            label="predict held-out fold")
    ax.set_xscale("log")
    ax.set_yticks(y, [s["label"] for s in stats])
    ax.set_xlabel("seconds per fold (log scale)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def sweep_curve(stats: list[dict], values: list[str], setting: str, title: str, connect: bool = True) -> Figure:
    """Train and test accuracy (mean ± std over folds) at each point of a sweep.

    connect=False for points that are not an ordered scale (e.g. differently shaped networks):
    markers with error bars, no line between them.
    """
    x = np.arange(len(values))
    fig = Figure(figsize=(8, 3.8))
    ax = fig.subplots()
    for key, label, color, marker in (("train", "train (fitted folds)", TRAIN, "o"),
                                      ("test", "test (held-out folds)", TEST, "s")):
        mean = np.array([s[f"{key}_mean"] for s in stats]) * 100
        std = np.array([s[f"{key}_std"] for s in stats]) * 100
        if connect:
            ax.plot(x, mean, marker=marker, color=color, label=label)
            ax.fill_between(x, mean - std, mean + std, color=color, alpha=0.2)
        else:
            ax.errorbar(x, mean, yerr=std, fmt=marker, color=color, capsize=4, label=label)
    ax.set_xticks(x, values, rotation=20 if max(map(len, values)) > 6 else 0)
    ax.set_xlabel(setting), ax.set_ylabel("accuracy (%)"), ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig
