"""Damaged digits: a suite of label-preserving corruptions, each at three severities.

Every corruption is a small pure function `(images, severity, rng) -> images`: uint8
`(n, 28, 28)` white ink on black in, a new uint8 array of the same shape out, the same
output for the same generator state, each image damaged on its own. Severity 1 is what
a good scan or a careful photo does, 2 an ordinary phone photo or a cheap scanner, 3 a
poor one that a person still reads at a glance; severity 0 (`corrupt`) is the clean
image. Nothing inverts polarity: a raw model sees white on black, and the reading path
turns dark-on-light pictures round before any model sees them.

Families (`FAMILIES`): noise, blur (optics, motion, and detail lost to low resolution and
compression), light, clutter (lines that are not the digit), stroke (the pen), geometry,
occlusion.

Held out (`HELD_OUT`): training augmentations must NOT use these, so that they measure
how a model copes with damage it never saw: fog, zigzag, edges, motion blur, pixelate and
jpeg (the torch engine's `--augment robust` preset, torch_engine/robust_augment.py,
leaves out the same ones). The rest (noise, gaussian blur, brightness, low contrast,
shadow, stripes and grid, whose ruled and squared paper that preset trains on, thin and
thick pens, affine, elastic, perspective, spots, bar) may be trained on; reports give the
held-out mean on its own, so a model that learnt only the trainable ones shows it.
Imports: numpy and scipy only, so the suite can be used (or moved) on its own.
"""

from __future__ import annotations

import numpy as np
from scipy import fft, ndimage

from digitlab.evaluate.drawing import (
    centred_grid,
    ink,
    pick,
    sample,
    segments,
    to_uint8,
    to_unit,
    veil,
)
from digitlab.evaluate.warps import affine, elastic, perspective

SEVERITIES = (1, 2, 3)


# -- noise ----------------------------------------------------------------------------------


def gaussian_noise(images, severity, rng):
    """Sensor noise: x + N(0, sigma^2), sigma 0.08 / 0.16 / 0.24 of full scale."""
    sigma = pick(severity, (0.08, 0.16, 0.24))
    return to_uint8(to_unit(images) + rng.normal(0.0, sigma, np.shape(images)))


def impulse_noise(images, severity, rng):
    """Salt and pepper: a share p (2 / 5 / 9 %) of pixels set to black or white at random."""
    x = to_unit(images)
    hit = rng.random(x.shape) < pick(severity, (0.02, 0.05, 0.09))
    return to_uint8(np.where(hit, rng.random(x.shape) < 0.5, x))


# -- blur -----------------------------------------------------------------------------------


def gaussian_blur(images, severity, rng):
    """Out of focus: x convolved with a Gaussian of sigma 0.6 / 0.9 / 1.2 px."""
    sigma = pick(severity, (0.6, 0.9, 1.2))
    return to_uint8(ndimage.gaussian_filter(to_unit(images), (0, sigma, sigma)))


def motion_blur(images, severity, rng):
    """A hand that moved: the mean of x shifted along a random direction over L = 3 / 5 / 7 px."""
    x = to_unit(images)
    length = pick(severity, (3, 5, 7))
    angle = rng.uniform(0, np.pi, len(x))[:, None, None]
    rows, cols = centred_grid(len(x))
    steps = np.linspace(-(length - 1) / 2, (length - 1) / 2, 2 * length - 1)
    return to_uint8(np.mean([sample(x, rows + t * np.sin(angle), cols + t * np.cos(angle))
                           for t in steps], axis=0))


def pixelate(images, severity, rng):
    """Low resolution: block means on an s x s grid (s = 16 / 12 / 9), shown as blocks."""
    x = to_unit(images)
    side = pick(severity, (16, 12, 9))
    blurred = ndimage.uniform_filter(x, (1, 28 / side, 28 / side), mode="constant")
    centre = (np.floor((np.arange(28) + 0.5) * side / 28) + 0.5) * 28 / side - 14  # its block's
    rows, cols = (np.broadcast_to(v, x.shape) for v in np.meshgrid(centre, centre, indexing="ij"))
    return to_uint8(sample(blurred, rows, cols))


JPEG_LUMA = np.array([  # the JPEG standard's luminance quantisation table (ITU T.81, Annex K)
    [16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55],
    [14, 13, 16, 24, 40, 57, 69, 56], [14, 17, 22, 29, 51, 87, 80, 62],
    [18, 22, 37, 56, 68, 109, 103, 77], [24, 35, 55, 64, 81, 104, 113, 92],
    [49, 64, 78, 87, 103, 121, 120, 101], [72, 92, 95, 98, 112, 100, 103, 99]], dtype=np.float64)


