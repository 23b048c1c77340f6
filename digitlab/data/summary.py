"""What a dataset looks like: numbers (`summarise`) and a picture (`sample_grid`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digitlab.data.dataset import Dataset, Split
from digitlab.errors import DigitlabError
from digitlab.files import atomic_path


def summarise(data: Dataset, source: str) -> dict:
    """Sizes, image shape, mean pixel (in [0, 1]) and class counts of each split.

    The mean pixel is the number MNIST tutorials normalise with (0.1307 for
    MNIST's train split); class counts show whether the classes are balanced.
    """
    splits = {"train": data.train, "test": data.test}
    stats = {name: _split_stats(split) for name, split in splits.items() if split is not None}
    labels = [s.labels for s in splits.values() if s is not None and s.labels is not None]
    classes = np.unique(np.concatenate(labels)).tolist() if labels else []
    return {
        "name": data.name,
        "source": source,
        "image_shape": list(data.image_shape),
        "classes": classes,
        "splits": stats,
    }


def _split_stats(split: Split) -> dict:
    counts = None
    if split.labels is not None:
        values, n = np.unique(split.labels, return_counts=True)
        counts = {str(v): int(c) for v, c in zip(values, n)}
    # uint8 summed in float64 chunks by numpy; no float copy of the whole split
    return {
        "n": len(split),
        "mean_pixel": float(split.images.mean(dtype=np.float64) / 255.0),
        "class_counts": counts,
    }


def sample_grid(split: Split, path: Path, n: int = 36, seed: int = 0, title: str = "") -> Path:
    """Save a grid of `n` random images (seeded), each titled with its label.

    Uses matplotlib's object API (`Figure`), never pyplot's global state.
    """
    from matplotlib.figure import Figure

    fmt = path.suffix.lower().lstrip(".")
    supported = Figure().canvas.get_supported_filetypes()
    if fmt not in supported:
        raise DigitlabError(
            f"{path}: cannot write .{fmt or '(none)'}; use one of "
            f"{', '.join('.' + f for f in ('png', 'svg', 'pdf', 'jpg'))}"
        )
    n = min(n, len(split))
    index = np.sort(np.random.default_rng(seed).choice(len(split), size=n, replace=False))
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    fig = Figure(figsize=(1.1 * cols, 1.25 * rows + 0.4), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, i in zip(axes.flat, index):
        ax.imshow(split.images[i], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        label = "?" if split.labels is None else str(split.labels[i])
        ax.set_title(label, fontsize=9, pad=2)
    if title:
        fig.suptitle(title, fontsize=10)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=100)
    return path
