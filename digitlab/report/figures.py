"""The run report's figures, each a pure function from arrays to a matplotlib Figure.

matplotlib's object API only (`Figure`, never pyplot), so nothing here touches
global state or needs a display; the report renders each figure to PNG.
Digits are drawn white-on-black as the models see them ("gray" colormap).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def mosaic(tiles: np.ndarray, columns: int, pad: int = 1, fill=0.0) -> np.ndarray:
    """Tiles (n, h, w) laid out `columns` per row, `pad` pixels of `fill` between them.

    One image drawn once is far faster than a grid of a hundred axes.
    """
    n, h, w = tiles.shape
    rows = max(1, -(-n // columns))
    out = np.full((rows * (h + pad) - pad, columns * (w + pad) - pad), fill, dtype=np.float32)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = tile
    return out


def samples_per_class(images: np.ndarray, labels: np.ndarray, per_class: int = 10, seed: int = 0) -> Figure:
    """One row per class, `per_class` random examples of it.  images uint8 (n, H, W)."""
    classes = np.unique(labels)
    rng = np.random.default_rng(seed)
    h, w = images.shape[1:]
    tiles = np.zeros((len(classes) * per_class, h, w), dtype=np.float32)
    for row, c in enumerate(classes):
        index = np.flatnonzero(labels == c)
        chosen = rng.choice(index, size=min(per_class, len(index)), replace=False)
        tiles[row * per_class:row * per_class + len(chosen)] = images[chosen]
    pad = max(1, h // 8)
    fig = Figure(figsize=(per_class * 0.6 + 0.6, len(classes) * 0.6 + 0.2))
    ax = fig.subplots()
    ax.imshow(mosaic(tiles, per_class, pad, fill=110), cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.set_yticks([r * (h + pad) + h / 2 - 0.5 for r in range(len(classes))], [str(c) for c in classes],
                  fontsize=12)
    bare_axes(ax)
    fig.tight_layout(pad=0.3)
    return fig


def class_balance(classes, train_counts, test_counts) -> Figure:
    """Side-by-side bars: images per class in the train and test splits."""
    fig = Figure(figsize=(8, 3.2))
    ax = fig.subplots()
    x = np.arange(len(classes))
    ax.bar(x - 0.2, train_counts, 0.4, label=f"train ({int(np.sum(train_counts)):,})", color="#4c72b0")
    ax.bar(x + 0.2, test_counts, 0.4, label=f"test ({int(np.sum(test_counts)):,})", color="#dd8452")
    ax.set_xticks(x, [str(c) for c in classes])
    ax.set_xlabel("class"), ax.set_ylabel("images")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)  # clear of the bars
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def learning_curves(history: list[dict]) -> Figure:
    """Loss and accuracy per epoch, training and validation side by side."""
    fig = Figure(figsize=(10, 3.6))
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = [h["epoch"] for h in history]
    for ax, key, name in ((ax_loss, "loss", "loss"), (ax_acc, "accuracy", "accuracy")):
        for prefix, label, style in (("", "train", "-o"), ("val_", "validation", "-s")):
            values = [h.get(prefix + key) for h in history]
            if any(v is not None for v in values):
                ys = [np.nan if v is None else v for v in values]
                ax.plot(epochs, ys, style, markersize=3, label=label)
        ax.set_xlabel("epoch"), ax.set_ylabel(name), ax.set_title(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.5
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def confusion_matrix(matrix, classes) -> Figure:
    """The confusion matrix with its counts written in each cell (rows true, columns predicted)."""
    matrix = np.asarray(matrix)
    n = len(classes)
    fig = Figure(figsize=(0.55 * n + 2.2, 0.5 * n + 1.6))
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    threshold = matrix.max() / 2 if matrix.size else 0
    for (i, j), value in np.ndenumerate(matrix):
        if value:
            ax.text(j, i, str(value), ha="center", va="center", fontsize=9,
                    color="white" if value > threshold else "black")
    ax.set_xticks(range(n), [str(c) for c in classes])
    ax.set_yticks(range(n), [str(c) for c in classes])
    ax.set_xlabel("predicted"), ax.set_ylabel("true")
    fig.colorbar(image, ax=ax, shrink=0.8)
    fig.tight_layout()
    return fig


def mistakes(images, true_labels, guesses, columns: int = 6) -> Figure:
    """The most confident mistakes: each digit with its true label and top-3 guesses.

    guesses : per image, a list of (class, probability), most likely first.
    """
    n = len(images)
    rows = max(1, -(-n // columns))
    fig = Figure(figsize=(columns * 1.75, rows * 2.25))
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes:
        ax.axis("off")
    for ax, image, true, top in zip(axes, images, true_labels, guesses):
        ax.imshow(image, cmap="gray", vmin=0, vmax=255)
        ax.set_title(f"true {true}", fontsize=10, color="#1a7f37", pad=3)
        lines = "\n".join(f"{c}: {p:.0%}" for c, p in top)
        ax.text(0.5, -0.04, lines, transform=ax.transAxes, ha="center", va="top", fontsize=9,
                color="#b00020", linespacing=1.1)
    fig.subplots_adjust(hspace=0.9, wspace=0.25, top=0.93, bottom=0.12, left=0.02, right=0.98)
    return fig


def weight_images(weights: np.ndarray, titles=None, columns: int = 10) -> Figure:
    """Tiles of learned weights, e.g. the first layer's (n_units, H, W).

    Each tile is scaled on its own, symmetrically around zero (blue negative,
    red positive), so a tile shows which pixels push its unit up or down.
    """
    weights = np.asarray(weights, dtype=np.float32)
    limits = np.abs(weights).reshape(len(weights), -1).max(axis=1)
    scaled = weights / np.where(limits > 0, limits, 1.0)[:, None, None]  # each tile in [-1, 1]
    n, h, w = weights.shape
    columns = min(columns, n)
    rows = -(-n // columns)
    pad = max(1, h // 6)
    fig = Figure(figsize=(columns * 0.9 + 0.2, rows * (1.15 if titles is not None else 0.9) + 0.2))
    ax = fig.subplots()
    image = mosaic(scaled, columns, pad, fill=np.nan)  # NaN gaps draw as the background
    ax.imshow(image, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    if titles is not None:
        for i, title in enumerate(titles):
            r, c = divmod(i, columns)
            ax.text(c * (w + pad) + w / 2 - 0.5, r * (h + pad) - 0.6, str(title), ha="center",
                    va="bottom", fontsize=9)
    ax.axis("off")
    fig.tight_layout(pad=0.3)
    return fig


def bare_axes(ax) -> None:
    """An image grid's axes: row labels only, no x ticks, tick marks or frame."""
    ax.set_xticks([])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
