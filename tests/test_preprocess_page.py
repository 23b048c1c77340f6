"""A photo of a note on a desk: the sheet is found and the ink looked for on it (`preprocess/page.py`);
pictures without a surround, and small scans, are left whole."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitlab.data import load_dataset, synth
from digitlab.preprocess import pipeline, prepare
from digitlab.preprocess.inspect import stages
from digitlab.preprocess.page import find_page
from digitlab.read.reader import Reader


def _note_on_desk() -> np.ndarray:
    """float32 (300, 400): a desk at 0.3, a sheet at 0.9 over x 80-320, y 50-250, a dark 7 on it."""
    canvas = Image.new("L", (400, 300), 77)
    draw = ImageDraw.Draw(canvas)
    draw.rectangle([80, 50, 319, 249], fill=230)
    draw.line([(160, 100), (240, 100), (190, 200)], fill=25, width=9)
    return np.asarray(canvas, np.float32) / 255


@pytest.fixture(scope="module")
def mnist_test(mnist_dir):
    return load_dataset("mnist", data_dir=mnist_dir, download=False).test


def test_the_sheet_is_found_inside_its_margins():
    x0, y0, x1, y1 = find_page(_note_on_desk())
    assert 80 <= x0 <= 90 and 50 <= y0 <= 60 and 310 <= x1 <= 320 and 240 <= y1 <= 250


def test_the_digit_is_boxed_in_the_whole_picture_s_pixels():
    prepared = prepare(_note_on_desk())
    assert prepared.page is not None and prepared.has_digit
    x0, y0, x1, y1 = prepared.box
    assert 150 <= x0 <= 165 and 90 <= y0 <= 100 and 235 <= x1 <= 250 and 195 <= y1 <= 210
    assert stages(prepared)[0][0].endswith("the sheet found")


def test_pictures_without_a_surround_are_left_whole(mnist_test):
    rng = np.random.default_rng(0)
    for image in mnist_test.images[:200]:
        assert find_page(image.astype(np.float32) / 255) is None  # light ink on black: no sheet
    whole = [find_page(np.asarray(synth.photo(image, rng), np.float32).mean(axis=2) / 255)
             for image in mnist_test.images[:100]]
    assert sum(page is not None for page in whole) <= 2


def test_a_thick_light_digit_in_a_small_scan_is_not_a_sheet():
    """Regression: a 16x16 USPS-style 0, white on black, fills its box like a sheet (7% of usps-train's
    originals passed every other rule); small pictures are never searched."""
    canvas = Image.new("L", (16, 16), 0)
    ImageDraw.Draw(canvas).rectangle([2, 1, 13, 14], fill=255)
    assert find_page(np.asarray(canvas, np.float32) / 255) is None


def test_digits_photographed_on_a_desk_are_read(mnist_test, monkeypatch):
    """Regression: the desk passed the threshold as ink and the crop took in the whole frame."""
    reader = Reader.load()
    rng = np.random.default_rng(3)
    digits = mnist_test.images[5000:5012]
    photos = [synth.on_desk(synth.photo(d, rng), rng) for d in digits]

    def right():
        return sum(reader.predict_image(p).digit == label for p, label in zip(photos, mnist_test.labels[5000:5012]))

    assert right() >= 10
    monkeypatch.setattr(pipeline, "find_page", lambda grey: None)  # the reader before: the whole frame
    assert right() <= 6
