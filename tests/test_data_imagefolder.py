"""Image folders: lossless formats give back the exact pixels, ink on paper is inverted,
mixed sizes become 28 x 28, unreadable files are named."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from digitlab.data import load_dataset
from digitlab.data.imagefolder import load_image_folder, read_digit_image
from digitlab.errors import DigitlabError


def _digit(seed: int, size=(12, 10)) -> np.ndarray:
    """A white stroke on black, a dark border as in MNIST."""
    rng = np.random.default_rng(seed)
    image = np.zeros(size, np.uint8)
    image[2:-2, 3:-3] = rng.integers(100, 256, (size[0] - 4, size[1] - 6))
    return image


def _tree(root, per_class=3, ext=".png", transform=lambda a: a):
    originals = {}
    for digit in range(10):
        (root / str(digit)).mkdir(parents=True)
        for k in range(per_class):
            image = _digit(digit * 100 + k)
            path = root / str(digit) / f"{k}{ext}"
            Image.fromarray(transform(image)).save(path)
            originals[path] = (image, digit)
    return originals


def _all(data):
    images = np.concatenate([data.train.images, data.test.images])
    labels = np.concatenate([data.train.labels, data.test.labels])
    return images, labels


@pytest.mark.parametrize("ext", [".png", ".bmp"])
def test_lossless_files_round_trip_with_a_stratified_holdout(tmp_path, ext):
    originals = _tree(tmp_path / "set", per_class=6, ext=ext)
    data = load_dataset(str(tmp_path / "set"))
    assert data.name == "set" and (len(data.train), len(data.test)) == (50, 10)
    assert np.bincount(data.test.labels).tolist() == [1] * 10
    images, labels = _all(data)
    got = sorted((img.tobytes(), int(lab)) for img, lab in zip(images, labels))
    want = sorted((img.tobytes(), lab) for img, lab in originals.values())
    assert got == want


def test_dark_ink_on_light_paper_is_inverted(tmp_path):
    originals = _tree(tmp_path / "paper", transform=lambda a: 255 - a)
    for path, (image, _) in originals.items():
        np.testing.assert_array_equal(read_digit_image(path), image)


def test_rgb_jpeg_is_grey_and_close(tmp_path):
    image = _digit(1, size=(28, 28))
    path = tmp_path / "d.jpg"
    Image.fromarray(np.stack([255 - image] * 3, axis=-1)).save(path, quality=95)
    got = read_digit_image(path)
    assert got.dtype == np.uint8 and got.shape == (28, 28)
    assert np.abs(got.astype(int) - image).mean() < 8  # JPEG is lossy; polarity and place kept


def test_transparent_canvas_export(tmp_path):
    image = _digit(2)
    rgba = np.zeros((*image.shape, 4), np.uint8)  # black ink, alpha = ink strength
    rgba[..., 3] = image
    path = tmp_path / "canvas.png"
    Image.fromarray(rgba, "RGBA").save(path)
    got = read_digit_image(path)
    assert np.abs(got.astype(int) - image).max() <= 1


def test_mixed_sizes_become_28_by_28_keeping_aspect(tmp_path):
    root = tmp_path / "mixed"
    for digit, size in ((0, (40, 20)), (1, (12, 10)), (0, (28, 28)), (1, (9, 30))):
        (root / str(digit)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(_digit(digit, size)).save(root / str(digit) / f"{size[0]}x{size[1]}.png")
    data = load_image_folder(root)
    images, _ = _all(data)
    assert images.shape == (4, 28, 28)
    tall = load_image_folder(root, size=14)
    assert tall.image_shape == (14, 14)
    # a 40 x 20 picture is padded to 40 x 40 first: its ink stays in the middle columns
    one = np.asarray(Image.fromarray(_digit(0, (40, 20))))
    padded = np.zeros((40, 40), np.uint8)
    padded[:, 10:30] = one
    expected = np.asarray(Image.fromarray(padded).resize((28, 28), Image.LANCZOS))
    assert any(np.array_equal(img, expected) for img in images)


def test_train_and_test_folders_are_the_official_split(tmp_path):
    _tree(tmp_path / "split" / "train", per_class=2)
    _tree(tmp_path / "split" / "test", per_class=1)
    data = load_image_folder(tmp_path / "split")
    assert (len(data.train), len(data.test)) == (20, 10)


def test_errors_name_the_file(tmp_path):
    _tree(tmp_path / "broken", per_class=1)
    (tmp_path / "broken" / "3" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(DigitlabError, match=r"broken/3/bad.png: not an image Pillow can read"):
        load_image_folder(tmp_path / "broken")

    (tmp_path / "named" / "seven").mkdir(parents=True)
    with pytest.raises(DigitlabError, match="named/seven: class folders must be named 0-9"):
        load_image_folder(tmp_path / "named")

    (tmp_path / "empty" / "1").mkdir(parents=True)
    (tmp_path / "empty" / "1" / "notes.txt").write_text("not an image")
    with pytest.raises(DigitlabError, match="empty: no images found"):
        load_image_folder(tmp_path / "empty")


def test_pixel_cap(tmp_path):
    path = tmp_path / "big.png"
    Image.new("L", (300, 200)).save(path)
    with pytest.raises(
        DigitlabError, match=r"big.png: image is 300x200 pixels, over the limit of 0.05 megapixels"
    ):
        read_digit_image(path, max_pixels=50_000)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.binary(max_size=200), st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"BM", b"\xff\xd8\xff"])
)
def test_random_bytes_raise_only_digitlab_error(tmp_path, data, magic):
    path = tmp_path / "fuzz.png"
    path.write_bytes(magic + data)
    try:
        image = read_digit_image(path)
    except DigitlabError:
        return
    assert image.dtype == np.uint8 and image.ndim == 2