def jpeg(images, severity, rng):
    """JPEG at quality 30 / 15 / 8: each 8x8 block's DCT rounded to multiples of the scaled table."""
    quality = pick(severity, (30, 15, 8))
    scale = (5000 / quality if quality < 50 else 200 - 2 * quality) / 100  # libjpeg's rule
    q = np.maximum(np.round(JPEG_LUMA * scale), 1)
    x = np.pad(np.asarray(images, np.float64) - 128, ((0, 0), (0, 4), (0, 4)), mode="edge")
    blocks = x.reshape(len(x), 4, 8, 4, 8).transpose(0, 1, 3, 2, 4)  # (n, 4, 4, 8, 8)
    coef = np.round(fft.dctn(blocks, axes=(-2, -1), norm="ortho") / q) * q
    back = fft.idctn(coef, axes=(-2, -1), norm="ortho").transpose(0, 1, 3, 2, 4).reshape(x.shape)
    return to_uint8((back[:, :28, :28] + 128) / 255.0)


# -- light ----------------------------------------------------------------------------------


def brightness(images, severity, rng):
    """An underexposed photo: the paper goes grey, b + (1 - b) x with b = 0.2 / 0.35 / 0.5."""
    b = pick(severity, (0.2, 0.35, 0.5))
    return to_uint8(veil(to_unit(images), b))


def low_contrast(images, severity, rng):
    """Faint pencil on grey paper: m + c (x - m), m the image's mean, c = 0.5 / 0.3 / 0.2."""
    x = to_unit(images)
    m = x.mean(axis=(1, 2), keepdims=True)
    return to_uint8(m + pick(severity, (0.5, 0.3, 0.2)) * (x - m))


def shadow(images, severity, rng):
    """A shadow across the page: a veil rising linearly to a = 0.3 / 0.5 / 0.7 in a random direction."""
    rows, cols = centred_grid(len(images))
    angle = rng.uniform(0, 2 * np.pi, len(images))[:, None, None]
    ramp = (rows * np.sin(angle) + cols * np.cos(angle)) / (14 * np.sqrt(2)) / 2 + 0.5  # 0..1
    return to_uint8(veil(to_unit(images), pick(severity, (0.3, 0.5, 0.7)) * ramp))


def fog(images, severity, rng):
    """Uneven light: a veil a F, F white noise smoothed (sigma 4 px) and scaled to [0, 1]; a 0.3/0.45/0.6."""
    field = ndimage.gaussian_filter(rng.normal(size=np.shape(images)), (0, 4, 4))
    low, high = field.min(axis=(1, 2), keepdims=True), field.max(axis=(1, 2), keepdims=True)
    field = (field - low) / np.maximum(high - low, 1e-9)
    return to_uint8(veil(to_unit(images), pick(severity, (0.3, 0.45, 0.6)) * field))


# -- clutter: lines that are not the digit ----------------------------------------------------


def _stripes(n, period, angle, rng) -> np.ndarray:
    """Distance (n, 28, 28) to the nearest of parallel lines `period` px apart at `angle`."""
    rows, cols = centred_grid(n)
    across = rows * np.cos(angle) - cols * np.sin(angle) + rng.uniform(0, period, (n, 1, 1))
    return np.abs((across % period) - period / 2)  # lines sit where across = period/2 (mod period)


def stripes(images, severity, rng):
    """Ruled paper: 1-px lines every p = 9 / 7 / 5 px at a random angle, brightness 0.35/0.5/0.65."""
    n = len(images)
    d = _stripes(n, pick(severity, (9, 7, 5)), rng.uniform(0, np.pi, (n, 1, 1)), rng)
    return to_uint8(ink(to_unit(images), d, pick(severity, (0.35, 0.5, 0.65))))


def grid(images, severity, rng):
    """Squared paper: two sets of stripes at right angles, every 8 / 7 / 6 px, brightness 0.3/0.4/0.5."""
    n, period = len(images), pick(severity, (8, 7, 6))
    angle = rng.uniform(0, np.pi / 2, (n, 1, 1))
    d = np.minimum(_stripes(n, period, angle, rng), _stripes(n, period, angle + np.pi / 2, rng))
    return to_uint8(ink(to_unit(images), d, pick(severity, (0.3, 0.4, 0.5))))


def zigzag(images, severity, rng):
    """Scribbles: 1 / 2 / 3 zigzag lines of 4 random segments each, brightness 0.5 (ink is 1)."""
    n, k = len(images), pick(severity, (1, 2, 3))
    points = rng.uniform(-13, 13, (n, k, 5, 2))  # five vertices per line
    d = segments(points[:, :, :-1].reshape(n, 4 * k, 2), points[:, :, 1:].reshape(n, 4 * k, 2))
    return to_uint8(ink(to_unit(images), d, 0.5))


# -- stroke: the pen ------------------------------------------------------------------------


