"""One picture of one digit -> model input, with the reasons it may be wrong.

`prepare(image, shape)` runs decode -> find ink -> frame and returns a
`Prepared`: the pixels the model will see, whether there is a digit at all,
and warnings a person can act on ("digit touches the border"). "No digit"
is decided here from the picture alone (blank paper, noise, a few specks);
whether the marks look like a *digit* is the classifier's call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from digitlab.data.decode import MAX_PIXELS, load_grey
from digitlab.preprocess.frame import frame_digit
from digitlab.preprocess.ink import Ink, find_ink
from digitlab.preprocess.page import find_page

MIN_CONTRAST = 0.08  # ink vs paper on a 0-1 scale: below this the page is blank
LOW_CONTRAST = 0.2  # worth a warning
MIN_SEPARABILITY = 0.7  # Otsu's explained variance; Gaussian noise gives ~0.64...
MIN_APART = 0.8  # ...unless the ink splits this cleanly from a lighter grey between (`otsu.ink_apart`)
MAX_INK_SHARE = 0.4  # ink is the minority of a picture of a digit...
MAX_SOLID_SHARE = 0.6  # ...unless it is cropped to a thick digit: then solid strokes may cover this much
MIN_SOLID_SEPARABILITY = 0.8  # solid strokes split cleanly from paper (see `solid_strokes`)
MIN_SOLID_INTERIOR = 0.7  # ...and most of their pixels are not on the mask's edge
FILLED_ASPECT = 0.6  # a digit stretched to fill its frame is narrowed to this width / height at most
MIN_EXTENT = 0.04  # the marks must span at least this share of the picture's longer side
MAX_BLOBS = 24  # more separate marks than a line of 8 broken digits: speckle noise
MIN_MAIN_BLOB = 0.3  # one digit's largest stroke holds at least this share of its ink


@dataclass
class Prepared:
    """What `prepare` found.

    input : uint8 (H, W) white-on-black model input (zeros when no digit).
    has_digit : bool, False for blank paper, noise or specks.
    warnings : list[str], problems a person can fix.
    box : (x0, y0, x1, y1) of the ink in the original picture's pixels, or None.
    ink : the `Ink` stage (for the inspector and the segmenter).
    grey : float32 (H, W), the decoded picture.
    page : (x0, y0, x1, y1) of the sheet the ink was looked for on (`find_page`), or None for the
        whole picture.
    as_given : True when `input` is the picture itself, already the model's size (the reader's
        choice, `Reader.prepare`), not the ink found in it.
    """

    input: np.ndarray
    has_digit: bool
    warnings: list = field(default_factory=list)
    box: tuple | None = None
    ink: Ink | None = None
    grey: np.ndarray | None = None
    page: tuple | None = None
    as_given: bool = False


def prepare(image, shape=(28, 28), deskew: bool = False, max_pixels: int = MAX_PIXELS,
            dark_ink: bool | None = None) -> Prepared:
    """Decode `image` (bytes, path, PIL image or array) and make the model's input.

    `dark_ink` says which side is ink; None decides from the picture (`ink_side`).
    Raises `DigitlabError` for anything that is not a readable picture.
    """
    grey = load_grey(image, max_pixels=max_pixels)
    page = find_page(grey)  # a photo of a sheet on a desk: the ink is looked for on the sheet
    left, top, right, bottom = page or (0, 0, grey.shape[1], grey.shape[0])
    ink = find_ink(grey[top:bottom, left:right], dark_ink)
    reason = no_digit_reason(ink, single=True)
    if reason:
        return Prepared(np.zeros(shape, np.uint8), False, [reason], None, ink, grey, page)
    warnings = describe(ink, (bottom - top, right - left))
    aspect = FILLED_ASPECT if fills_frame(ink.mask) else None
    pixels = frame_digit(ink.ink, ink.mask, shape, deskew=deskew, max_aspect=aspect)
    x0, y0, x1, y1 = ink_box(ink.mask, ink.scale, (bottom - top, right - left))
    return Prepared(pixels, True, warnings, (x0 + left, y0 + top, x1 + left, y1 + top), ink, grey, page)


def no_digit_reason(ink: Ink, single: bool = False) -> str | None:
    """Why a picture holds no digit, or None when it may hold one.

    `single`: the picture should hold one digit (not a line of them), so ink
    scattered over many similar blobs is noise rather than writing.
    """
    if not ink.mask.any() or ink.contrast < MIN_CONTRAST:
        return "no ink found (blank or nearly blank image)"
    if ink.mask.mean() > (MAX_SOLID_SHARE if solid_strokes(ink) else MAX_INK_SHARE):
        return "no digit: ink covers most of the image (noise or texture?)"
    if ink.separability < MIN_SEPARABILITY and ink.apart < MIN_APART:
        return "no digit: no clear strokes (looks like noise)"
    rows, cols = np.nonzero(ink.mask)
    extent = max(np.ptp(rows) + 1, np.ptp(cols) + 1) / max(ink.mask.shape)
    if extent < MIN_EXTENT:
        return "no digit: only tiny specks"
    labels, blobs = ndimage.label(ink.mask, structure=np.ones((3, 3)))
    if blobs > MAX_BLOBS:
        return f"no digit: {blobs} scattered specks (noise?)"
    if single and blobs > 3 and np.bincount(labels.ravel())[1:].max() < MIN_MAIN_BLOB * ink.mask.sum():
        return f"no digit: ink scattered over {blobs} blobs (noise? for a number, use digitlab read)"
    return None


def solid_strokes(ink: Ink) -> bool:
    """Is the ink thick, clean strokes (a tightly cropped scan) rather than noise or texture?

    A digit cropped to its box with a thick pen (USPS, Semeion) covers 40-50%
    of the picture, as thresholded noise does; but its strokes are solid
    (most ink pixels lie inside a stroke, not on its edge) and split cleanly
    from the paper. Measured on pictures with over 40% ink: 110 noise images
    (digitlab.data.synth.noise) had separability <= 0.74 and interior <= 0.70;
    118 USPS and Semeion scans >= 0.81 and >= 0.70.
    """
    interior = ndimage.binary_erosion(ink.mask).sum() / max(int(ink.mask.sum()), 1)
    return ink.separability >= MIN_SOLID_SEPARABILITY and interior >= MIN_SOLID_INTERIOR


def fills_frame(mask: np.ndarray) -> bool:
    """True when the ink touches all four sides: the picture was cropped, maybe stretched, to the digit."""
    return bool(mask[0].any() and mask[-1].any() and mask[:, 0].any() and mask[:, -1].any())


def describe(ink: Ink, original_shape) -> list[str]:
    """Warnings about a picture that does hold ink."""
    warnings = []
    if min(original_shape) < 8:
        warnings.append(f"image is very small ({original_shape[1]}x{original_shape[0]} pixels)")
    if ink.contrast < LOW_CONTRAST:
        warnings.append(f"very low contrast ({ink.contrast:.2f})")
    mask = ink.mask
    if mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any():
        warnings.append("digit touches the border (it may be cut off)")
    _, blobs = ndimage.label(mask, structure=np.ones((3, 3)))
    if blobs > 1:
        warnings.append(f"{blobs} separate blobs (broken strokes, or more than one digit? "
                        "for a number, use digitlab read)")
    return warnings


def ink_box(mask: np.ndarray, scale: float, original_shape) -> tuple[int, int, int, int]:
    """Bounding box (x0, y0, x1, y1), x1/y1 exclusive, in original pixels."""
    rows, cols = np.nonzero(mask)
    height, width = original_shape
    return (int(cols.min() * scale), int(rows.min() * scale),
            min(width, int(np.ceil((cols.max() + 1) * scale))),
            min(height, int(np.ceil((rows.max() + 1) * scale))))
