"""Messages that read right: an unsure digit says why, several digits point to `read`, the help is true.

Regression tests for issue 18's messages: `read` printed "0 p=1.000 unsure" and "digit 2 (0) is
unsure" (a sure model, an unsure answer, no reason), and `predict` on a picture of several digits
said "ink scattered" without pointing to `digitlab read`.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from digitlab.read.reader import Prediction
from digitlab.read.segment import Reading, unsure_warning

WHY = "does not look like a handwritten digit (digit-likeness 0.010)"


def _prediction(digit, status, p, warnings=(), box=(0, 0, 5, 5)):
    probabilities = [0.0] * 10
    probabilities[digit] = p
    return Prediction(digit, status, p, probabilities, np.zeros((28, 28), np.uint8), list(warnings), box)


def test_unsure_warning_names_the_place_the_digit_and_the_reason():
    unsure = _prediction(0, "unsure", 1.0, [WHY])
    assert unsure_warning(1, 4, unsure) == f"digit 2 of 4, read as 0, is unsure: {WHY}"
    assert unsure_warning(0, 1, _prediction(7, "unsure", 0.4)) == "digit 1 of 1, read as 7, is unsure"


def test_read_prints_why_a_sure_model_gives_an_unsure_digit(monkeypatch, capsys, tmp_path):
    from digitlab.cli import main
    from digitlab.read.reader import Reader

    digits = [_prediction(4, "ok", 0.999), _prediction(0, "unsure", 1.0, [WHY])]
    reading = Reading("40", digits, [unsure_warning(1, 2, digits[1])])

    class Fake:
        def read_number(self, image, line_model=True):
            return reading

    monkeypatch.setattr(Reader, "load", classmethod(lambda cls, *a, **k: Fake()))
    assert main(["read", str(tmp_path / "number.png")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "40"
    assert lines[1].split() == ["4", "p=0.999", "ok", "box=(0,", "0,", "5,", "5)"]  # a sure digit: no note
    assert lines[2].endswith(f"unsure  box=(0, 0, 5, 5)  {WHY}")
    assert lines[3] == f"warning: digit 2 of 2, read as 0, is unsure: {WHY}"


def test_read_no_line_model_reads_by_the_cuts_alone(monkeypatch, capsys, tmp_path):
    from digitlab.cli import main
    from digitlab.read.reader import Reader

    asked = []

    class Fake:
        def read_number(self, image, line_model=True):
            asked.append(line_model)
            return Reading("", [], [])

    monkeypatch.setattr(Reader, "load", classmethod(lambda cls, *a, **k: Fake()))
    assert main(["read", str(tmp_path / "number.png")]) == 0
    assert main(["read", str(tmp_path / "number.png"), "--no-line-model"]) == 0
    assert asked == [True, False]


def test_predict_on_several_digits_points_to_read(tmp_path, capsys, tiny_model_file):
    from digitlab.cli import main

    image = Image.new("L", (160, 56), 255)
    draw = ImageDraw.Draw(image)
    for x in (20, 70, 120):  # three separate strokes: a number, not one digit
        draw.line([(x, 10), (x + 10, 46)], fill=0, width=5)
    image.save(tmp_path / "number.png")
    main(["predict", str(tmp_path / "number.png"), "--model", str(tiny_model_file), "--json"])
    out = capsys.readouterr().out
    assert "3 separate blobs" in out and "for a number, use digitlab read" in out
