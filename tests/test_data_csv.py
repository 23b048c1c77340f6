"""Kaggle CSV: round trips through every file-format variant, one-line errors naming the line."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digitlab.data import load_dataset
from digitlab.data.csvfile import load_csv_dataset, read_kaggle_csv
from digitlab.errors import DigitlabError

SIDE = 4  # 16 pixel columns keep the generated files small; the parser takes any square


def csv_text(
    images: np.ndarray,
    labels=None,
    newline="\n",
    bom=False,
    blank_lines=False,
    trailing_newline=True,
) -> bytes:
    """A digit CSV written independently of the parser."""
    n_pixels = images.shape[1] * images.shape[2]
    header = ([] if labels is None else ["label"]) + [f"pixel{i}" for i in range(n_pixels)]
    rows = [",".join(header)]
    for i, image in enumerate(images):
        values = ([] if labels is None else [str(labels[i])]) + [str(v) for v in image.ravel()]
        rows.append(",".join(values))
        if blank_lines and i % 2 == 0:
            rows.append("")
    text = newline.join(rows) + (newline if trailing_newline else "")
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def random_digits(n, seed=0, side=SIDE):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, side, side), dtype=np.uint8), rng.integers(0, 10, n)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n=st.integers(1, 12),
    seed=st.integers(0, 2**16),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    bom=st.booleans(),
    blank=st.booleans(),
    trailing=st.booleans(),
    labelled=st.booleans(),
)
def test_round_trip_through_every_variant(
    tmp_path, n, seed, newline, bom, blank, trailing, labelled
):
    images, labels = random_digits(n, seed)
    path = tmp_path / "digits.csv"
    path.write_bytes(csv_text(images, labels if labelled else None, newline, bom, blank, trailing))
    split = read_kaggle_csv(path)
    np.testing.assert_array_equal(split.images, images)
    if labelled:
        assert split.labels.dtype == np.int64
        np.testing.assert_array_equal(split.labels, labels)
    else:
        assert split.labels is None


def test_kaggle_size_header_and_shape(tmp_path):
    images, labels = random_digits(3, side=28)
    path = tmp_path / "train.csv"
    path.write_bytes(csv_text(images, labels))
    assert path.read_text().startswith("label,pixel0,pixel1,")
    split = read_kaggle_csv(path)
    assert split.images.shape == (3, 28, 28)
    np.testing.assert_array_equal(split.images, images)


def _write(tmp_path, text: str):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    return path


HEADER = "label," + ",".join(f"pixel{i}" for i in range(4))
ROW = "3,0,10,200,255"


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty file"),
        ("\n\n", "empty file"),
        (HEADER + "\n", "no data rows after the header"),
        (
            "label,pixel0,pixel2,pixel3,pixel4\n" + ROW,
            "line 1: column 3 is 'pixel2', expected 'pixel1'",
        ),
        ("id,pixel0,pixel1,pixel2,pixel3\n" + ROW, "line 1: column 1 is 'id', expected 'pixel0'"),
        ("label,pixel0,pixel1,pixel2\n3,0,0,0", "line 1: 3 pixel columns is not a square image"),
        ("label\n3", "line 1: 0 pixel columns is not a square image"),
        (f"{HEADER}\n{ROW}\n\n3,0,10,200\n", "line 4: 4 values, expected 5"),
        (f"{HEADER}\n{ROW}\n{ROW},7\n", "line 3: 6 values, expected 5"),
        (f"{HEADER}\n{ROW}\n3,0,256,0,0\n", "line 3: pixel value 256 is outside 0-255"),
        (f"{HEADER}\n{ROW}\n3,0,-1,0,0\n", "line 3: pixel value -1 is outside 0-255"),
        (f"{HEADER}\n{ROW}\n3,0,99999,0,0\n", "line 3, column 3: 99999 is outside 0-255"),
        (f"{HEADER}\n{ROW}\n3,0,abc,0,0\n", "line 3, column 3: 'abc' is not a whole number 0-255"),
        (f"{HEADER}\n{ROW}\n3,0,1.5,0,0\n", "line 3, column 3: '1.5' is not a whole number 0-255"),
        (f"{HEADER}\n{ROW}\n3,0,,0,0\n", "line 3, column 3: '' is not a whole number 0-255"),
        (f"{HEADER}\n{ROW}\n3,0,1#2,0,0\n", "line 3, column 3: '1#2' is not a whole number 0-255"),
        (f"{HEADER}\n{ROW}\n10,0,0,0,0\n", "line 3: label 10 is outside 0-9"),
        ("\n\n" + f"{HEADER}\r\n{ROW}\r\n\r\n-1,0,0,0,0\r\n", "line 6: label -1 is outside 0-9"),
    ],
)
def test_bad_files_name_the_file_and_line(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(DigitlabError) as err:
        read_kaggle_csv(path)
    assert str(err.value).startswith(str(path))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_non_utf8_header(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\xff\xfel\x00a\x00b\x00")
    with pytest.raises(DigitlabError, match="line 1: not UTF-8 text"):
        read_kaggle_csv(path)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.text(alphabet='0123456789,-+. \r\n\tax#"', max_size=60), raw=st.binary(max_size=30))
def test_arbitrary_bodies_raise_only_digitlab_error(tmp_path, body, raw):
    path = tmp_path / "fuzz.csv"
    for data in ((HEADER + "\n" + body).encode(), HEADER.encode() + b"\n" + raw):
        path.write_bytes(data)
        try:
            split = read_kaggle_csv(path)
        except DigitlabError:
            continue
        assert split.images.dtype == np.uint8 and split.images.shape[1:] == (2, 2)
        assert split.labels.min() >= 0 and split.labels.max() <= 9


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=80))
def test_arbitrary_files_raise_only_digitlab_error(tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    try:
        read_kaggle_csv(path)
    except DigitlabError:
        pass


def test_held_out_split_is_stratified_fixed_and_a_sixth(tmp_path):
    images, _ = random_digits(600)
    labels = np.repeat(np.arange(10), 60)
    path = tmp_path / "train.csv"
    path.write_bytes(csv_text(images, labels))
    data = load_csv_dataset(path)
    assert data.name == "train" and (len(data.train), len(data.test)) == (500, 100)
    assert np.bincount(data.test.labels).tolist() == [10] * 10
    again = load_dataset(str(path))
    np.testing.assert_array_equal(data.test.images, again.test.images)
    # train and test together are exactly the file's rows, none twice
    rows = {img.tobytes() for img in images}
    seen = [img.tobytes() for img in np.concatenate([data.train.images, data.test.images])]
    assert len(set(seen)) == len(seen) == 600 and set(seen) == rows


def test_unlabelled_csv_is_all_train_no_test(tmp_path):
    images, _ = random_digits(5)
    path = tmp_path / "test.csv"
    path.write_bytes(csv_text(images))
    data = load_csv_dataset(path)
    assert data.test is None and data.train.labels is None and len(data.train) == 5


def test_tiny_csv_still_splits(tmp_path):
    images, _ = random_digits(3)
    path = tmp_path / "t.csv"
    path.write_bytes(csv_text(images, [1, 2, 2]))
    data = load_csv_dataset(path)
    assert (len(data.train), len(data.test)) == (2, 1)
