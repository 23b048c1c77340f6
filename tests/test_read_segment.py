"""Reading lines of digits: order, boxes, touching digits, broken strokes, nothing at all."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitlab.data import synth
from digitlab.read.calibration import Calibration
from digitlab.read.cuts import cut_each, least_ink_paths
from digitlab.read.part_scores import PartScores
from digitlab.read.reader import Reader
from digitlab.read.segment import (
    CUT_BENDS,
    MIN_PART_HEIGHT,
    _best,
    components,
    join_close,
    merge_pieces,
    split_group,
)


@pytest.fixture(scope="module")
def reader(mnist_dir):
    return Reader(synth.small_model(str(mnist_dir)), {"input_shape": [28, 28]}, Calibration(unsure_below=0.5))


@pytest.fixture(scope="module")
def digits(mnist_dir, reader):
    """MNIST test digits that the small model reads correctly on their own (so errors are the segmenter's)."""
    images = synth.read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz")[:200]
    labels = synth.read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz")[:200]
    keep = [i for i in range(200) if reader.predict_pixels(images[i]).digit == labels[i]]
    return images[keep], labels[keep]


def write_line(images, gaps, scale=3):
    """Digits cropped to their ink and placed left to right with `gaps` px between them (negative: overlap)."""
    crops = []
    for image in images:
        rows, cols = np.nonzero(image)
        crops.append(np.kron(image[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1], np.ones((scale, scale))))
    height = max(c.shape[0] for c in crops)
    canvas = np.zeros((height + 40, sum(c.shape[1] for c in crops) + sum(max(g, 0) for g in gaps) + 40))
    x, boxes = 20, []
    for crop, gap in zip(crops, list(gaps) + [0]):
        top = 20 + (height - crop.shape[0]) // 2
        region = canvas[top: top + crop.shape[0], x: x + crop.shape[1]]
        np.maximum(region, crop, out=region)
        boxes.append((x, top, x + crop.shape[1], top + crop.shape[0]))
        x += crop.shape[1] + gap
    return 255 - canvas.astype(np.uint8), boxes  # dark ink on white paper


def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_separate_digits_read_left_to_right_with_their_boxes(reader, digits):
    images, labels = digits
    for start in range(0, 30, 6):
        picture, boxes = write_line(images[start: start + 6], gaps=[15] * 5)
        reading = reader.read_number(picture)
        assert reading.text == "".join(map(str, labels[start: start + 6]))
        # the faintest anti-aliased edge pixels fall below the threshold: boxes may be a pixel or two tighter
        assert all(iou(d.box, box) > 0.7 for d, box in zip(reading.digits, boxes))
        json.dumps(reading.to_dict())


def test_touching_digits_are_split(reader, digits):
    images, labels = digits
    right = 0
    for start in range(0, 40, 2):
        picture, _ = write_line(images[start: start + 2], gaps=[-3])
        right += reader.read_number(picture).text == "".join(map(str, labels[start: start + 2]))
    assert right >= 16  # of 20 touching pairs


def test_a_one_touching_its_neighbour_is_not_swallowed(reader, digits):
    """A "4" with a "1" against it reads as a confident "4"; the one-digit detector says it is two.
    (17 of these 20 read right when written; 13 with the "digit at all" detector in its place.)"""
    images, labels = digits
    ones, others = np.flatnonzero(labels == 1)[:10], np.flatnonzero(labels != 1)[:10]
    right = 0
    for pair in [(a, b) for a, b in zip(others, ones)] + [(b, a) for a, b in zip(others, ones)]:
        picture, _ = write_line(images[list(pair)], gaps=[-3])
        right += reader.read_number(picture).text == "".join(str(labels[i]) for i in pair)
    assert right >= 15


def test_a_broken_digit_is_merged(reader, digits):
    images, labels = digits
    seven = images[list(labels).index(7)].copy()
    rows = np.nonzero(seven.any(axis=1))[0]
    seven[rows[len(rows) // 2] - 1: rows[len(rows) // 2] + 1] = 0  # a gap across the stroke
    picture, _ = write_line([seven, images[0]], gaps=[20])
    reading = reader.read_number(picture)
    assert len(reading.digits) == 2 and reading.text[0] == "7"


def test_nothing_to_read(reader):
    reading = reader.read_number(np.full((60, 200), 240, np.uint8))
    assert reading.text == "" and reading.digits == [] and reading.warnings


def test_cut_finds_the_bridge_between_two_blobs():
    mask = np.zeros((30, 50), bool)
    mask[5:25, 2:20] = True
    mask[5:25, 28:48] = True
    mask[14:16, 20:28] = True  # a thin bridge: the two touch
    (group,) = components(mask)
    left, right = cut_each(group, [[(10, 40)]])[0]
    assert 20 <= left.x1 <= 28 and right.x0 == left.x1
    assert left.own.sum() + right.own.sum() == mask.sum()  # every ink pixel goes to exactly one part
    assert not (left.own & right.own).any()


def test_least_ink_path_bends_round_overlapping_digits():
    """Two slanted strokes that overlap in x but do not touch: no straight cut is free, the bent path is."""
    ys, xs = np.mgrid[:30, :40]
    channel = 25 - ys // 2  # the free column on each row: a slope of half a column per row
    cost = (((channel - 8 <= xs) & (xs < channel - 1)) | ((channel + 2 <= xs) & (xs < channel + 9))).astype(float)
    assert all(cost[:, x].sum() > 0 for x in range(10, 27))  # every straight cut crosses ink
    (path,) = least_ink_paths(cost, [(10, 27)])
    assert cost[np.arange(30), path].sum() == 0
    assert np.all(np.abs(np.diff(path)) <= 1)
    # a bend dearer than any straight cut's ink (at most 30 px): the stiff path stays in one column
    (stiff,) = least_ink_paths(cost, [(10, 27)], bend=100.0)
    assert np.all(stiff == stiff[0]) and cost[:, stiff[0]].sum() == min(cost[:, x].sum() for x in range(10, 27))


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40), st.integers(3, 60), st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1,
                                                      max_size=6), st.sampled_from([0.0, 0.05, 0.5]), st.integers(0, 99))
