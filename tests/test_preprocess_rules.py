"""The printed lines of ruled and squared paper: found, taken out, and the writing left whole."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from digitlab.preprocess.rules import paper_lines, remove_paper_lines, stroke_width


def _drawn(size=(120, 160), strokes=(), lines=(), stroke=9, line=2) -> tuple[np.ndarray, np.ndarray]:
    """(mask of everything, mask of the pen strokes alone): pen strokes as point lists, printed lines
    as ((x0, y0), (x1, y1)) pairs."""
    pen = Image.new("L", size[::-1], 0)
    for points in strokes:
        ImageDraw.Draw(pen).line(points, fill=255, width=stroke, joint="curve")
    printed = Image.new("L", size[::-1], 0)
    for ends in lines:
        ImageDraw.Draw(printed).line(ends, fill=255, width=line)
    writing = np.asarray(pen) > 0
    return writing | (np.asarray(printed) > 0), writing


SEVEN = [[(60, 40), (100, 40), (75, 95)]]  # a "7" in the middle of the picture, strokes 9 px


def test_ruled_lines_across_a_digit_are_taken_out_and_the_digit_kept():
    mask, writing = _drawn(strokes=SEVEN, lines=[((0, y), (160, y)) for y in (20, 60, 100)])
    cleaned, taken = remove_paper_lines(mask)
    assert not (cleaned & ~writing).any()  # no line pixel left
    assert (cleaned & writing).sum() >= 0.97 * writing.sum()  # the strokes whole where the lines crossed them
    assert np.array_equal(taken, mask & ~cleaned)


def test_squared_paper_tilted_as_photographed():
    slope = np.tan(np.radians(2.0))
    across = [((0, y), (160, y + 160 * slope)) for y in (10, 50, 90)]
    down = [((x, 0), (x - 120 * slope, 120)) for x in (30, 70, 110, 150)]
    mask, writing = _drawn(strokes=SEVEN, lines=across + down)
    cleaned, _ = remove_paper_lines(mask)
    assert (cleaned & ~writing).sum() <= 0.01 * mask.sum()
    assert (cleaned & writing).sum() >= 0.95 * writing.sum()


@pytest.mark.parametrize("strokes", [
    [[(0, 4), (159, 4), (60, 119)]],  # a "7" cropped to its box: the bar is as thick as the stem
    [[(80, 0), (80, 119)]],  # a "1" filling its frame
    [[(159, 4), (4, 4), (4, 60), (150, 60), (150, 115), (0, 115)]],  # a "5" of straight strokes
])
def test_the_strokes_of_a_digit_cropped_to_its_box_are_not_lines(strokes):
    mask, _ = _drawn(strokes=strokes, stroke=8)
    assert paper_lines(mask) == []
    assert remove_paper_lines(mask)[0] is mask


def test_a_thin_stroke_across_a_tight_crop_stays():
    """Regression: Semeion's 16x16 digits fill their box, and a 4's cross bar can be thinner than its
    other strokes; it spans the box, but does not reach past the writing on both sides as a printed line
    does, so it stays."""
    mask, _ = _drawn(strokes=[[(110, 0), (0, 80)], [(125, 0), (125, 119)]], stroke=10)
    mask |= _drawn(lines=[((0, 80), (159, 80))], line=4)[0]
    assert paper_lines(mask) == []


def test_a_thin_stroke_of_a_digit_in_a_line_of_digits_stays():
    """Regression: in a line of digits written with different pressure, a 4's stem as tall as the line's
    picture is half as thick as the other digits' strokes; it ends within the writing, so it stays."""
    mask, _ = _drawn(size=(120, 300), strokes=[[(20, 20), (90, 20), (40, 100)], [(120, 20), (120, 100)]],
                     stroke=18)
    mask |= _drawn(size=(120, 300), strokes=[[(220, 25), (220, 95)]], stroke=6)[0]
    assert paper_lines(mask) == []


def test_stroke_width_of_a_bar():
    mask = np.zeros((60, 200), bool)
    mask[20:30] = True
    assert stroke_width(mask) == pytest.approx(10, abs=1.5)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), lines=st.integers(0, 4))
