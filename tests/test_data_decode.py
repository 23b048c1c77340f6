"""Decoding people's files: every format, orientation, mode, and every kind of bad file."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from digitlab.errors import DigitlabError
from digitlab.preprocess import load_grey, prepare


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def bar_image(size=(40, 60)) -> Image.Image:
    """Dark vertical bar on white paper, 10 px wide, off to the left: orientation is visible."""
    pixels = np.full(size[::-1], 255, np.uint8)
    pixels[10:50, 5:15] = 0
    return Image.fromarray(pixels)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP"])
def test_every_format_decodes_to_the_same_picture(fmt):
    original = bar_image()
    grey = load_grey(encode(original.convert("RGB"), fmt))
    assert grey.shape == (60, 40) and grey.dtype == np.float32
    # lossy formats may blur edges; the bar and the paper must survive
    assert grey[30, 10] < 0.15 and grey[30, 30] > 0.85


def test_exif_orientation_is_applied():
    image = bar_image().convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    grey = load_grey(encode(image, "JPEG", exif=exif.tobytes(), quality=95))
    assert grey.shape == (40, 60)  # width and height swapped
    # rotated clockwise: the bar that was on the left is now at the top
    assert grey[10, 30] < 0.15 and grey[30, 30] > 0.85


def test_transparent_drawing_is_flattened_on_white():
    rgba = np.zeros((30, 30, 4), np.uint8)  # fully transparent black...
    rgba[10:20, 10:20] = (0, 0, 0, 255)  # ...with an opaque black stroke
    grey = load_grey(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert grey[0, 0] == pytest.approx(1.0) and grey[15, 15] == pytest.approx(0.0)
    assert np.allclose(load_grey(rgba), grey)  # arrays get the same treatment


def test_light_strokes_on_transparent_are_laid_on_black():
    """Regression: white ink on a transparent canvas was flattened on white paper and vanished."""
    rgba = np.zeros((30, 30, 4), np.uint8)
    rgba[10:20, 10:20] = (255, 255, 255, 255)
    grey = load_grey(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert grey[0, 0] == pytest.approx(0.0) and grey[15, 15] == pytest.approx(1.0)


def test_a_folder_image_and_a_predicted_file_decode_alike(tmp_path):
    """One decoder: the image-folder loader reads the pixels `predict` reads (inverted to white on black)."""
    from digitlab.data.imagefolder import read_digit_image

    rgba = np.zeros((30, 30, 4), np.uint8)
    rgba[5:25, 12:16] = (20, 20, 20, 200)  # a half-transparent dark stroke on a transparent canvas
    path = tmp_path / "canvas.png"
    Image.fromarray(rgba, "RGBA").save(path)
    assert np.abs(read_digit_image(path).astype(float) - (1 - load_grey(path)) * 255).max() <= 0.5


def test_sixteen_bit_png_keeps_its_range():
    pixels = np.full((20, 20), 65535, np.uint16)
    pixels[5:15, 8:12] = 1000
    grey = load_grey(encode(Image.fromarray(pixels), "PNG"))
    assert grey[0, 0] == pytest.approx(1.0) and grey[10, 10] == pytest.approx(1000 / 65535, abs=1e-4)


def test_cmyk_jpeg_matches_its_rgb_version():
    rgb = bar_image().convert("RGB")
    grey = load_grey(encode(rgb.convert("CMYK"), "JPEG", quality=95))
    assert np.abs(grey - load_grey(encode(rgb, "JPEG", quality=95))).mean() < 0.05


def test_animated_gif_reads_its_first_frame():
    first, second = bar_image(), Image.fromarray(np.full((60, 40), 255, np.uint8))
    data = encode(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)
    assert load_grey(data)[30, 10] < 0.15


def test_array_dtypes_agree():
    pixels = np.asarray(bar_image())
    expected = load_grey(pixels)
    assert np.allclose(load_grey(pixels.astype(np.float64) / 255), expected)
    assert np.allclose(load_grey(pixels.astype(np.uint16) * 257), expected, atol=1e-6)
    assert np.allclose(load_grey(pixels > 128), expected)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (no pixel data): a bomb's disguise."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


@pytest.mark.parametrize("data, message", [
    (b"hello, not an image", "not an image"),
    (encode(bar_image(), "PNG")[:80], "damaged or truncated"),
    (png_header_only(7000, 7000), "7000x7000 pixels, over the limit of 40 megapixels"),
    (png_header_only(20000, 20000), "too many pixels"),  # Pillow's own bomb check fires first
    (png_header_only(0, 0), "image"),
])
def test_bad_files_are_one_line_errors(data, message):
    with pytest.raises(DigitlabError, match=message) as caught:
        load_grey(data)
    assert "\n" not in str(caught.value)


def test_bad_arrays_and_paths(tmp_path):
    with pytest.raises(DigitlabError, match="empty"):
        load_grey(np.zeros((0, 0), np.uint8))
    with pytest.raises(DigitlabError, match="NaN"):
        load_grey(np.full((4, 4), np.nan))
    with pytest.raises(DigitlabError, match="no such file"):
        load_grey(tmp_path / "missing.png")
    with pytest.raises(DigitlabError, match="shaped"):
        load_grey(np.zeros((4, 4, 2)))


def test_tiny_and_inkless_images_have_no_digit():
    for pixels in (np.zeros((1, 1), np.uint8), np.full((50, 50), 255, np.uint8), np.full((3, 7), 90, np.uint8)):
        prepared = prepare(pixels)
        assert not prepared.has_digit and prepared.input.shape == (28, 28) and not prepared.input.any()
