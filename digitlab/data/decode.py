"""Any picture a user has -> one grey float image, or one clear error.

Pillow does the decoding (PNG, JPEG, BMP, GIF, TIFF, WebP). Around it we add
what photos and scans need: a pixel cap checked *before* pixels are decoded
(a 100 kB PNG can claim to be 50,000 x 50,000), the EXIF orientation a phone
records instead of rotating the pixels, transparency flattened onto the
paper that contrasts with the ink (a canvas drawing is dark strokes on
transparent, and some exports are light strokes on transparent), 16-bit and
CMYK modes, and the first frame of an animated GIF.

This is the one decoder: training on a folder of images and predicting on a
file read the same pixels from it.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from digitlab.errors import DigitlabError

MAX_PIXELS = 40_000_000  # a 40-megapixel phone photo is the largest we accept


def load_grey(source, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode `source` into a grey image.

    Parameters
    ----------
    source : bytes, str, Path, PIL.Image.Image or np.ndarray
        Encoded file bytes, a file path, a Pillow image, or pixels shaped
        (H, W), (H, W, 3) or (H, W, 4) (uint8 0-255, uint16, bool, or floats
        in [0, 1]).
    max_pixels : int
        Refuse larger images before decoding them.

    Returns
    -------
    np.ndarray
        float32 (H, W) in [0, 1], 0 black and 1 white, as the picture shows it.
    """
    if isinstance(source, np.ndarray):
        return _array_to_grey(source, max_pixels)
    if isinstance(source, Image.Image):
        return _pil_to_grey(source, "image", max_pixels)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _decode(io.BytesIO(bytes(source)), "image", max_pixels)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise DigitlabError(f"{path}: no such file")
        with open(path, "rb") as f:
            return _decode(f, str(path), max_pixels)
    raise DigitlabError(f"cannot read an image from a {type(source).__name__}")


def _decode(stream, name: str, max_pixels: int) -> np.ndarray:
    """Open lazily (header only), check the size, then decode."""
    try:
        with warnings.catch_warnings():
            # Pillow warns at half its bomb limit; our own cap below is the rule
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                _check_size(image.size, name, max_pixels)
                image.seek(0)  # first frame of an animated GIF/WebP/TIFF
                image.load()
                return _pil_to_grey(image, name, max_pixels)
    except Image.DecompressionBombError as exc:
        raise DigitlabError(f"{name}: refused, too many pixels ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise DigitlabError(f"{name}: not an image Pillow can read") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        if isinstance(exc, DigitlabError):
            raise
        raise DigitlabError(f"{name}: damaged or truncated image ({exc})") from exc


def _check_size(size, name: str, max_pixels: int) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise DigitlabError(f"{name}: image is empty ({width}x{height} pixels)")
    if width * height > max_pixels:
        raise DigitlabError(f"{name}: image is {width}x{height} pixels, over the limit of "
                            f"{max_pixels / 1e6:g} megapixels")


def _pil_to_grey(image: Image.Image, name: str, max_pixels: int) -> np.ndarray:
    _check_size(image.size, name, max_pixels)
    image = ImageOps.exif_transpose(image)  # phones store "rotate me" instead of rotating
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return _array_to_grey(np.asarray(image), max_pixels, name)
    if image.mode == "P" or "A" in image.getbands() or "transparency" in image.info:
        image = image.convert("RGBA")  # _array_to_grey lays it on paper
    elif image.mode not in ("L", "RGB"):
        image = image.convert("RGB")  # CMYK, YCbCr, 1-bit, LAB...
    return _array_to_grey(np.asarray(image), max_pixels, name)


def _on_paper(rgba: np.ndarray) -> np.ndarray:
    """Straight alpha (H, W, 4) in [0, 1] -> RGB (H, W, 3) on the paper that contrasts with the ink.

        rgb = colour * alpha + paper * (1 - alpha)

    The ink is what is opaque; paper is white under dark ink, black under light ink.
    """
    alpha = rgba[:, :, 3:]
    ink = float((rgba[:, :, :3].mean(axis=2, keepdims=True) * alpha).sum() / max(float(alpha.sum()), 1e-6))
    paper = 1.0 if ink < 0.5 or not alpha.any() else 0.0
    return rgba[:, :, :3] * alpha + paper * (1.0 - alpha)


def _array_to_grey(pixels: np.ndarray, max_pixels: int, name: str = "image") -> np.ndarray:
    pixels = np.asarray(pixels)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] not in (3, 4)):
        raise DigitlabError(f"{name}: expected pixels shaped (H, W), (H, W, 3) or (H, W, 4), "
                            f"got {pixels.shape}")
    _check_size(pixels.shape[1::-1], name, max_pixels)
    values = _unit_range(pixels, name)
    if values.ndim == 3:
        if values.shape[2] == 4:
            values = _on_paper(values)
        # ITU-R 601 luma, the weights Pillow's convert("L") uses
        values = values @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.ascontiguousarray(values, dtype=np.float32)


def _unit_range(pixels: np.ndarray, name: str) -> np.ndarray:
    """Any pixel dtype -> float32 in [0, 1]."""
    if pixels.dtype == np.bool_:
        return pixels.astype(np.float32)
    if pixels.dtype == np.uint8:
        return pixels.astype(np.float32) / 255.0
    if pixels.dtype == np.uint16:
        return pixels.astype(np.float32) / 65535.0
    if np.issubdtype(pixels.dtype, np.integer):  # Pillow's "I" mode holds 16-bit PNGs as int32
        top = 65535.0 if pixels.max(initial=0) > 255 else 255.0
        return np.clip(pixels.astype(np.float32) / top, 0.0, 1.0)
    if np.issubdtype(pixels.dtype, np.floating):
        if not np.all(np.isfinite(pixels)):
            raise DigitlabError(f"{name}: pixels contain NaN or infinity")
        top = 255.0 if pixels.max(initial=0) > 1.0 else 1.0  # 0-255 floats are common too
        return np.clip(pixels.astype(np.float32) / top, 0.0, 1.0)
    raise DigitlabError(f"{name}: unsupported pixel type {pixels.dtype}")
