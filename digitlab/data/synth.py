"""Synthetic photos of handwriting, made from MNIST digits (for the reading benchmarks and tests).

Each MNIST digit is re-drawn the way a phone or scanner sees a digit on paper:
dark ink in one of several colours on paper-coloured backgrounds, uneven
lighting, sensor noise, blur, JPEG compression, off-centre placement, digit
heights from 20 to 400 px, rotation up to 15 degrees, thick and thin strokes,
and some chalk-on-blackboard (light on dark). Also lines of several digits
(varied spacing, some touching) and things that are not digits: blank paper,
noise, letters rendered from a font, random scribbles.

All functions take a `np.random.Generator` and return uint8 RGB (H, W, 3).
"""

from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from digitlab.data.idx import read_idx

INKS = [(20, 20, 25), (25, 35, 120), (120, 20, 25), (20, 80, 40), (70, 70, 75)]  # black, blue, red, green, pencil
PRINTS = [(140, 175, 225), (150, 150, 155), (220, 130, 130), (140, 195, 150), (90, 90, 95)]  # blue, grey, red, green; dark: a photocopy
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
LOOKALIKES = set("OoDQIlijLSsZzBbgqGTt")  # letters a digit model may fairly read as 0, 1, 5, 2, 8, 9, 6, 7


def ink_alpha(digit: np.ndarray, height: int, rng, rotate: float = 15.0) -> np.ndarray:
    """MNIST uint8 (28, 28) -> float alpha (h, w) at `height` px per 28-px frame, rotated, re-stroked."""
    alpha = digit.astype(np.float32) / 255.0
    factor = height / 20.0  # MNIST's 20-px box becomes `height` px
    alpha = ndimage.zoom(alpha, factor, order=1)
    alpha = ndimage.rotate(alpha, rng.uniform(-rotate, rotate), reshape=True, order=1)
    radius = round(rng.uniform(-0.6, 1.0) * factor * 0.5)  # thin (erode) or thick (dilate) pen
    if radius > 0:
        alpha = ndimage.grey_dilation(alpha, size=(2 * radius + 1,) * 2)
    elif radius < 0 and factor >= 3:
        alpha = ndimage.grey_erosion(alpha, size=(2 * -radius + 1,) * 2)
    return np.clip(alpha, 0.0, 1.0)


def on_paper(alpha: np.ndarray, rng, canvas=None, dark_ink=None, printed=None) -> np.ndarray:
    """Composite alpha onto paper with lighting, noise, blur and JPEG; uint8 RGB.

    `printed`: float (h, w) alpha of the paper's own lines (`ruled`), drawn
    under the ink in a print colour; dark ink only.
    """
    if dark_ink is None:
        dark_ink = rng.random() > 0.1
    if canvas is None:
        canvas = alpha
    h, w = canvas.shape
    if dark_ink:
        paper = np.array([rng.uniform(190, 255), rng.uniform(185, 250), rng.uniform(160, 245)])
        ink = np.array(INKS[rng.integers(len(INKS))], dtype=float)
    else:  # chalk on a blackboard
        paper = np.array([rng.uniform(20, 60), rng.uniform(30, 70), rng.uniform(20, 50)])
        ink = np.array([rng.uniform(200, 250)] * 3)
    if printed is not None:
        print_colour = np.array(PRINTS[rng.integers(len(PRINTS))], dtype=float)
        paper = paper * (1 - printed[:, :, None]) + print_colour * printed[:, :, None]
    a = canvas[:, :, None] * rng.uniform(0.75, 1.0)
    image = paper * (1 - a) + ink * a
    image = image * lighting((h, w), rng)[:, :, None]
    image = ndimage.gaussian_filter(image, sigma=(rng.uniform(0, 0.4) * max(1, min(h, w) / 60), ) * 2 + (0,))
    image = image + rng.normal(0, rng.uniform(0, 10), image.shape)
    image = np.clip(image, 0, 255).astype(np.uint8)
    return jpeg(image, int(rng.integers(30, 95))) if rng.random() < 0.7 else image


