""".npz datasets: the accepted layouts round-trip exactly; pickles and bad arrays are refused."""

from __future__ import annotations

import numpy as np
import pytest

from digitlab.data import load_dataset
from digitlab.data.npzfile import load_npz_dataset
from digitlab.errors import DigitlabError


def _digits(n=30, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 7, 7), dtype=np.uint8), np.repeat(np.arange(10), n // 10)


def test_official_split_round_trips(tmp_path):
    images, labels = _digits()
    test_images, test_labels = _digits(10, seed=1)
    path = tmp_path / "mine.npz"
    np.savez_compressed(
        path, images=images, labels=labels, test_images=test_images, test_labels=test_labels
    )
    data = load_dataset(str(path))
    assert data.name == "mine"
    np.testing.assert_array_equal(data.train.images, images)
    np.testing.assert_array_equal(data.test.labels, test_labels)
    assert data.train.labels.dtype == np.int64


@pytest.mark.parametrize(
    "convert",
    [
        lambda x: x.reshape(len(x), -1),  # flat (n, H*W)
        lambda x: x[..., None],  # channels-last (n, H, W, 1)
        lambda x: x.astype(np.int32),  # any integer type 0-255
        lambda x: x.astype(np.float32) / 255,  # floats in [0, 1]
    ],
)
def test_accepted_layouts_give_the_same_images(tmp_path, convert):
    images, labels = _digits()
    path = tmp_path / "d.npz"
    np.savez(path, images=convert(images), labels=labels)
    data = load_npz_dataset(path)
    together = np.concatenate([data.train.images, data.test.images])
    assert (len(data.train), len(data.test)) == (25, 5)  # the one-sixth hold-out
    assert sorted(map(bytes, together)) == sorted(map(bytes, images))


GOOD = {"images": np.zeros((4, 3, 3), np.uint8), "labels": np.zeros(4, int)}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"labels": None}, "needs arrays 'images' and 'labels', found images"),
        ({"labels": np.zeros(3, int)}, "'labels' has shape (3,), expected (4,)"),
        ({"images": np.zeros((4, 3), np.uint8)}, "'images' has shape (4, 3)"),
        ({"images": np.full((4, 3, 3), 300)}, "'images' values run 300..300, expected 0-255"),
        ({"images": np.full((4, 3, 3), 2.0)}, "values outside [0, 1]"),
        ({"images": np.full((4, 3, 3), np.nan)}, "values outside [0, 1]"),
        ({"labels": np.array([0, 1, 2, 12])}, "'labels' values run 0..12, expected digits 0-9"),
        ({"labels": np.array(["a"] * 4)}, "'labels' has dtype <U1"),
        (
            {"test_images": np.zeros((2, 3, 3), np.uint8)},
            "has one of 'test_images' and 'test_labels' but not the other",
        ),
        (
            {"test_images": np.zeros((2, 4, 4), np.uint8), "test_labels": np.zeros(2, int)},
            "test_images are (4, 4) but images are (3, 3)",
        ),
    ],
)
def test_bad_arrays_are_named(tmp_path, change, message):
    path = tmp_path / "bad.npz"
    arrays = {name: a for name, a in {**GOOD, **change}.items() if a is not None}
    np.savez(path, **arrays)
    with pytest.raises(DigitlabError) as err:
        load_npz_dataset(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, images=np.array([{"x": 1}], dtype=object), labels=np.zeros(1, int))
    with pytest.raises(DigitlabError, match="holds Python objects, which digitlab refuses"):
        load_npz_dataset(path)


@pytest.mark.parametrize("content", [b"", b"\x80\x04K\x01.", b"PK\x03\x04garbage", b"\x93NUMPY"])
def test_not_an_npz(tmp_path, content):
    path = tmp_path / "junk.npz"
    path.write_bytes(content)
    with pytest.raises(DigitlabError, match="junk.npz: not a"):
        load_npz_dataset(path)
