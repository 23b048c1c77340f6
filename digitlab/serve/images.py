"""Turn an uploaded base64 string into image bytes we are willing to decode.

Two checks happen before any pixel is decoded: the text must be valid base64,
and the image header's width x height must stay under a pixel cap. The header
check is what stops a decompression bomb: a 50 kB PNG can declare
100,000 x 100,000 pixels and would need 10 GB once decoded; reading its header
costs nothing.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings

from PIL import Image, UnidentifiedImageError

from digitlab.errors import DigitlabError

DEFAULT_MAX_PIXELS = 24_000_000  # a 24-megapixel phone photo; the page shrinks its uploads first


def decode_base64(text: str) -> bytes:
    """The bytes in `text`, which may be a `data:image/...;base64,` URL."""
    if text.startswith("data:"):
        _, sep, text = text.partition(",")
        if not sep:
            raise DigitlabError("image: a data: URL needs a comma before its base64 payload")
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DigitlabError(f"image: not valid base64 ({exc})") from None
    if not data:
        raise DigitlabError("image: empty")
    return data


def image_size(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[int, int]:
    """(width, height) from the header of the image in `data`, refusing one over `max_pixels`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise DigitlabError(f"image: declares more pixels than the cap of {max_pixels:,}") from None
    except UnidentifiedImageError:
        raise DigitlabError("image: not a picture Pillow can read (PNG, JPEG, GIF, BMP, WebP, TIFF)") from None
    except Exception as exc:  # noqa: BLE001 - any header Pillow chokes on is a bad file, not our bug
        raise DigitlabError(f"image: unreadable ({type(exc).__name__}: {exc})") from None
    if width < 1 or height < 1:
        raise DigitlabError(f"image: has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise DigitlabError(
            f"image: {width}x{height} is {width * height:,} pixels, over the cap of {max_pixels:,}")
    return width, height
