"""Hairline strokes are grown to a pen's width before scaling (`preprocess/stroke.py`): a ballpoint digit
photographed large reads "ok", and strokes as thick as MNIST's are left alone."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitlab.data import load_dataset
from digitlab.data.pens import ballpoint
from digitlab.preprocess import prepare, stroke
from digitlab.preprocess.stroke import MIN_WIDTH, TARGET_WIDTH, grow_thin_strokes, stroke_width
from digitlab.read.reader import Reader


def _bars(height: int, width: int, thickness: int) -> np.ndarray:
    """bool (height, width): a frame of bars `thickness` px wide, like a 0 drawn with a square pen."""
    mask = np.zeros((height, width), bool)
    mask[:thickness], mask[-thickness:], mask[:, :thickness], mask[:, -thickness:] = True, True, True, True
    return mask


@pytest.fixture(scope="module")
def mnist_test(mnist_dir):
    return load_dataset("mnist", data_dir=mnist_dir, download=False).test


def test_stroke_width_measures_bars():
    assert stroke_width(_bars(100, 60, 5)) == pytest.approx(5, rel=0.1)
    assert stroke_width(_bars(100, 60, 1)) == pytest.approx(2, rel=0.05)  # all edge: the estimate's floor


def test_hairlines_are_grown_to_mnist_width():
    mask = _bars(200, 120, 3)  # 0.3 px in the 20 px box
    grown = grow_thin_strokes(mask.astype(np.float32), mask, box=20)
    width_in_box = stroke_width(grown > 0.5) * 20 / max(grown.shape)
    assert MIN_WIDTH < width_in_box and width_in_box == pytest.approx(TARGET_WIDTH, abs=0.5)
    assert grown[0].any() and grown[-1].any()  # grown outwards too: the crop was padded


def test_strokes_as_thick_as_mnist_are_left_alone(mnist_test):
    for image in mnist_test.images[5000:5050]:
        ink = prepare(image).ink
        rows, cols = np.nonzero(ink.mask)
        box = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
        crop = ink.ink[box]
        assert grow_thin_strokes(crop, ink.mask[box], 20) is crop


@settings(max_examples=40, deadline=None)
@given(height=st.integers(20, 300), aspect=st.floats(0.3, 1.0), thickness=st.integers(1, 12))
def test_growing_keeps_every_stroke_and_the_range(height, aspect, thickness):
    width = max(2 * thickness + 1, round(height * aspect))
    mask = _bars(height, width, min(thickness, height // 2, width // 2))
    crop = mask.astype(np.float32) * 0.9
    grown = grow_thin_strokes(crop, mask, box=20)
    reach = (grown.shape[0] - height) // 2
    assert grown.shape == (height + 2 * reach, width + 2 * reach)
    assert np.all(grown[reach:reach + height, reach:reach + width] >= crop)  # nothing removed
    assert 0.0 <= grown.min() and grown.max() <= 0.9


def test_ballpoint_digits_read_ok(mnist_test, monkeypatch):
    reader = Reader.load()
    images, labels = mnist_test.images[5000:5020], mnist_test.labels[5000:5020]
    photos = [ballpoint(image, width=3) for image in images]
    assert 2 <= stroke_width(photos[0] < 128) <= 5  # the pen's 3 px, on a middle line 1-2 px wide

    def ok_and_right():
        answers = [reader.predict_image(photo) for photo in photos]
        return sum(a.digit == y and a.status == "ok" for a, y in zip(answers, labels))

    now = ok_and_right()
    monkeypatch.setattr(stroke, "MIN_WIDTH", 0.0)  # the reader before: faint hairlines, all "unsure"
    assert now >= 18 and ok_and_right() <= 5