def thin_pen(images, severity, rng):
    """A fine pen: grey erosion over 2x2 (each pixel its neighbourhood's minimum), mixed in
    a = 0.4 / 0.7 / 1 of the way: x + a (erode(x) - x)."""
    x = to_unit(images)
    return to_uint8(x + pick(severity, (0.4, 0.7, 1.0)) * (ndimage.grey_erosion(x, (1, 2, 2)) - x))


def thick_pen(images, severity, rng):
    """A marker: grey dilation (a pixel becomes its neighbourhood's maximum) over 2x2 / 3x3 cross / 3x3."""
    footprint = pick(severity, (np.ones((2, 2)), ndimage.generate_binary_structure(2, 1),
                                 np.ones((3, 3))))
    return ndimage.grey_dilation(np.asarray(images), footprint=footprint[None].astype(bool))


SOBEL = np.array([[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]], dtype=np.float64)  # (1, 3, 3): d/dcol


def edges(images, severity, rng):
    """Outlined (hollow) digits: the Sobel gradient magnitude |G| scaled to the image's maximum,
    mixed in a = 0.5 / 0.75 / 1 of the way: (1 - a) x + a |G| / max |G|."""
    x = to_unit(images)  # kernels (1, 3, 3) so no image bleeds into the next one in the batch
    g = np.hypot(ndimage.correlate(x, SOBEL), ndimage.correlate(x, SOBEL.transpose(0, 2, 1)))
    g = g / np.maximum(g.max(axis=(1, 2), keepdims=True), 1e-9)
    a = pick(severity, (0.5, 0.75, 1.0))
    return to_uint8((1 - a) * x + a * g)


# -- occlusion ------------------------------------------------------------------------------


def spots(images, severity, rng):
    """Dirt and blots: 2 / 4 / 6 discs of radius 1-2 px, each paper-coloured (0) or ink (1)."""
    x, n, k = to_unit(images), len(images), pick(severity, (2, 4, 6))
    rows, cols = centred_grid(n)
    centre, radius = rng.uniform(-10, 10, (n, k, 2)), rng.uniform(1, 2, (n, k))
    colour = rng.random((n, k)) < 0.5
    for j in range(k):
        d = np.hypot(rows - centre[:, j, 0, None, None], cols - centre[:, j, 1, None, None])
        cover = np.clip(radius[:, j, None, None] + 0.5 - d, 0, 1)  # anti-aliased rim
        x = x + cover * (colour[:, j, None, None] - x)
    return to_uint8(x)


def bar(images, severity, rng):
    """A fold, tape or glare: a paper-coloured band 2 / 2.5 / 3 px wide across the image, at a random
    angle, passing within 6 px of the centre."""
    n, width = len(images), pick(severity, (2, 2.5, 3))
    rows, cols = centred_grid(n)
    angle = rng.uniform(0, np.pi, (n, 1, 1))
    d = np.abs(rows * np.cos(angle) - cols * np.sin(angle) - rng.uniform(-6, 6, (n, 1, 1)))
    cover = np.clip(width / 2 + 0.5 - d, 0, 1)
    return to_uint8(to_unit(images) * (1 - cover))


# -- the registry ---------------------------------------------------------------------------

FAMILIES = {
    "noise": {"gaussian-noise": gaussian_noise, "impulse-noise": impulse_noise},
    "blur": {"gaussian-blur": gaussian_blur, "motion-blur": motion_blur, "pixelate": pixelate,
             "jpeg": jpeg},
    "light": {"brightness": brightness, "low-contrast": low_contrast, "shadow": shadow, "fog": fog},
    "clutter": {"stripes": stripes, "grid": grid, "zigzag": zigzag},
    "stroke": {"thin-pen": thin_pen, "thick-pen": thick_pen, "edges": edges},
    "geometry": {"affine": affine, "elastic": elastic, "perspective": perspective},
    "occlusion": {"spots": spots, "bar": bar},
}
CORRUPTIONS = {name: fn for members in FAMILIES.values() for name, fn in members.items()}
FAMILY_OF = {name: family for family, members in FAMILIES.items() for name in members}
HELD_OUT = frozenset({"fog", "zigzag", "edges", "motion-blur", "pixelate", "jpeg"})


def corrupt(images, name: str, severity: int, rng: np.random.Generator) -> np.ndarray:
    """`CORRUPTIONS[name]` at `severity` (0: an unchanged copy). images uint8 (n, 28, 28)."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"corruptions take uint8 (n, 28, 28) images, got {images.dtype} {images.shape}")
    if severity not in (0, *SEVERITIES):
        raise ValueError(f"severity must be 0 or one of {SEVERITIES}, got {severity}")
    return images.copy() if severity == 0 else CORRUPTIONS[name](images, severity, rng)
