"""Figures of a robustness card (matplotlib object API, headless)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from digitlab.report.figures import bare_axes, mosaic

CLEAN, HELD, TRAINABLE, WRONG = "#55a868", "#c44e52", "#4c72b0", "#d62728"


def family_bars(card: dict) -> Figure:
    """Mean accuracy per family (one bar each), the clean figure as a bar of its own on top."""
    labels = ["clean"] + list(card["families"])
    values = np.array([card["clean"]] + list(card["families"].values())) * 100
    y = np.arange(len(labels))[::-1]  # clean on top
    fig = Figure(figsize=(8, 0.42 * len(labels) + 1.0))
    ax = fig.subplots()
    ax.barh(y, values, color=[CLEAN] + [TRAINABLE] * (len(labels) - 1))
    ax.axvline(card["clean"] * 100, color=CLEAN, linestyle="--", linewidth=1)
    for yi, value in zip(y, values):
        ax.text(min(value, 100) + 0.5, yi, f"{value:.1f}", va="center", fontsize=9)
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 108)
    ax.set_xlabel("accuracy (%), mean over the family's corruptions and severities")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def corruption_bars(card: dict) -> Figure:
    """Mean accuracy per corruption, grouped by family; held-out corruptions in their own colour."""
    rows = card["corruptions"]
    names = list(rows)
    y = np.arange(len(names))[::-1]
    values = np.array([rows[n]["mean"] for n in names]) * 100
    fig = Figure(figsize=(8, 0.3 * len(names) + 1.2))
    ax = fig.subplots()
    ax.barh(y, values, color=[HELD if rows[n]["held_out"] else TRAINABLE for n in names])
    ax.axvline(card["clean"] * 100, color=CLEAN, linestyle="--", linewidth=1,
               label=f"clean {card['clean']:.1%}")
    ax.set_yticks(y, [f"{n} ({rows[n]['family']})" for n in names], fontsize=9)
    ax.set_xlim(0, 101)
    ax.set_xlabel("accuracy (%), mean over severities")
    ax.grid(axis="x", alpha=0.3)
    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(color=HELD, label="held out from training"),
                Patch(color=TRAINABLE, label="may be trained on")]
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False,
              fontsize=9)
    fig.tight_layout()
    return fig


def example_grid(images: np.ndarray, predicted: np.ndarray, labels: np.ndarray,
                 row_names: list[str]) -> Figure:
    """The same digits (columns) clean and at each severity (rows), each with the model's answer.

    images uint8 (rows, k, 28, 28); predicted (rows, k); labels (k,). Wrong answers in red.
    """
    rows, k, h, w = images.shape
    pad = 4
    fig = Figure(figsize=(k * 0.62 + 0.9, rows * 0.72 + 0.1))
    ax = fig.subplots()
    ax.imshow(mosaic(images.reshape(-1, h, w).astype(np.float32), k, pad, fill=255),
              cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    for (r, c), guess in np.ndenumerate(predicted):
        ax.text(c * (w + pad) + w - 1, r * (h + pad) + h - 1, str(guess), ha="right", va="bottom",
                fontsize=7, fontweight="bold", color=WRONG if guess != labels[c] else "#7fd17f")
    ax.set_yticks([r * (h + pad) + h / 2 for r in range(rows)], row_names, fontsize=9)
    bare_axes(ax)
    fig.tight_layout(pad=0.2)
    return fig