def test_taking_lines_out_never_adds_ink_and_leaves_a_lineless_picture_alone(seed, lines):
    rng = np.random.default_rng(seed)
    strokes = [[tuple(p) for p in rng.uniform([50, 40], [110, 75], (int(rng.integers(2, 6)), 2))]]
    ys = rng.uniform(0, 120, lines)
    mask, _ = _drawn(strokes=strokes, lines=[((0, y), (160, y)) for y in ys])
    cleaned, taken = remove_paper_lines(mask)
    assert not (cleaned & ~mask).any() and not (taken & cleaned).any()
    if lines == 0:  # the writing stays in the middle 60 px of 160: nothing reaches across
        assert cleaned is mask and not taken.any()


SQUARED = {10: 0, 22: 6, 24: 4, 31: 1, 35: 2, 38: 2}  # MNIST test digits misread on squared paper


def _on_squared_paper(image, index) -> np.ndarray:
    """A digit 120 px tall photographed on squared paper (100 px squares) printed as dark as a photocopy."""
    from digitlab.data import synth

    rng = np.random.default_rng(index)
    alpha = synth.place(synth.ink_alpha(image, 120, rng), rng)
    return synth.on_paper(np.maximum(alpha, 0.6 * synth.ruled(alpha.shape, 100, rng, squared=True)), rng,
                          dark_ink=True)


def test_a_digit_on_squared_paper_reads_as_on_plain_paper(mnist_dir, monkeypatch):
    """Regression: the printed grid was kept with the ink, the crop became the whole picture and the digit
    a small mark among bars: these read as other digits, "unsure". With the lines out, right and "ok"."""
    from digitlab.data.idx import read_idx
    from digitlab.preprocess import ink
    from digitlab.read.reader import Reader

    images = read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz")
    reader = Reader.load()
    pictures = {index: _on_squared_paper(images[index], index) for index in SQUARED}
    for index, label in SQUARED.items():
        answer = reader.predict_image(pictures[index])
        assert (answer.digit, answer.status) == (label, "ok"), (index, answer.warnings)
    monkeypatch.setattr(ink, "remove_paper_lines", lambda mask: (mask, np.zeros_like(mask)))
    for index, label in SQUARED.items():
        answer = reader.predict_image(pictures[index])
        assert (answer.digit, answer.status) != (label, "ok"), index


COMBS = {1: "041", 10: "313", 13: "117"}  # synth.comb_field seeds whose box separators were read as 1s


def test_a_number_in_a_forms_boxes_is_read_without_the_boxes(mnist_dir, monkeypatch):
    """Regression: a form's row of printed boxes, one digit a box: the separators between the boxes were
    read as 1s ("041" as "014111"). With the printed lines out, the number alone."""
    from digitlab.data import synth
    from digitlab.data.idx import read_idx
    from digitlab.preprocess import ink
    from digitlab.read.reader import Reader

    images = read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz")
    reader = Reader.load()
    fields = {seed: synth.comb_field(list(images[3 * seed: 3 * seed + 3]), np.random.default_rng(seed))
              for seed in COMBS}
    for seed, number in COMBS.items():
        assert reader.read_number(fields[seed]).text == number, seed
    monkeypatch.setattr(ink, "remove_paper_lines", lambda mask: (mask, np.zeros_like(mask)))
    for seed, number in COMBS.items():
        assert len(reader.read_number(fields[seed]).text) > len(number), seed


def test_the_inspector_shows_the_lines_taken_out():
    from digitlab.preprocess import prepare
    from digitlab.preprocess.inspect import stages

    mask, writing = _drawn(strokes=SEVEN, lines=[((0, y), (160, y)) for y in (20, 60, 100)])
    photo = np.where(mask, 30, 230).astype(np.uint8)
    titles = [title for title, _ in stages(prepare(photo))]
    assert "printed lines\ntaken out" in titles
    assert "printed lines\ntaken out" not in [title for title, _ in stages(prepare(
        np.where(writing, 30, 230).astype(np.uint8)))]
