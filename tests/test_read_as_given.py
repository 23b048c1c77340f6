"""A picture already at the model's size is also read as it stands (`Reader._or_as_given`): damage that
misleads the ink finding (inverted columns, a line drawn across) no longer loses a digit the model reads,
and noise, negatives and clean digits read as before."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from digitlab.data import load_dataset
from digitlab.preprocess.inspect import stages
from digitlab.read.reader import Reader


@pytest.fixture(scope="module")
def reader():
    return Reader.load()


@pytest.fixture(scope="module")
def digits(mnist_dir):
    test = load_dataset("mnist", data_dir=mnist_dir, download=False).test
    return test.images[5000:5030], test.labels[5000:5030]


def _png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def _striped(image: np.ndarray) -> np.ndarray:
    """MNIST-C's "stripe": the outer seven columns on each side inverted (two white bars)."""
    out = image.copy()
    out[:, :7] = 255 - out[:, :7]
    out[:, 21:] = 255 - out[:, 21:]
    return out


def _read(reader, images) -> list:
    return [reader.predict_image(_png(image)) for image in images]


def _right_now_and_before(reader, pictures, labels, monkeypatch) -> tuple[int, int]:
    """Digits read right by this reader, and by the reader before it read pictures as given."""
    right = sum(p.digit == y for p, y in zip(_read(reader, pictures), labels))
    monkeypatch.setattr(Reader, "_has_digit_score", property(lambda self: False))
    return right, sum(p.digit == y for p, y in zip(_read(reader, pictures), labels))


def test_striped_digits_are_read_as_given(reader, digits, monkeypatch):
    images, labels = digits
    # before: the white bars were taken for the paper and the black middle for ink
    right, right_before = _right_now_and_before(reader, [_striped(image) for image in images], labels, monkeypatch)
    assert right >= 27 and right_before <= 12  # measured: 29 and 4


def test_a_line_drawn_across_is_read_as_given(reader, digits, monkeypatch):
    images, labels = digits
    crossed = images.copy()
    crossed[:, 9:11, :] = 255  # a bright bar across every digit, edge to edge
    prepared = reader.prepare(_png(crossed[0]))
    assert prepared.as_given and prepared.box == (0, 0, 28, 28)
    right, right_before = _right_now_and_before(reader, crossed, labels, monkeypatch)
    assert right >= 28 and right_before <= 24  # measured: 30 and 22


def test_clean_digits_and_their_negatives_read_as_before(reader, digits, monkeypatch):
    images, labels = digits
    now = [p.digit for p in _read(reader, list(images) + list(255 - images))]
    monkeypatch.setattr(Reader, "_has_digit_score", property(lambda self: False))
    before = [p.digit for p in _read(reader, list(images) + list(255 - images))]
    assert now == before and now[:30] == list(labels) and now[30:] == list(labels)


def test_noise_at_the_model_size_stays_no_digit(reader):
    rng = np.random.default_rng(0)
    noise = [(rng.random((28, 28)) * 255).astype(np.uint8) for _ in range(20)]
    assert {p.status for p in _read(reader, noise)} == {"no digit"}
    assert reader.predict_image(_png(np.zeros((28, 28), np.uint8))).status == "no digit"


def test_other_sizes_and_readers_without_a_digit_score_are_never_read_as_given(reader, digits):
    images, _ = digits
    larger = np.pad(_striped(images[0]), 10)
    assert not reader.prepare(_png(larger)).as_given
    plain = Reader(reader.model, reader.info, name="no fitted rule")
    assert not plain.prepare(_png(_striped(images[0]))).as_given


def test_the_inspector_says_the_picture_was_read_as_given(reader, digits):
    images, _ = digits
    title, shown = stages(reader.prepare(_png(_striped(images[0]))))[-1]
    assert "as given" in title and shown.shape == (28, 28)