def lighting(shape, rng) -> np.ndarray:
    """A smooth brightness field in about [0.55, 1]: a gradient plus a soft spot."""
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w]
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xs / max(w, 1) + np.sin(angle) * ys / max(h, 1))
    ramp = (ramp - ramp.min()) / max(np.ptp(ramp), 1e-6)
    field = 1.0 - rng.uniform(0, 0.35) * ramp
    cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(0.3, 1.0) * max(h, w)
    field -= rng.uniform(0, 0.1) * np.exp(-((ys - cy) ** 2 + (xs - cx) ** 2) / (2 * r * r))
    return field


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def place(alpha: np.ndarray, rng, margin=(0.15, 1.2)) -> np.ndarray:
    """Put alpha on a larger canvas at a random (off-centre) position."""
    h, w = alpha.shape
    size = max(h, w)
    canvas = np.zeros((h + int(rng.uniform(*margin) * size) + 2, w + int(rng.uniform(*margin) * size) + 2),
                      dtype=np.float32)
    top = rng.integers(1, canvas.shape[0] - h)
    left = rng.integers(1, canvas.shape[1] - w)
    canvas[top: top + h, left: left + w] = alpha
    return canvas


def photo(digit: np.ndarray, rng) -> np.ndarray:
    """One MNIST digit as a synthetic photo, uint8 RGB."""
    height = int(np.exp(rng.uniform(np.log(20), np.log(400))))
    return on_paper(place(ink_alpha(digit, height, rng), rng), rng)


def on_desk(picture: np.ndarray, rng) -> np.ndarray:
    """A photo of a note lying on a desk: `picture` (uint8 RGB, the sheet) framed by a darker, grainy
    surface showing 0-30% of the sheet's height or width on each side; uint8 RGB."""
    height, width = picture.shape[:2]
    top, bottom = (rng.uniform(0, 0.3, 2) * height).astype(int)
    left, right = (rng.uniform(0, 0.3, 2) * width).astype(int)
    desk = np.empty((height + top + bottom, width + left + right, 3))
    desk[:] = rng.uniform(20, 110, 3)  # a colour darker than paper
    desk += rng.normal(0, 6, desk.shape)
    desk[top: top + height, left: left + width] = picture
    return np.clip(desk, 0, 255).astype(np.uint8)


def photo_on_lined_paper(digit: np.ndarray, rng, squared: bool = False) -> np.ndarray:
    """One MNIST digit written on ruled (or squared) paper, photographed; uint8 RGB.

    Ruled lines are 1.1-1.6 digit heights apart, as in an exercise book; the
    squares of graph paper 0.6-1.1, so lines cross the digit.
    """
    height = int(np.exp(rng.uniform(np.log(30), np.log(300))))
    alpha = place(ink_alpha(digit, height, rng), rng)
    spacing = height * (rng.uniform(0.6, 1.1) if squared else rng.uniform(1.1, 1.6))
    return on_paper(alpha, rng, dark_ink=True, printed=ruled(alpha.shape, spacing, rng, squared))


