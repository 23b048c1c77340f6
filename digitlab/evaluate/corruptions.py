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

SEVERITIES = (1, 2, 3)


# -- helpers: uint8 <-> float in [0, 1], sampling, drawing ------------------------------------


def _float(images) -> np.ndarray:
    return np.asarray(images, dtype=np.float64) / 255.0


def _uint8(x: np.ndarray) -> np.ndarray:
    return np.round(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)


def _pick(severity: int, values):
    return values[severity - 1]


def _signed(rng, n: int, magnitude: float) -> np.ndarray:
    """n draws of +-U(magnitude/2, magnitude): the severity is never a near-zero draw."""
    return rng.choice([-1.0, 1.0], n) * rng.uniform(magnitude / 2, magnitude, n)


def _grid(n: int, h: int = 28, w: int = 28):
    """Pixel coordinates (rows, cols), each (n, h, w), centred on the image centre."""
    r, c = np.mgrid[0:h, 0:w].astype(np.float64)
    return np.broadcast_to(r - (h - 1) / 2, (n, h, w)), np.broadcast_to(c - (w - 1) / 2, (n, h, w))


def _sample(x: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """x (n, H, W) read at centred coordinates rows, cols (n, H, W), bilinear, 0 outside."""
    n, h, w = x.shape
    index = np.broadcast_to(np.arange(n, dtype=np.float64)[:, None, None], rows.shape)
    coords = np.stack([index, rows + (h - 1) / 2, cols + (w - 1) / 2])
    return ndimage.map_coordinates(x, coords, order=1, mode="constant", cval=0.0)


def _segments(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance (n, 28, 28) from each pixel to the nearest of segments a->b, each (n, k, 2)."""
    rows, cols = _grid(len(a))
    p = np.stack([rows, cols], -1)[:, None]  # (n, 1, H, W, 2)
    a, d = a[:, :, None, None], (b - a)[:, :, None, None]  # (n, k, 1, 1, 2)
    t = np.clip(((p - a) * d).sum(-1) / np.maximum((d * d).sum(-1), 1e-9), 0, 1)
    return np.linalg.norm(p - a - t[..., None] * d, axis=-1).min(axis=1)


def _ink(x: np.ndarray, distance: np.ndarray, level: float) -> np.ndarray:
    """Draw a 1-px anti-aliased line of brightness `level` wherever `distance` < 1 (ink adds: max)."""
    return np.maximum(x, level * np.clip(1.0 - distance, 0.0, 1.0))


def _veil(x: np.ndarray, field: np.ndarray) -> np.ndarray:
    """Light paper seen darker (after inversion, brighter) by `field` in [0, 1]: x + F (1 - x)."""
    return x + field * (1.0 - x)


# -- noise ----------------------------------------------------------------------------------


def gaussian_noise(images, severity, rng):
    """Sensor noise: x + N(0, sigma^2), sigma 0.08 / 0.16 / 0.24 of full scale."""
    sigma = _pick(severity, (0.08, 0.16, 0.24))
    return _uint8(_float(images) + rng.normal(0.0, sigma, np.shape(images)))


def impulse_noise(images, severity, rng):
    """Salt and pepper: a share p (2 / 5 / 9 %) of pixels set to black or white at random."""
    x = _float(images)
    hit = rng.random(x.shape) < _pick(severity, (0.02, 0.05, 0.09))
    return _uint8(np.where(hit, rng.random(x.shape) < 0.5, x))


# -- blur -----------------------------------------------------------------------------------


def gaussian_blur(images, severity, rng):
    """Out of focus: x convolved with a Gaussian of sigma 0.6 / 0.9 / 1.2 px."""
    sigma = _pick(severity, (0.6, 0.9, 1.2))
    return _uint8(ndimage.gaussian_filter(_float(images), (0, sigma, sigma)))


def motion_blur(images, severity, rng):
    """A hand that moved: the mean of x shifted along a random direction over L = 3 / 5 / 7 px."""
    x = _float(images)
    length = _pick(severity, (3, 5, 7))
    angle = rng.uniform(0, np.pi, len(x))[:, None, None]
    rows, cols = _grid(len(x))
    steps = np.linspace(-(length - 1) / 2, (length - 1) / 2, 2 * length - 1)
    return _uint8(np.mean([_sample(x, rows + t * np.sin(angle), cols + t * np.cos(angle))
                           for t in steps], axis=0))


def pixelate(images, severity, rng):
    """Low resolution: block means on an s x s grid (s = 16 / 12 / 9), shown as blocks."""
    x = _float(images)
    side = _pick(severity, (16, 12, 9))
    blurred = ndimage.uniform_filter(x, (1, 28 / side, 28 / side), mode="constant")
    centre = (np.floor((np.arange(28) + 0.5) * side / 28) + 0.5) * 28 / side - 14  # its block's
    rows, cols = (np.broadcast_to(v, x.shape) for v in np.meshgrid(centre, centre, indexing="ij"))
    return _uint8(_sample(blurred, rows, cols))


JPEG_LUMA = np.array([  # the JPEG standard's luminance quantisation table (ITU T.81, Annex K)
    [16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55],
    [14, 13, 16, 24, 40, 57, 69, 56], [14, 17, 22, 29, 51, 87, 80, 62],
    [18, 22, 37, 56, 68, 109, 103, 77], [24, 35, 55, 64, 81, 104, 113, 92],
    [49, 64, 78, 87, 103, 121, 120, 101], [72, 92, 95, 98, 112, 100, 103, 99]], dtype=np.float64)


def jpeg(images, severity, rng):
    """JPEG at quality 30 / 15 / 8: each 8x8 block's DCT rounded to multiples of the scaled table."""
    quality = _pick(severity, (30, 15, 8))
    scale = (5000 / quality if quality < 50 else 200 - 2 * quality) / 100  # libjpeg's rule
    q = np.maximum(np.round(JPEG_LUMA * scale), 1)
    x = np.pad(np.asarray(images, np.float64) - 128, ((0, 0), (0, 4), (0, 4)), mode="edge")
    blocks = x.reshape(len(x), 4, 8, 4, 8).transpose(0, 1, 3, 2, 4)  # (n, 4, 4, 8, 8)
    coef = np.round(fft.dctn(blocks, axes=(-2, -1), norm="ortho") / q) * q
    back = fft.idctn(coef, axes=(-2, -1), norm="ortho").transpose(0, 1, 3, 2, 4).reshape(x.shape)
    return _uint8((back[:, :28, :28] + 128) / 255.0)


# -- light ----------------------------------------------------------------------------------


def brightness(images, severity, rng):
    """An underexposed photo: the paper goes grey, b + (1 - b) x with b = 0.2 / 0.35 / 0.5."""
    b = _pick(severity, (0.2, 0.35, 0.5))
    return _uint8(_veil(_float(images), b))


def low_contrast(images, severity, rng):
    """Faint pencil on grey paper: m + c (x - m), m the image's mean, c = 0.5 / 0.3 / 0.2."""
    x = _float(images)
    m = x.mean(axis=(1, 2), keepdims=True)
    return _uint8(m + _pick(severity, (0.5, 0.3, 0.2)) * (x - m))


def shadow(images, severity, rng):
    """A shadow across the page: a veil rising linearly to a = 0.3 / 0.5 / 0.7 in a random direction."""
    rows, cols = _grid(len(images))
    angle = rng.uniform(0, 2 * np.pi, len(images))[:, None, None]
    ramp = (rows * np.sin(angle) + cols * np.cos(angle)) / (14 * np.sqrt(2)) / 2 + 0.5  # 0..1
    return _uint8(_veil(_float(images), _pick(severity, (0.3, 0.5, 0.7)) * ramp))


def fog(images, severity, rng):
    """Uneven light: a veil a F, F white noise smoothed (sigma 4 px) and scaled to [0, 1]; a 0.3/0.45/0.6."""
    field = ndimage.gaussian_filter(rng.normal(size=np.shape(images)), (0, 4, 4))
    low, high = field.min(axis=(1, 2), keepdims=True), field.max(axis=(1, 2), keepdims=True)
    field = (field - low) / np.maximum(high - low, 1e-9)
    return _uint8(_veil(_float(images), _pick(severity, (0.3, 0.45, 0.6)) * field))


# -- clutter: lines that are not the digit ----------------------------------------------------


def _stripes(n, period, angle, rng) -> np.ndarray:
    """Distance (n, 28, 28) to the nearest of parallel lines `period` px apart at `angle`."""
    rows, cols = _grid(n)
    across = rows * np.cos(angle) - cols * np.sin(angle) + rng.uniform(0, period, (n, 1, 1))
    return np.abs((across % period) - period / 2)  # lines sit where across = period/2 (mod period)


def stripes(images, severity, rng):
    """Ruled paper: 1-px lines every p = 9 / 7 / 5 px at a random angle, brightness 0.35/0.5/0.65."""
    n = len(images)
    d = _stripes(n, _pick(severity, (9, 7, 5)), rng.uniform(0, np.pi, (n, 1, 1)), rng)
    return _uint8(_ink(_float(images), d, _pick(severity, (0.35, 0.5, 0.65))))


def grid(images, severity, rng):
    """Squared paper: two sets of stripes at right angles, every 8 / 7 / 6 px, brightness 0.3/0.4/0.5."""
    n, period = len(images), _pick(severity, (8, 7, 6))
    angle = rng.uniform(0, np.pi / 2, (n, 1, 1))
    d = np.minimum(_stripes(n, period, angle, rng), _stripes(n, period, angle + np.pi / 2, rng))
    return _uint8(_ink(_float(images), d, _pick(severity, (0.3, 0.4, 0.5))))


def zigzag(images, severity, rng):
    """Scribbles: 1 / 2 / 3 zigzag lines of 4 random segments each, brightness 0.5 (ink is 1)."""
    n, k = len(images), _pick(severity, (1, 2, 3))
    points = rng.uniform(-13, 13, (n, k, 5, 2))  # five vertices per line
    d = _segments(points[:, :, :-1].reshape(n, 4 * k, 2), points[:, :, 1:].reshape(n, 4 * k, 2))
    return _uint8(_ink(_float(images), d, 0.5))


# -- stroke: the pen ------------------------------------------------------------------------


def thin_pen(images, severity, rng):
    """A fine pen: grey erosion over 2x2 (each pixel its neighbourhood's minimum), mixed in
    a = 0.4 / 0.7 / 1 of the way: x + a (erode(x) - x)."""
    x = _float(images)
    return _uint8(x + _pick(severity, (0.4, 0.7, 1.0)) * (ndimage.grey_erosion(x, (1, 2, 2)) - x))


def thick_pen(images, severity, rng):
    """A marker: grey dilation (a pixel becomes its neighbourhood's maximum) over 2x2 / 3x3 cross / 3x3."""
    footprint = _pick(severity, (np.ones((2, 2)), ndimage.generate_binary_structure(2, 1),
                                 np.ones((3, 3))))
    return ndimage.grey_dilation(np.asarray(images), footprint=footprint[None].astype(bool))


SOBEL = np.array([[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]], dtype=np.float64)  # (1, 3, 3): d/dcol


def edges(images, severity, rng):
    """Outlined (hollow) digits: the Sobel gradient magnitude |G| scaled to the image's maximum,
    mixed in a = 0.5 / 0.75 / 1 of the way: (1 - a) x + a |G| / max |G|."""
    x = _float(images)  # kernels (1, 3, 3) so no image bleeds into the next one in the batch
    g = np.hypot(ndimage.correlate(x, SOBEL), ndimage.correlate(x, SOBEL.transpose(0, 2, 1)))
    g = g / np.maximum(g.max(axis=(1, 2), keepdims=True), 1e-9)
    a = _pick(severity, (0.5, 0.75, 1.0))
    return _uint8((1 - a) * x + a * g)


# -- geometry -------------------------------------------------------------------------------


def affine(images, severity, rng):
    """Rotation (10/20/30 deg), shear (0.1/0.2/0.3) and scale (+-10/15/20 %) about the centre:
    output pixel p reads x at A^-1 p."""
    n = len(images)
    degrees, shear, zoom = _pick(severity, ((10, 0.1, 0.1), (20, 0.2, 0.15), (30, 0.3, 0.2)))
    theta, s, k = np.radians(_signed(rng, n, degrees)), _signed(rng, n, shear), 1 + _signed(rng, n, zoom)
    cos, sin, one, zero = np.cos(theta), np.sin(theta), np.ones(n), np.zeros(n)
    unrotate = np.array([[cos, sin, zero], [-sin, cos, zero], [zero, zero, k]]) / k  # (3, 3, n)
    unshear = np.array([[one, zero, zero], [-s, one, zero], [zero, zero, one]])
    return _warp(images, unrotate.transpose(2, 0, 1) @ unshear.transpose(2, 0, 1))


def elastic(images, severity, rng):
    """Simard et al. (2003): displace each pixel by a field of U(-1, 1) noise smoothed with a
    Gaussian of sigma 4 px, scaled to a root-mean-square length of 1.2 / 1.6 / 2 px."""
    x = _float(images)
    field = ndimage.gaussian_filter(rng.uniform(-1, 1, (2, *x.shape)), (0, 0, 4, 4))  # (2, n, H, W)
    rms = np.sqrt((field**2).sum(0).mean(axis=(1, 2), keepdims=True))
    dr, dc = field * _pick(severity, (1.2, 1.6, 2.0)) / np.maximum(rms, 1e-9)
    rows, cols = _grid(len(x))
    return _uint8(_sample(x, rows + dr, cols + dc))


def perspective(images, severity, rng):
    """A photo taken at an angle: the homography moving each corner by up to 2 / 3.5 / 5 px."""
    corners = np.array([[-14, -14], [-14, 14], [14, 14], [14, -14]], dtype=np.float64)
    moved = corners + rng.uniform(-1, 1, (len(images), 4, 2)) * _pick(severity, (2, 3.5, 5))
    return _warp(images, _homography(moved, np.broadcast_to(corners, moved.shape)))


def _warp(images, h: np.ndarray) -> np.ndarray:
    """Output pixel p reads the image at H p: h (n, 3, 3) on centred homogeneous (row, col, 1)."""
    rows, cols = _grid(len(h))
    src = np.einsum("nij,njhw->nihw", h, np.stack([rows, cols, np.ones_like(rows)], 1))
    return _uint8(_sample(_float(images), src[:, 0] / src[:, 2], src[:, 1] / src[:, 2]))


def _homography(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, 3, 3) H with H [a; 1] ~ [b; 1] for four point pairs a, b (n, 4, 2): the 8x8 DLT system."""
    n, one, zero = len(a), np.ones(a.shape[:2]), np.zeros(a.shape[:2])
    (ax, ay), (bx, by) = a.transpose(2, 0, 1), b.transpose(2, 0, 1)
    top = np.stack([ax, ay, one, zero, zero, zero, -ax * bx, -ay * bx], -1)
    low = np.stack([zero, zero, zero, ax, ay, one, -ax * by, -ay * by], -1)
    h = np.linalg.solve(np.concatenate([top, low], 1), np.concatenate([bx, by], 1)[..., None])
    return np.concatenate([h[..., 0], np.ones((n, 1))], 1).reshape(n, 3, 3)


# -- occlusion ------------------------------------------------------------------------------


def spots(images, severity, rng):
    """Dirt and blots: 2 / 4 / 6 discs of radius 1-2 px, each paper-coloured (0) or ink (1)."""
    x, n, k = _float(images), len(images), _pick(severity, (2, 4, 6))
    rows, cols = _grid(n)
    centre, radius = rng.uniform(-10, 10, (n, k, 2)), rng.uniform(1, 2, (n, k))
    colour = rng.random((n, k)) < 0.5
    for j in range(k):
        d = np.hypot(rows - centre[:, j, 0, None, None], cols - centre[:, j, 1, None, None])
        cover = np.clip(radius[:, j, None, None] + 0.5 - d, 0, 1)  # anti-aliased rim
        x = x + cover * (colour[:, j, None, None] - x)
    return _uint8(x)


def bar(images, severity, rng):
    """A fold, tape or glare: a paper-coloured band 2 / 2.5 / 3 px wide across the image, at a random
    angle, passing within 6 px of the centre."""
    n, width = len(images), _pick(severity, (2, 2.5, 3))
    rows, cols = _grid(n)
    angle = rng.uniform(0, np.pi, (n, 1, 1))
    d = np.abs(rows * np.cos(angle) - cols * np.sin(angle) - rng.uniform(-6, 6, (n, 1, 1)))
    cover = np.clip(width / 2 + 0.5 - d, 0, 1)
    return _uint8(_float(images) * (1 - cover))


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
