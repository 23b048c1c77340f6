"""IDX parsing: every malformed file gives one DigitlabError; real MNIST loads exactly."""

from __future__ import annotations

import gzip
import struct
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitlab.data import load_dataset
from digitlab.data.idx import find_idx_files, load_idx_folder, parse_idx, read_idx
from digitlab.errors import DigitlabError


def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    """An IDX file written independently of the parser: struct header + raw payload."""
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    return header + array.astype(np.uint8).tobytes()


def write_idx_folder(folder, n_train=12, n_test=6, shape=(5, 4), gz=True, names=None, seed=0):
    """Four small IDX files; returns the arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, *shape), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, *shape), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for stem, array in arrays.items():
        name = (names or {}).get(stem, stem) + (".gz" if gz else "")
        data = idx_bytes(array)
        (folder / name).write_bytes(gzip.compress(data) if gz else data)
    return arrays


VALID = idx_bytes(np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4))


def test_parse_matches_the_written_array():
    images = np.random.default_rng(1).integers(0, 256, (7, 28, 28), dtype=np.uint8)
    parsed = parse_idx(idx_bytes(images), "x", rank=3)
    assert parsed.dtype == np.uint8 and parsed.shape == (7, 28, 28)
    np.testing.assert_array_equal(parsed, images)
    assert parsed.flags.writeable  # a copy, not a view on the caller's bytes


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x00\x00\x08", "shorter than the header"),
        (b"\x01\x02\x08\x03" + VALID[4:], "magic number starts 0102"),
        (b"\x00\x00\x0d\x03" + VALID[4:], "dtype code 0x0D (float32)"),
        (b"\x00\x00\x08\x00", "rank 0"),
        (VALID[:10], "truncated IDX header"),
        (VALID[:-1], "truncated: IDX dimensions 2 x 3 x 4 need 24 bytes of data, found 23"),
        (VALID + b"\x00", "has trailing bytes"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x00", "include a zero"),
        (b"\x00\x00\x08\x03" + b"\xff" * 12, f"need {(2**32 - 1) ** 3:,} bytes"),
    ],
)
def test_bad_headers_are_named(data, message):
    with pytest.raises(DigitlabError, match="^f.idx: .*") as err:
        parse_idx(data, "f.idx")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_rank_is_checked():
    with pytest.raises(DigitlabError, match="rank 3, expected 1"):
        parse_idx(VALID, "labels", rank=1)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_raise_only_digitlab_error(data):
    try:
        array = parse_idx(data, "random")
    except DigitlabError:
        return
    assert array.dtype == np.uint8 and array.size == len(data) - 4 - 4 * array.ndim


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40))
def test_random_bytes_after_a_valid_magic_raise_only_digitlab_error(tail):
    try:
        parse_idx(b"\x00\x00\x08\x03" + tail, "random")
    except DigitlabError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=60))
def test_random_gzip_streams_raise_only_digitlab_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("gz") / "random.gz"
    path.write_bytes(b"\x1f\x8b" + data)
    try:
        read_idx(path)
    except DigitlabError:
        pass


def test_every_truncation_of_a_valid_file_is_rejected(tmp_path):
    for cut in range(len(VALID)):
        with pytest.raises(DigitlabError):
            parse_idx(VALID[:cut], "cut")
    gz = gzip.compress(VALID)
    path = tmp_path / "cut.gz"
    for cut in range(len(gz)):
        path.write_bytes(gz[:cut])
        with pytest.raises(DigitlabError, match="cut.gz"):
            read_idx(path)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_every_single_byte_change_in_the_header_raises_or_parses(data):
    position = data.draw(st.integers(0, 15))
    value = data.draw(st.integers(0, 255))
    changed = bytearray(VALID)
    changed[position] = value
    try:
        array = parse_idx(bytes(changed), "changed")
    except DigitlabError:
        return
    assert array.size == len(VALID) - 4 - 4 * array.ndim


def test_load_folder_round_trip_gz_and_raw(tmp_path):
    for gz in (True, False):
        arrays = write_idx_folder(tmp_path / str(gz), gz=gz)
        data = load_idx_folder(tmp_path / str(gz), name="tiny")
        assert data.name == "tiny"
        np.testing.assert_array_equal(data.train.images, arrays["train-images-idx3-ubyte"])
        np.testing.assert_array_equal(data.test.labels, arrays["t10k-labels-idx1-ubyte"])
        assert data.train.labels.dtype == np.int64


def test_naming_variants_are_found(tmp_path):
    kaggle = {
        "train-images-idx3-ubyte": "train-images.idx3-ubyte",
        "t10k-images-idx3-ubyte": "t10k-images.idx3-ubyte",
        "train-labels-idx1-ubyte": "train-labels.idx1-ubyte",
        "t10k-labels-idx1-ubyte": "test-labels-idx1-ubyte",
    }
    arrays = write_idx_folder(tmp_path, gz=False, names=kaggle)
    files = find_idx_files(tmp_path)
    assert sorted(files) == ["test_images", "test_labels", "train_images", "train_labels"]
    data = load_idx_folder(tmp_path)
    np.testing.assert_array_equal(data.test.images, arrays["t10k-images-idx3-ubyte"])


def test_emnist_images_are_transposed_upright(tmp_path):
    names = {
        stem: "emnist-digits-" + stem.replace("t10k", "test")
        for stem in (
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
        )
    }
    arrays = write_idx_folder(tmp_path, names=names)
    data = load_idx_folder(tmp_path)
    np.testing.assert_array_equal(
        data.train.images, arrays["train-images-idx3-ubyte"].transpose(0, 2, 1)
    )


def test_folder_errors(tmp_path):
    write_idx_folder(tmp_path / "missing")
    (tmp_path / "missing" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DigitlabError, match="missing IDX files for test labels"):
        load_idx_folder(tmp_path / "missing")

    write_idx_folder(tmp_path / "count", gz=False)
    (tmp_path / "count" / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(5, np.uint8)))
    with pytest.raises(DigitlabError, match="5 labels for 6 images in t10k-images-idx3-ubyte"):
        load_idx_folder(tmp_path / "count")

    write_idx_folder(tmp_path / "label", gz=False)
    (tmp_path / "label" / "t10k-labels-idx1-ubyte").write_bytes(
        idx_bytes(np.array([0, 1, 10, 3, 4, 5]))
    )
    with pytest.raises(DigitlabError, match="label 10 at index 2; digit labels are 0-9"):
        load_idx_folder(tmp_path / "label")

    write_idx_folder(tmp_path / "shape", gz=False)
    (tmp_path / "shape" / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((6, 4, 4))))
    with pytest.raises(DigitlabError, match="train images are 5 x 4 but test images are 4 x 4"):
        load_idx_folder(tmp_path / "shape")

    write_idx_folder(tmp_path / "swapped", gz=False)
    (tmp_path / "swapped" / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros((12, 5, 4))))
    with pytest.raises(DigitlabError, match="train-labels-idx1-ubyte: IDX rank 3, expected 1"):
        load_idx_folder(tmp_path / "swapped")


def test_ambiguous_files_are_refused(tmp_path):
    write_idx_folder(tmp_path, gz=False)
    (tmp_path / "test-images-idx3-ubyte").write_bytes(b"")
    with pytest.raises(DigitlabError, match="several files could be the test images"):
        find_idx_files(tmp_path)


def test_folder_path_goes_through_the_dispatcher(tmp_path):
    write_idx_folder(tmp_path / "mine")
    assert load_dataset(str(tmp_path / "mine")).name == "mine"


# the published MNIST class counts, an independent oracle for the parser
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_real_mnist(mnist_dir):
    start = time.perf_counter()
    data = load_dataset("mnist", data_dir=mnist_dir, download=False)
    seconds = time.perf_counter() - start
    assert (len(data.train), len(data.test)) == (60000, 10000)
    assert data.train.images.shape == (60000, 28, 28) and data.test.images.shape == (10000, 28, 28)
    assert data.train.images.dtype == np.uint8 and data.train.labels.dtype == np.int64
    assert data.train.images.mean() / 255 == pytest.approx(0.1307, abs=5e-5)
    assert data.test.images.mean() / 255 == pytest.approx(0.1325, abs=5e-5)
    assert np.bincount(data.train.labels).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(data.test.labels).tolist() == MNIST_TEST_COUNTS
    # about 1 s unloaded (gunzip + MD5 of all four files); generous for a shared machine
    assert seconds < 10
