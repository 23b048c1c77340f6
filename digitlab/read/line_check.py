"""A second opinion on a line: the line model (line_model.py) checks the segmenter's reading.

The segmenter reads what it cuts; the line model reads the line without
cutting. Each is right on lines where the other fails (a "1" drawn across
its neighbour defeats the cuts; a digit the line model has never seen in that
shape defeats it), so neither replaces the other. The line model scores any
text, so it can say how much less likely the segmenter's reading is than its
own, P(its text) / P(segmenter's text); past `PREFER_FROM` its reading wins,
and the line is cut where the line model saw one digit end and the next begin,
so that every digit still has a box, an input and a calibrated answer.
"""

from __future__ import annotations

import functools
import itertools

from digitlab.nn.ctc import best_path, best_path_columns, sequence_logprob
from digitlab.read import line_model
from digitlab.read.box import Box
from digitlab.read.cuts import CUT_WINDOW, cut_each
from digitlab.read.part_scores import digit_input

PREFER_FROM = 2.0  # grid (0-12) on dev lines, seeds 1-3: the line model's reading wins when it is e^2 = 7x
# as likely as the segmenter's to the line model (scan 92.7% -> 96.7%, photo 95.2% -> 96.8%; 1 overrules too often,
# 4 and more too rarely)
BEND = 0.05  # prior: cuts bend round strokes as the segmenter's supple cuts do (segment.CUT_BENDS)
SPIKE_LAG = 1.25  # output columns: the line model names a digit ~0.18 of the height left of its centre
# (median of 511 digits in lines of MNIST test digits; 0.06-0.28 between p90 and p10), so centres are moved right


def second_opinion(reader, ink, shape, groups: list[Box], digits: list) -> list | None:
    """The line model's reading as Predictions when it should replace `digits` (the segmenter's), else None.

    `shape`: the original picture's (H, W), for the digits' boxes.
    """
    model = line_model.shipped()
    if model is None or not groups:
        return None
    strip = line_model.strip_input(ink.ink)
    logp = model.log_probs(strip.input)  # (T, 11)
    own = best_path(logp, line_model.BLANK)
    theirs = [d.digit for d in digits]
    if not own or own == theirs or not set(own) <= set(reader.classes):
        return None
    if sequence_logprob(logp, own, line_model.BLANK) - sequence_logprob(logp, theirs, line_model.BLANK) < PREFER_FROM:
        return None
    pieces = _pieces(groups, ink, [strip.ink_x(c + SPIKE_LAG) for c in best_path_columns(logp, line_model.BLANK)])
    if pieces is None:
        return None
    inputs = [digit_input(reader, ink, piece) for piece in pieces]
    boxes = [piece.original(ink.scale, shape) for piece in pieces]
    return [_as_read(p, label, reader) for p, label in zip(reader.predict_inputs(inputs, boxes=boxes), own)]


def _pieces(groups: list[Box], ink, centres: list[float]) -> list[Box] | None:
    """The line cut between each two neighbouring digit centres (ink-map x), or None when a piece is empty."""
    line = functools.reduce(Box.union, groups)  # the whole line as one piece
    bands = []
    for left, right in itertools.pairwise(centres):
        middle, window = (left + right) / 2 - line.x0, max(1.0, CUT_WINDOW * (right - left))
        bands.append((round(middle - window), round(middle + window)))
    if not bands:
        return [line]
    pieces = cut_each(line, [bands], ink.ink, BEND)[0]
    return pieces or None


def _as_read(prediction, label: int, reader):
    """The digit model's answer for a piece, with the line model's digit: "unsure" when they differ."""
    if prediction.digit == label:
        return prediction
    prediction.warnings.append(f"the line model reads {label} here, the digit model {prediction.digit}")
    prediction.probability = prediction.probabilities[reader.label_index([label])[0]]
    prediction.digit, prediction.status = label, "unsure"
    return prediction
