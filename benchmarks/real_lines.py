"""Lines of real (USPS) handwritten digits on synthetic paper, two ways, for `Reader.read_number`.

`photo_line` is the project's own recipe (digitlab.data.synth.line: photo-style
paper, lighting, JPEG, 8 degrees of rotation, a quarter of the gaps
touching), fed USPS digits re-framed the MNIST way so its sizes mean the same.

`scan_line` is a second, different recipe: a low-resolution scan of a form
filled in by one writer. The digits are small (16-48 px tall, near USPS's own
16 px), share one slant and drift along a sloping baseline, are packed
tighter (gaps up to a third of the height) with 40% of them overlapping
rather than just touching, and sit on white paper with faint blue rules,
pencil or ballpoint ink, scanner noise and no JPEG.

Both take 16x16 uint8 digits (white on black, USPS's originals) and a
`np.random.Generator`, and return uint8 RGB (H, W, 3).
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from digitlab.data import synth


def mnist_frame(digit16: np.ndarray) -> np.ndarray:
    """A 16x16 USPS digit -> MNIST's frame: longer ink side 20 px, centred in 28x28, uint8."""
    alpha = digit16.astype(np.float32) / 255.0
    rows, cols = np.nonzero(alpha > 0.1)
    crop = alpha[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1] if rows.size else alpha
    factor = 20 / max(crop.shape)
    size = (max(1, round(crop.shape[1] * factor)), max(1, round(crop.shape[0] * factor)))
    scaled = np.asarray(Image.fromarray(crop, mode="F").resize(size, Image.Resampling.BILINEAR))
    frame = np.zeros((28, 28), np.float32)
    top, left = (28 - scaled.shape[0]) // 2, (28 - scaled.shape[1]) // 2
    frame[top: top + scaled.shape[0], left: left + scaled.shape[1]] = scaled
    return np.round(np.clip(frame, 0, 1) * 255).astype(np.uint8)


def photo_line(digits16, rng) -> np.ndarray:
    """The project's line recipe (digitlab.data.synth.line) on USPS digits."""
    return synth.line([mnist_frame(d) for d in digits16], rng, touching=0.25)


def scan_line(digits16, rng) -> np.ndarray:
    """A scanned form: small, slanted, tightly packed and overlapping digits on ruled paper."""
    height = int(rng.uniform(16, 48))
    slant = rng.uniform(-0.35, 0.35)  # one writer, one slant: x shift per unit of height
    crops = [_scan_digit(d, height, slant, rng) for d in digits16]
    gaps = [(rng.uniform(-0.15, 0.0) if rng.random() < 0.4 else rng.uniform(0.02, 0.33)) * height
            for _ in crops]
    tall = max(c.shape[0] for c in crops)
    drift = rng.uniform(-0.08, 0.08) * height  # baseline slope per digit
    margin = int(0.2 * height) + 2
    width = sum(c.shape[1] for c in crops) + int(sum(max(g, 0) for g in gaps)) + 2 * margin
    strip = np.zeros((tall + 2 * margin + int(abs(drift) * len(crops)) + 2, width), np.float32)
    x, base = margin, margin + (int(abs(drift) * len(crops)) if drift < 0 else 0)
    for i, (crop, gap) in enumerate(zip(crops, gaps)):
        top = int(np.clip(base + drift * i + (tall - crop.shape[0]) + rng.integers(-1, 2),
                          0, strip.shape[0] - crop.shape[0]))
        x = int(np.clip(x, 0, width - crop.shape[1]))
        region = strip[top: top + crop.shape[0], x: x + crop.shape[1]]
        np.maximum(region, crop, out=region)
        x += crop.shape[1] + round(gap)
    return _ruled_scan(strip, height, rng)


def _scan_digit(digit16: np.ndarray, height: int, slant: float, rng) -> np.ndarray:
    """One digit's alpha at `height` px, stretched a little, sheared by the line's slant, cropped."""
    alpha = digit16.astype(np.float32) / 255.0
    h = height * rng.uniform(0.85, 1.15)
    w = h * rng.uniform(0.8, 1.2)  # USPS digits fill their square; writers vary the width
    alpha = ndimage.zoom(alpha, (h / 16, w / 16), order=1)
    pad = int(abs(slant) * alpha.shape[0]) + 1
    alpha = np.pad(alpha, ((0, 0), (pad, pad)))
    cy = alpha.shape[0] / 2
    # output (y, x) samples input (y, x + slant * (y - cy)): rows above the middle lean right for slant < 0
    alpha = ndimage.affine_transform(alpha, np.array([[1.0, 0.0], [slant, 1.0]]),
                                     offset=np.array([0.0, -slant * cy]), order=1)
    rows, cols = np.nonzero(alpha > 0.1)
    return np.clip(alpha[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1], 0, 1)


def _ruled_scan(alpha: np.ndarray, height: int, rng) -> np.ndarray:
    """Composite onto white paper with faint blue rules, pencil or ballpoint ink and scanner noise."""
    h, w = alpha.shape
    paper = np.array([rng.uniform(232, 255)] * 3) - [0, 0, rng.uniform(0, 8)]
    image = np.broadcast_to(paper, (h, w, 3)).copy()
    rule = np.array([190.0, 205.0, 235.0])  # pale blue, well below the ink's contrast
    spacing = max(6, int(height * rng.uniform(1.1, 1.5)))
    for y in range(int(rng.integers(0, spacing)), h, spacing):
        image[y] = image[y] * 0.5 + rule * 0.5
    ink = np.array([70.0, 70.0, 75.0]) if rng.random() < 0.5 else np.array([30.0, 40.0, 120.0])
    a = alpha[:, :, None] * rng.uniform(0.7, 1.0)
    image = image * (1 - a) + ink * a
    image = ndimage.gaussian_filter(image, sigma=(rng.uniform(0.2, 0.7),) * 2 + (0,))
    image = image + rng.normal(0, rng.uniform(1, 6), image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


GENERATORS = {"photo (digitlab.data.synth.line)": photo_line, "scan (ruled form, packed, slanted)": scan_line}