def test_paths_found_together_are_the_paths_found_alone(h, w, shares, bend, seed):
    """`least_ink_paths` pads narrower windows with columns no path may enter: nothing leaks between windows."""
    cost = np.random.default_rng(seed).integers(0, 3, (h, w)) * 0.5  # ties everywhere: the rule for them counts
    windows = [(lo, lo + 1 + int(b * (w - 1 - lo))) for lo, b in ((int(a * (w - 1)), b) for a, b in shares)]
    together = least_ink_paths(cost, windows, bend)
    for (lo, hi), path in zip(windows, together):
        alone = least_ink_paths(cost, [(lo, hi)], bend)[0]
        assert np.array_equal(path, alone) and np.all((lo <= path) & (path < hi))
        assert np.all(np.abs(np.diff(path)) <= 1)


def test_close_groups_are_offered_as_one_digit():
    mask = np.zeros((40, 100), bool)
    mask[5:35, 5:8] = True  # a 4's stem drawn apart from...
    mask[5:35, 10:25] = True  # ...the rest of it
    mask[5:35, 50:65] = True  # the next digit, a clear gap away
    groups = merge_pieces(components(mask))
    joined = join_close(groups, height=30)
    assert [(g.x0, g.x1) for g, _ in joined] == [(5, 25), (50, 65)]
    assert [(p.x0, p.x1) for p in joined[0][1]] == [(5, 8), (10, 25)] and joined[1][1] is None


def test_stacked_pieces_merge_and_neighbours_do_not():
    mask = np.zeros((40, 80), bool)
    mask[5:15, 5:20] = True  # top bar of a 5...
    mask[18:35, 6:19] = True  # ...and its body
    mask[5:35, 40:52] = True  # the next digit
    groups = merge_pieces(components(mask))
    assert [(g.x0, g.x1) for g in groups] == [(5, 20), (40, 52)]


class FirstReadsPoorly:
    """A stand-in reader: the first input of each call reads as `digit` with p=`first`, the rest with p=`rest`.

    `_best` and `split_group` put the whole blob first, so this is a model
    that reads the blob unsurely and its parts surely, as the shipped CNN
    reads a bold "1" written a hair from another "1" (0.34 whole, 0.74 each)."""

    shape, deskew, check_digitness, classes = (28, 28), False, list(range(10)), list(range(10))

    def __init__(self, digit, first, rest):
        self.digit, self.first, self.rest = digit, first, rest

    def raw_proba(self, inputs):
        sure = np.r_[self.first, np.full(len(inputs) - 1, self.rest)][:, None]
        proba = np.repeat((1 - sure) / 9, 10, axis=1)  # the doubt spread over the other nine
        proba[:, self.digit] = sure[:, 0]
        return proba


