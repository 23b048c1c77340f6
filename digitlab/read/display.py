"""How a prediction and a reading show themselves in a notebook (`_repr_html_`).

Small HTML: the 28x28 the model saw as an inline PNG, the answer, its status and
the top three guesses; for a number, one such cell per digit with its box. Every
piece of text is escaped: warnings can quote a file name.
"""

from __future__ import annotations

import base64
import io
from html import escape

import numpy as np

STATUS_COLOURS = {"ok": "#1a7f37", "unsure": "#9a6700", "no digit": "#cf222e"}


def prediction_html(prediction) -> str:
    """One `Prediction` as a small block: picture, digit, status, top-3, warnings."""
    digit = "-" if prediction.digit is None else str(prediction.digit)
    colour = STATUS_COLOURS.get(prediction.status, "#57606a")
    top3 = ", ".join(f"{d}: {p:.1%}" for d, p in prediction.top3)
    box = "" if prediction.box is None else f"<br>box {escape(str(tuple(prediction.box)))}"
    warnings = "".join(f"<br><small>{escape(str(w))}</small>" for w in prediction.warnings)
    return (f"<div style='display:inline-block;margin:4px;text-align:center;font-family:sans-serif'>"
            f"{image_tag(prediction.input)}<br><b style='font-size:1.6em'>{escape(digit)}</b> "
            f"<span style='color:{colour}'>{escape(prediction.status)} "
            f"({prediction.probability:.1%})</span><br><small>{escape(top3)}</small>"
            f"{box}{warnings}</div>")


def reading_html(reading) -> str:
    """A `Reading`: the number read, then each digit as `prediction_html` shows it."""
    text = escape(reading.text) if reading.text else "<i>nothing read</i>"
    warnings = "".join(f"<li>{escape(str(w))}</li>" for w in reading.warnings)
    cells = "".join(prediction_html(d) for d in reading.digits)
    return (f"<div style='font-family:sans-serif'><b style='font-size:1.4em'>read: {text}</b>"
            f"<ul>{warnings}</ul><div>{cells}</div></div>")


def image_tag(pixels, size: int = 56) -> str:
    """An <img> of a uint8 (H, W) white-on-black image, drawn `size` px wide, pixels kept sharp."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(buffer, format="PNG")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f"<img src='data:image/png;base64,{data}' width='{size}' "
            f"style='image-rendering:pixelated;border:1px solid #ccc' alt='model input'>")
