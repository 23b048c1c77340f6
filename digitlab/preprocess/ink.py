"""Find the ink: grey photo -> white-on-black strokes and a mask of them.

The stages, each a small function so the inspector can show every one:

0. `remove_impulses` (impulses.py): salt and pepper (lone pixels flipped
   to black or white) is mended by a switching median before anything else.
1. `work_size`: photos are big; 512 px on the longer side is plenty to find
   digits that end up 20 px tall, and keeps every later stage fast. Dataset
   scans are small: they are enlarged to 64 px on the shorter side.
2. `ink_is_dark`: paper is the majority of pixels, ink the minority, so the
   ink is on whichever side of the median the extreme pixels lie on. Works
   for dark ink on any paper colour and for chalk on a blackboard alike.
   `polarity_doubtful` says when the picture is too near half ink for that
   rule (a thick digit); then an edge that is nearly all one side is the
   paper around the digit, and otherwise the reader tries both sides.
3. `flatten_lighting`: a morphological closing wider than any stroke
   removes the strokes and leaves the paper's uneven lighting, which we
   divide out (a shadow across the page would otherwise look like ink);
   light ink is the same picture inverted.
4. `otsu_threshold` (otsu.py): the split between paper and ink that
   maximises the between-class variance; its separability (how much of the
   variance that split explains) tells a real stroke (~0.9) from noise (~0.64
   for Gaussian), and `ink_apart` tells ink from a lighter grey between
   (printed lines) when a third level lowers it.
5. `remove_paper_lines` (rules.py): the printed lines of ruled or squared
   paper and of forms' boxes pass the threshold with the ink; they are
   taken out of the mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from digitlab.preprocess.blobs import large_blobs
from digitlab.preprocess.impulses import remove_impulses
from digitlab.preprocess.otsu import ink_apart, otsu_threshold
from digitlab.preprocess.rules import remove_paper_lines, stroke_width

WORK_SIZE = 512  # longest side we process at
MIN_WORK_SIDE = 64  # ...and the shortest, where the longest allows (see `work_size`)
DOUBTFUL_SHARE = 0.3  # a lesser side (dark or light) this big may be the paper: see `polarity_doubtful`
CLEAN_SPLIT = 0.8  # ...when the picture splits this cleanly (Otsu's separability) into the two sides
EDGE_SHARE = 0.9  # ...unless this much of the picture's edge is one side: the paper around the digit
STROKE_WINDOW = 2.5  # the lighting window spans at least this many stroke widths...
SURROUNDED = 0.05  # ...when at most this share of the picture's edge is ink (paper all round)


@dataclass(frozen=True)
class Ink:
    """Where the ink is, at working scale.

    ink : float32 (h, w) in [0, 1], white strokes on black, lighting removed.
    mask : bool (h, w), the pixels that are ink (specks removed).
    scale : float, original pixels per working pixel (below 1 for an enlarged picture).
    contrast : float, ink minus paper in the original grey scale, 0..1.
    separability : float, Otsu's between-class / total variance, 0..1.
    apart : float, how cleanly the ink splits from a lighter grey between it
    and the paper (`ink_apart`), 0..1.
    inverted : bool, True when the picture had dark ink on light paper.
    doubtful : bool, the picture is near half dark (`polarity_doubtful`), so
    `inverted` is a guess.
    grey, flat : float32 (h, w), the working-size grey image and the strokes
    after lighting removal (kept for the inspector).
    lines : bool (h, w), the printed lines taken out of the mask (`rules.py`).
    """

    ink: np.ndarray
    mask: np.ndarray
    scale: float
    contrast: float
    separability: float
    apart: float
    inverted: bool
    doubtful: bool
    grey: np.ndarray
    flat: np.ndarray
    lines: np.ndarray


def find_ink(grey: np.ndarray, dark_ink: bool | None = None, shortest: int = MIN_WORK_SIDE) -> Ink:
    """float32 (H, W) grey in [0, 1] -> `Ink`; `dark_ink` overrules `ink_side` when given, and a
    picture is enlarged to at least `shortest` px (`work_size`)."""
    small, scale = work_size(remove_impulses(grey), shortest=shortest)
    guess, doubtful = ink_side(small)
    inverted = guess if dark_ink is None else bool(dark_ink)
    flat, paper = flatten_lighting(small, inverted)
    smooth = ndimage.gaussian_filter(flat, sigma=_noise_sigma(flat.shape))
    level, separability = otsu_threshold(smooth)
    if scale < 1:  # an enlarged scan's noise comes in blocks of 1/scale px: averaged over one, strokes stand out
        separability = max(separability, otsu_threshold(ndimage.gaussian_filter(flat, 0.5 / scale))[1])
    # in the picture's own grey levels: the strokes are relative to the paper's brightness, and a
    # blank page taken the wrong way round has a dark "paper" that would blow its noise up into strokes
    depth = smooth * paper
    contrast = float(np.percentile(depth, 99.5) - np.percentile(depth, 50))
    mask, lines = remove_paper_lines(remove_specks(smooth > level))
    if lines.any():  # printed lines are a third grey between paper and ink: how cleanly the rest splits
        near = ndimage.binary_dilation(lines)
        flat = np.where(near, 0.0, flat)
        separability = otsu_threshold(np.where(near, 0.0, smooth))[1]
        mask = remove_specks(mask)
    ink = _stretch(flat, mask)
    step = max(1, max(smooth.shape) // 128)  # a photo's grey levels from a subsample: 16x faster at 512 px
    apart = ink_apart(smooth[::step, ::step])
    return Ink(ink, mask, scale, contrast, separability, apart, inverted, doubtful, small, flat, lines)


def work_size(grey: np.ndarray, longest: int = WORK_SIZE, shortest: int = MIN_WORK_SIDE) -> tuple[np.ndarray, float]:
    """The picture at working size, and its scale (original pixels per working pixel).

    Photos are big: the longer side is shrunk to `longest` (box filter).
    Scans from datasets are small: a 16x16 digit's strokes are 2-4 px wide,
    too few for the lighting removal's window, the speck filter and the solid
    stroke test, so each pixel is repeated into a k x k block (the smallest k
    that brings the shorter side to `shortest`, as far as `longest` allows).
    Repeating adds no information and leaves MNIST's 28x28 a fixed point of
    the recipe. usps-train (a third) and semeion-dev at their own 16x16 read
    93.7% and 83.8% before, 99.4% and 94.5% after; MNIST test through
    `prepare` 99.63% before and 99.62% after. (Bilinear enlarging reads
    semeion's 16x16 at 95.5%, but blurs MNIST and doubles its "unsure".)
    """
    height, width = grey.shape
    if max(height, width) > longest:
        factor = longest / max(height, width)
        shape = (max(1, round(width * factor)), max(1, round(height * factor)))
        small = Image.fromarray(grey, mode="F").resize(shape, Image.Resampling.BOX)
        return np.asarray(small, dtype=np.float32), 1.0 / factor
    factor = min(-(-shortest // min(height, width)), longest // max(height, width))
    if factor <= 1:
        return grey, 1.0
    return np.repeat(np.repeat(grey, factor, axis=0), factor, axis=1), 1.0 / factor


def ink_side(grey: np.ndarray) -> tuple[bool, bool]:
    """(dark ink?, doubtful?): the majority is paper (`ink_is_dark`), unless the picture is near half
    ink (`polarity_doubtful`); then an edge nearly all one side is the paper (`edge_is_dark`), and
    without one the side is a guess."""
    if not polarity_doubtful(grey):
        return ink_is_dark(grey), False
    edge_dark = edge_is_dark(grey)
    return (ink_is_dark(grey), True) if edge_dark is None else (not edge_dark, False)


def ink_is_dark(grey: np.ndarray) -> bool:
    """True for dark ink on light paper (the extremes lie below the median)."""
    low, median, high = np.percentile(grey, [0.5, 50, 99.5])
    return (median - low) > (high - median)


def polarity_doubtful(grey: np.ndarray) -> bool:
    """Does the picture split cleanly into two sides, the lesser at least `DOUBTFUL_SHARE` of it?

    `ink_is_dark` takes the majority for paper, but a thick digit cropped to
    its box can be half ink or more: 92 of usps-train's 7,291 digits (mostly
    0s, 50-66% dark) and 7 of semeion-dev's 796, where the majority rule took
    the 0's hole and corners for the digit. Every one of them has a lesser side
    of 0.34 or more (split at Otsu's threshold) and splits cleanly, as solid
    strokes do (separability >= 0.82; `CLEAN_SPLIT`); a digit on paper has
    far less ink (MNIST's are 19%), and a blank page's uneven light or
    Gaussian noise splits at 0.6-0.7.
    """
    level, separability = otsu_threshold(grey)
    dark = float(np.mean(grey < level))
    return separability >= CLEAN_SPLIT and min(dark, 1.0 - dark) >= DOUBTFUL_SHARE


def edge_is_dark(grey: np.ndarray) -> bool | None:
    """Is the picture's edge (its outermost pixels) nearly all dark (True) or nearly all light (False),
    at least `EDGE_SHARE` of it on one side of Otsu's split? None when it is mixed.

    Paper surrounds a digit. A digit written with a marker can be a third of
    the picture or more, and `polarity_doubtful`; tried both ways, the paper
    taken for ink becomes a halo around the digit that reads as a confident 8
    or 0 (MNIST digits with strokes 2-4 px wider, photographed at 10x: 22-26%
    of the doubtful ones took the wrong side). Their edges are 95-100% paper. A
    digit cropped to its box touches the edge: 2-59% of it in usps-train's and
    semeion-dev's doubtful pictures, so those are still tried both ways.
    """
    level, _ = otsu_threshold(grey)
    dark = float((outer_ring(grey) < level).mean())
    if dark >= EDGE_SHARE:
        return True
    if dark <= 1.0 - EDGE_SHARE:
        return False
    return None


def outer_ring(image: np.ndarray) -> np.ndarray:
    """(2h + 2w - 4,) the picture's outermost pixels, each once."""
    return np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])