def _ink(mask):
    from digitlab.preprocess.ink import find_ink

    return find_ink(np.where(mask, 0.1, 0.95).astype(np.float32))


def test_pieces_with_a_gap_pay_no_cut_cost():
    """Two 1s a hair apart read surely as two: the pieces are not a cut, so no half-digit penalty
    (charged as a cut, the bold union won: scan line "11" read "1")."""
    mask = np.zeros((50, 40), bool)
    mask[8:42, 10:14] = True
    mask[8:42, 16:21] = True
    ink = _ink(mask)
    a, b = sorted(components(ink.mask), key=lambda p: p.x0)
    whole = a.union(b)
    reader = FirstReadsPoorly(1, first=0.34, rest=0.74)
    guess = whole.width / (0.6 * whole.height)
    assert _best(PartScores(reader, ink), [[whole], [a, b]], guess, cuts=[0, 0]) == [a, b]


def test_a_blob_narrower_than_two_digits_is_still_offered_cuts():
    """A narrow digit touching a "1" is 0.7 of the height wide; a blob that narrow is offered cuts too."""
    mask = np.zeros((60, 60), bool)
    mask[10:50, 10:14] = True  # a "1"...
    mask[28:31, 14:20] = True  # ...touching, by a thin stroke, ...
    mask[10:50, 20:23] = mask[10:50, 35:38] = mask[28:31, 20:38] = True  # ...a narrow "4"-like digit
    ink = _ink(mask)
    (blob,) = merge_pieces(components(ink.mask))
    assert blob.width < 0.75 * blob.height
    parts = split_group(FirstReadsPoorly(4, first=0.2, rest=0.99), ink, blob, blob.height, 0.6 * blob.height)
    assert len(parts) == 2


# -- the lattice: many cuts, the best reading through them ------------------------------


def test_best_readings_is_the_viterbi_path_for_each_count():
    from digitlab.read.lattice import best_readings

    # paths 0..3; reading (0,1)(1,3) sums -0.3, (0,2)(2,3) -1.0; three parts only as (0,1)(1,2)(2,3)
    scores = {(0, 1): -0.1, (1, 2): -2.0, (2, 3): -0.5, (0, 2): -0.5, (1, 3): -0.2, (0, 3): -5.0}
    read = []  # the spans asked for, call by call

    def score(spans):
        read.append(spans)
        return [scores[span] for span in spans]

    assert best_readings(list(scores), score, 4, 3) == {2: [0, 1, 3], 3: [0, 1, 2, 3]}
    assert best_readings(list(scores), score, 4, 5) == {2: [0, 1, 3], 3: [0, 1, 2, 3]}  # no 4 or 5 parts
    assert best_readings([(0, 1)], score, 3, 2) == {}  # nothing reaches the right edge
    # above a floor of -0.4 only (0,1)(1,3) survives: path 2 (reached at -0.5 at best) is never read from
    read.clear()
    assert best_readings(list(scores), score, 4, 3, floor=-0.4) == {2: [0, 1, 3]}
    assert [span for spans in read for span in spans] == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3)]


def test_lattice_cuts_are_distinct_and_spans_are_digit_sized():
    from digitlab.read.box import Box
    from digitlab.read.lattice import MAX_WIDTH, MIN_WIDTH, cut_paths, segments

    mask = np.zeros((30, 60), bool)
    mask[2:28, 5:8] = mask[2:28, 25:28] = mask[2:28, 45:48] = True  # three bars...
    mask[15, 5:48] = True  # ...joined by a thin stroke: one blob
    group = Box(5, 2, 48, 28, mask)
    paths = cut_paths(group, mask.astype(np.float32), height=26, bends=CUT_BENDS)
    assert (paths[0] == 0).all() and (paths[-1] == group.width).all()
    assert all(np.abs(a - b).max() > 1 for i, a in enumerate(paths[1:-1]) for b in paths[i + 2:-1])
    assert [round(p.mean()) for p in paths] == sorted(round(p.mean()) for p in paths)
    spans = segments(group, paths, height=26, min_height=MIN_PART_HEIGHT)
    assert spans and all(MIN_WIDTH * 26 <= box.width <= MAX_WIDTH * 26 for box in spans.values())
    bars = [(5, 8), (25, 28), (45, 48)]
    for lo, hi in bars:  # each bar is a span of its own: the cuts go through the stroke between them
        assert any(box.x0 <= lo and hi <= box.x1 and sum(box.x0 <= a and b <= box.x1 for a, b in bars) == 1
                   for box in spans.values())


