"""The preprocessing inspector: every stage of one picture, side by side.

When a digit is misread, the stages show why: the wrong polarity, a shadow
taken for ink, ruled paper's lines, a second blob, a digit cut off at the border. matplotlib's
object API (Figure + Agg canvas), never pyplot, so nothing global is touched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digitlab.files import atomic_path
from digitlab.preprocess.pipeline import Prepared


def stages(prepared: Prepared) -> list[tuple[str, np.ndarray]]:
    """(title, image) pairs in pipeline order; images are float or bool 2-D arrays."""
    ink = prepared.ink
    polarity = "dark ink: inverted" if ink.inverted else "light ink: kept"
    if ink.doubtful:  # near half ink: the reader keeps whichever side looks more like a digit
        polarity += ", doubtful"
    out = [("decoded (grey)" if prepared.page is None else "decoded (grey),\nthe sheet found", prepared.grey),
           (_working_size(ink.scale), ink.grey),
           (f"lighting removed\n({polarity})", ink.flat),
           (f"Otsu threshold\n(separability {ink.separability:.2f})", ink.mask | ink.lines)]
    if ink.lines.any():
        out.append(("printed lines\ntaken out", ink.mask))
    out.append(("ink kept", ink.ink))
    shape = prepared.input.shape
    source = "\n(the picture as given)" if prepared.as_given else ""
    out.append((f"model input {shape[0]}x{shape[1]}{source}", prepared.input))
    return out


def draw_stages(prepared: Prepared, path, title: str = "") -> Path:
    """Write a PNG (or any matplotlib format, by suffix) of every stage to `path`, atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    panels = stages(prepared)
    figure = Figure(figsize=(2.4 * len(panels), 3.6), dpi=100)
    FigureCanvasAgg(figure)
    for i, (name, image) in enumerate(panels):
        axes = figure.add_subplot(1, len(panels), i + 1)
        inverted_grey = i < 2  # the photo as it looks; later stages are white ink on black
        axes.imshow(np.asarray(image, dtype=float), cmap="gray", vmin=0,
                    vmax=255 if image.dtype == np.uint8 else 1, interpolation="nearest")
        axes.set_title(name, fontsize=9)
        axes.set_xticks([])
        axes.set_yticks([])
        if inverted_grey and i == 0:
            for box, colour in ((prepared.page, "blue"), (prepared.box, "red")):
                if box is not None:
                    axes.add_patch(_rectangle(*box, colour))
    if title or prepared.warnings:
        figure.suptitle("\n".join(filter(None, [title, "; ".join(prepared.warnings)])), fontsize=9)
    figure.tight_layout(rect=(0, 0, 1, 0.85))
    path = Path(path)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format=(path.suffix.lstrip(".") or "png").lower())
    return path


def _rectangle(x0, y0, x1, y1, colour):
    from matplotlib.patches import Rectangle

    return Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, edgecolor=colour, linewidth=1)


def _working_size(scale: float) -> str:
    """The working-size stage's title: shrunk (a photo) or enlarged (a small scan)."""
    if scale > 1:
        return f"working size (1/{scale:.3g})"
    return f"working size (x{1 / scale:.3g})" if scale < 1 else "working size"