def photo_in_box(digit: np.ndarray, rng) -> np.ndarray:
    """One MNIST digit written inside a printed box, as in a form's field, photographed; uint8 RGB."""
    alpha = ink_alpha(digit, int(rng.uniform(40, 200)), rng)
    h, w = alpha.shape
    box_h, box_w = int(h * rng.uniform(1.15, 1.5)), int(max(w, 0.8 * h) * rng.uniform(1.15, 1.5))
    margin = int(rng.uniform(0.05, 0.5) * box_h)  # paper photographed around the box
    canvas = np.zeros((box_h + 2 * margin, box_w + 2 * margin), dtype=np.float32)
    top = margin + (box_h - h) // 2 + int(rng.integers(-3, 4))
    left = margin + (box_w - w) // 2 + int(rng.integers(-3, 4))
    region = canvas[top: top + h, left: left + w]
    np.maximum(region, alpha[: region.shape[0], : region.shape[1]], out=region)
    box = Image.new("L", canvas.shape[::-1], 0)
    ImageDraw.Draw(box).rectangle([margin, margin, margin + box_w, margin + box_h], outline=255,
                                  width=max(1, box_h // 50))
    printed = np.asarray(box, dtype=np.float32) / 255.0 * rng.uniform(0.6, 1.0)
    return on_paper(canvas, rng, dark_ink=True, printed=printed)


def comb_field(digits: list, rng) -> np.ndarray:
    """MNIST digits written one to a box in a form's row of printed boxes, photographed; uint8 RGB."""
    height = int(rng.uniform(30, 100))
    box_h = int(height * rng.uniform(1.2, 1.5))
    box_w = int(box_h * rng.uniform(0.75, 1.0))
    margin = int(rng.uniform(0.1, 0.4) * box_h)
    canvas = np.zeros((box_h + 2 * margin, box_w * len(digits) + 2 * margin), dtype=np.float32)
    for index, digit in enumerate(digits):
        alpha = ink_alpha(digit, height, rng, rotate=8.0)
        alpha = alpha[np.ix_(alpha.max(axis=1) > 0.1, alpha.max(axis=0) > 0.1)]  # the ink's own box
        h, w = alpha.shape
        top = margin + (box_h - h) // 2 + int(rng.integers(-2, 3))
        left = margin + index * box_w + (box_w - w) // 2
        region = canvas[max(top, 0): top + h, max(left, 0): left + w]
        np.maximum(region, alpha[: region.shape[0], : region.shape[1]], out=region)
    boxes = Image.new("L", canvas.shape[::-1], 0)
    draw = ImageDraw.Draw(boxes)
    width = max(1, box_h // 40)
    draw.rectangle([margin, margin, margin + box_w * len(digits), margin + box_h], outline=255, width=width)
    for index in range(1, len(digits)):
        x = margin + index * box_w
        draw.line([(x, margin), (x, margin + box_h)], fill=255, width=width)
    printed = np.asarray(boxes, dtype=np.float32) / 255.0 * rng.uniform(0.6, 1.0)
    return on_paper(canvas, rng, dark_ink=True, printed=printed)


def ruled(shape, spacing: float, rng, squared: bool = False) -> np.ndarray:
    """float (h, w) alpha of a page's printed lines, `spacing` px apart, thin (a 25th to a 60th of the
    spacing), tilted up to 2 degrees as a photo is; with `squared`, vertical lines too."""
    h, w = shape
    canvas = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(canvas)
    width = max(1, round(spacing / rng.uniform(25, 60)))
    slope = np.tan(np.radians(rng.uniform(-2, 2)))
    for y in np.arange(rng.uniform(0, spacing), h + w * abs(slope), spacing) - w * max(slope, 0):
        draw.line([(0, y), (w, y + w * slope)], fill=255, width=width)
    if squared:
        for x in np.arange(rng.uniform(0, spacing), w + h * abs(slope), spacing) - h * max(-slope, 0):
            draw.line([(x, 0), (x - h * slope, h)], fill=255, width=width)
    return np.asarray(canvas, dtype=np.float32) / 255.0 * rng.uniform(0.6, 1.0)


def line(digits: list, rng, touching: float = 0.25, lined: bool = False) -> np.ndarray:
    """Several MNIST digits written on one line, some touching; uint8 RGB."""
    height = int(rng.uniform(28, 120))
    crops = []
    for digit in digits:
        alpha = ink_alpha(digit, int(height * rng.uniform(0.9, 1.1)), rng, rotate=8.0)
        cols = np.nonzero(alpha.max(axis=0) > 0.1)[0]
        rows = np.nonzero(alpha.max(axis=1) > 0.1)[0]
        crops.append(alpha[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1])
    tall = max(c.shape[0] for c in crops)
    gaps = [(-0.06 if rng.random() < touching else rng.uniform(0.1, 0.6)) * height for _ in crops]
    width = sum(c.shape[1] for c in crops) + int(sum(max(g, 0) for g in gaps)) + 2
    strip = np.zeros((tall, width), dtype=np.float32)
    x = 0
    for crop, gap in zip(crops, gaps):
        top = (tall - crop.shape[0]) // 2 + int(rng.integers(-2, 3))
        top = int(np.clip(top, 0, tall - crop.shape[0]))
        x = max(0, min(x, width - crop.shape[1]))
        region = strip[top: top + crop.shape[0], x: x + crop.shape[1]]
        np.maximum(region, crop, out=region)  # touching digits share ink where they meet
        x += crop.shape[1] + int(gap)
    strip = strip[:, : max(x, 1) + 1] if x < width else strip
    canvas = place(strip, rng, margin=(0.1, 0.4))
    if not lined:
        return on_paper(canvas, rng)
    return on_paper(canvas, rng, dark_ink=True, printed=ruled(canvas.shape, height * rng.uniform(1.1, 1.6), rng))


def blank(rng, size=(120, 160)) -> np.ndarray:
    return on_paper(np.zeros(size, dtype=np.float32), rng)


def noise(rng, size=(120, 160)) -> np.ndarray:
    """Pure noise: Gaussian, uniform or salt-and-pepper, sometimes blurred."""
    kind = rng.integers(3)
    if kind == 0:
        image = rng.normal(128, rng.uniform(10, 60), size)
    elif kind == 1:
        image = rng.uniform(0, 255, size)
    else:
        image = np.where(rng.random(size) < rng.uniform(0.01, 0.2), 0.0, 255.0)
    if rng.random() < 0.5:
        image = ndimage.gaussian_filter(image, rng.uniform(0.5, 2))
    return np.repeat(np.clip(image, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)


def letter(rng, char: str | None = None) -> np.ndarray:
    """A letter from DejaVu Sans on paper, like a photo."""
    char = char or LETTERS[rng.integers(len(LETTERS))]
    size = int(rng.uniform(24, 160))
    font = ImageFont.truetype(FONT, size) if _has_font() else ImageFont.load_default()
    canvas = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(canvas).text((size // 2, size // 4), char, fill=255, font=font)
    alpha = np.asarray(canvas, dtype=np.float32) / 255.0
    return on_paper(alpha, rng)


def scribble(rng, size=(120, 160)) -> np.ndarray:
    """Random pen strokes: a few connected wiggles."""
    canvas = Image.new("L", size[::-1], 0)
    draw = ImageDraw.Draw(canvas)
    for _ in range(rng.integers(1, 4)):
        points = np.cumsum(rng.normal(0, 25, (int(rng.integers(4, 12)), 2)), axis=0)
        points += [size[1] / 2, size[0] / 2]
        draw.line([tuple(p) for p in points], fill=255, width=int(rng.integers(2, 8)), joint="curve")
    return on_paper(np.asarray(canvas, dtype=np.float32) / 255.0, rng)


def _has_font() -> bool:
    from pathlib import Path

    return Path(FONT).is_file()


@functools.lru_cache(maxsize=2)
def small_model(mnist_dir: str, n: int = 4000, epochs: int = 15):
    """A small scikit-learn MLP on the first `n` MNIST training images (for tests and quick looks)."""
    import warnings

    from sklearn.neural_network import MLPClassifier

    images = read_idx(f"{mnist_dir}/train-images-idx3-ubyte.gz")[:n]
    labels = read_idx(f"{mnist_dir}/train-labels-idx1-ubyte.gz")[:n].astype(np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few epochs do not converge, and need not
        return MLPClassifier((64,), max_iter=epochs, random_state=0).fit(images.reshape(n, -1) / 255.0, labels)