def test_a_narrow_one_after_two_touching_digits_is_found(reader, digits, monkeypatch):
    """Even bands put the second cut inside the middle digit when the last is a narrow "1" (a "261"
    of three touching digits); the lattice's cuts do not depend on even widths."""
    from digitlab.read import segment

    images, labels = digits
    ones, others = np.flatnonzero(labels == 1), np.flatnonzero(labels != 1)
    triples = [[others[2 * i], others[2 * i + 1], ones[i]] for i in range(20)]

    def right(lattice_from):
        monkeypatch.setattr(segment, "LATTICE_FROM", lattice_from)
        # the cuts alone: the line model reads all 20 either way
        return sum(reader.read_number(write_line(images[t], gaps=[-3, -3])[0], line_model=False).text ==
                   "".join(str(labels[i]) for i in t) for t in triples)

    with_lattice, bands_alone = right(segment.LATTICE_FROM), right(float("inf"))
    assert with_lattice >= 16 and with_lattice > bands_alone  # when written: 17 and 15 of 20


def test_a_blob_too_narrow_for_a_cut_gets_none():
    """Regression: hypothesis's 25x45 noise picture made a 2-pixel-wide blob, and the empty band crashed /api/read."""
    from digitlab.read.box import Box
    from digitlab.read.lattice import cut_paths

    mask = np.ones((4, 2), bool)
    paths = cut_paths(Box(0, 0, 2, 4, mask), mask.astype(np.float32), height=1.0)
    assert len(paths) == 2 and (paths[0] == 0).all() and (paths[1] == 2).all()


class CountingReader(FirstReadsPoorly):
    """`FirstReadsPoorly` that counts the inputs it is asked to read."""

    def __init__(self, *args):
        super().__init__(*args)
        self.inputs = 0

    def raw_proba(self, inputs):
        self.inputs += len(inputs)
        return super().raw_proba(inputs)


def test_each_piece_is_read_once():
    """Candidate splits share pieces (a lattice route is made of spans already read): one read each."""
    mask = np.zeros((50, 60), bool)
    mask[8:42, 10:14] = mask[8:42, 30:35] = mask[8:42, 50:54] = True
    ink = _ink(mask)
    a, b, c = sorted(components(ink.mask), key=lambda p: p.x0)
    reader = CountingReader(1, 0.9, 0.9)
    scores = PartScores(reader, ink)
    first, _ = scores([a, b, a])
    assert reader.inputs == 2 and first[0] == first[2]
    again, _ = scores([c, a])
    assert reader.inputs == 3 and again[1] == first[0]


def test_the_lattice_is_skipped_when_no_route_could_win(digits, monkeypatch):
    """A blob whose even cut reads perfectly: no lattice route, read perfectly too, could beat it."""
    from digitlab.data.decode import load_grey
    from digitlab.preprocess.ink import find_ink
    from digitlab.read import segment

    images, _ = digits
    line, _ = write_line(images[:3], gaps=[-3, -3])
    ink = find_ink(load_grey(line))
    (blob,) = [g for g in merge_pieces(components(ink.mask)) if g.width > 1.5 * g.height]
    spans = []
    monkeypatch.setattr(segment, "_lattice", lambda *args: spans.append(args) or [])
    split_group(CountingReader(4, 1.0, 1.0), ink, blob, blob.height, blob.width / 3)
    assert spans == []  # every part reads with p = 1: the even cuts' total cannot be beaten
    split_group(CountingReader(4, 0.5, 0.5), ink, blob, blob.height, blob.width / 3)
    assert len(spans) == 1