def flatten_lighting(grey: np.ndarray, dark_ink: bool) -> tuple[np.ndarray, np.ndarray]:
    """Remove the paper's slowly varying brightness; return (strokes bright on 0, the paper's brightness).

    Light falling on paper multiplies its reflectance, so the ink is divided
    by the paper's brightness (a shadow then darkens ink and paper alike and
    cancels). Light ink on a dark board is the same picture inverted and is
    treated alike, so a picture and its negative give the same strokes. (The
    board's brightness was once subtracted instead: where a thick stroke is
    as wide as the window below, that halves it, and white-on-black copies of
    semeion-dev read 83.4% against 95.6% for the same digits dark on light.)
    The paper is estimated by a morphological closing with a window wider
    than any stroke (`lighting_window`).
    """
    if not dark_ink:
        grey = 1.0 - grey
    size = lighting_window(grey)
    step = max(1, size // 8)  # work on a subsampled copy: same result, 64x fewer operations
    coarse = grey[::step, ::step]
    window = max(3, size // step)
    paper = ndimage.uniform_filter(ndimage.grey_closing(coarse, size=window), size=window)
    paper = ndimage.zoom(paper, (grey.shape[0] / coarse.shape[0], grey.shape[1] / coarse.shape[1]),
                         order=1, grid_mode=True, mode="nearest")[: grey.shape[0], : grey.shape[1]]
    return np.clip(1.0 - grey / np.maximum(paper, 1e-3), 0.0, 1.0), paper


def lighting_window(grey: np.ndarray) -> int:
    """The side in px of `flatten_lighting`'s window, for float32 (h, w) dark ink on light paper.

    A quarter of the shorter side is wider than the strokes of a digit
    written with a pen. A marker's strokes can be wider (MNIST digits with
    strokes 4 px wider, photographed: a third of the picture is ink), and a
    window narrower than a stroke takes its middle for paper and hollows it:
    a 1 became a ring read as 0. So when paper surrounds the writing, the
    window is also at least `STROKE_WINDOW` stroke widths. A picture cropped
    to its digit (the dev sets' scans, enlarged 8x8 `digits`) has no paper
    around to measure, and keeps the quarter.
    """
    quarter = max(3, min(grey.shape) // 4)
    step = max(1, min(grey.shape) // 128)  # strokes thinner than this are far below a quarter anyway
    small = grey[::step, ::step]
    level, _ = otsu_threshold(small)
    ink = small < level
    if not ink.any() or outer_ring(ink).mean() > SURROUNDED:
        return quarter
    return max(quarter, int(np.ceil(STROKE_WINDOW * step * stroke_width(ink))))


def remove_specks(mask: np.ndarray) -> np.ndarray:
    """Drop components far smaller than the largest (sensor noise, dust)."""
    return large_blobs(mask, 0.02, at_least=2)


def _noise_sigma(shape) -> float:
    """Blur enough to quiet sensor noise, not enough to merge strokes."""
    return max(0.5, min(shape) / 300)


def _stretch(flat: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Scale so solid ink is 1, and zero everything away from the strokes.

    Keeping the grey edge just outside the mask keeps MNIST's anti-aliased
    look; zeroing beyond it removes paper texture and noise.
    """
    if not mask.any():
        return np.zeros_like(flat)
    solid = np.percentile(flat[mask], 90)
    near = ndimage.binary_dilation(mask, iterations=2)
    return np.clip(flat / max(solid, 1e-3), 0.0, 1.0) * near
