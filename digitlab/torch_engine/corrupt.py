"""Batched image corruptions: what pens, paper, scanners and cameras do to a digit.

Each op takes a batch `x` (n, C, H, W) in [0, 1], white ink on black, and a
`torch.Generator` on the batch's device, draws its own per-sample settings
from it (uniform in the given ranges) and returns a new batch of the same
shape, dtype and device, still in [0, 1]. Nothing loops over samples, so a
batch costs a few kernels on a GPU. Sizes are pixels of a 28x28 image.

    pen         thinner or thicker strokes (grey-scale erosion / dilation)
    fill_box    stretch the shorter side towards the longer (Semeion fills its box)
    blur        Gaussian, a per-sample sigma (out of focus, soft scans)
    contrast    ink and paper levels and a gamma (faint pencil, grey paper)
    binarize    a hard threshold (fax-like, 1-bit scans)
    background  a grey gradient behind the ink (uneven lighting)
    lines       one straight line across the digit (a strike, a table rule)
    stripes     parallel lines (ruled or squared paper)
    spots       small ink blots and erased holes
    patch       a rectangle hiding part of the digit (a finger, a sticker)
    frame       a rectangle's outline around the digit (a form's box, a scan's edge)
    noise       additive Gaussian noise
    impulse     salt-and-pepper pixels
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _rand(x, g, low, high, *shape) -> torch.Tensor:
    """(n, *shape) uniform in [low, high) on x's device and dtype."""
    return low + (high - low) * _draw(torch.rand, x, (len(x), *shape), g)


def _draw(sampler, x, shape, g) -> torch.Tensor:
    """`sampler` (torch.rand or torch.randn) drawn in float32 on x's device, then cast to x's dtype:
    the same seed gives the same corruption whatever the batch's dtype."""
    return sampler(shape, generator=g, device=x.device, dtype=torch.float32).to(x.dtype)


def _per_sample(v: torch.Tensor) -> torch.Tensor:
    return v.view(-1, 1, 1, 1)  # (n,) -> (n, 1, 1, 1), broadcast over (C, H, W)


def _coords(x) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel-centre coordinates (H, W) each, origin at the image centre, in pixels."""
    h, w = x.shape[-2:]
    ys = torch.arange(h, device=x.device, dtype=x.dtype) - (h - 1) / 2
    xs = torch.arange(w, device=x.device, dtype=x.dtype) - (w - 1) / 2
    return torch.meshgrid(ys, xs, indexing="ij")


def _soft(half_width, distance) -> torch.Tensor:
    """1 inside, 0 outside, a one-pixel anti-aliased edge: clamp(hw + 1/2 - d, 0, 1)."""
    return (half_width + 0.5 - distance).clamp(0, 1)


def pen(x, g, thin: float = 0.6, thick: float = 1.5):
    """Stroke width: t in [-thin, thick]; -1 = eroded, 0 = as is, 1 = dilated by 3x3, 2 = twice.

    Grey-scale dilation is a 3x3 max filter (erosion the min, as -max(-x));
    fractional t interpolates between neighbouring steps so the width varies smoothly.
    """
    t = _per_sample(_rand(x, g, -thin, thick))
    dil1 = _max3x3(x)
    dil2 = _max3x3(dil1)
    ero = -_max3x3(-x)  # the zero border counts as paper, so edge ink erodes too
    out = torch.where(t < 0, x + (-t) * (ero - x), x + t * (dil1 - x))
    return torch.where(t > 1, dil1 + (t - 1) * (dil2 - dil1), out)


def _max3x3(x):
    """max over each pixel's 3x3 neighbourhood, zero outside; separable shifted maxima (10x F.max_pool2d on a CPU)."""
    h, w = x.shape[-2:]
    p = F.pad(x, (1, 1, 1, 1))
    rows = torch.maximum(torch.maximum(p[..., :w], p[..., 1:w + 1]), p[..., 2:w + 2])  # (n, C, H+2, W)
    return torch.maximum(torch.maximum(rows[..., :h, :], rows[..., 1:h + 1, :]), rows[..., 2:h + 2, :])


def fill_box(x, g, most: float = 4.0, level: float = 0.3):
    """Stretch the ink's shorter side by k = 1 + u (min(L/S, most) - 1), u in [0, 1], about its centre.

    Semeion's writers' digits were scaled to fill a square, so a "1" becomes a
    wide bar; after the reader crops to the ink such digits are squarer than
    any in MNIST. u = 1 fills the square.
    """
    h, w = x.shape[-2:]
    ink = x.amax(1) > level  # (n, H, W)
    r0, r1 = _extent(ink.any(2))
    c0, c1 = _extent(ink.any(1))
    height, width = (r1 - r0 + 1).to(x.dtype), (c1 - c0 + 1).to(x.dtype)
    u = _rand(x, g, 0.0, 1.0)
    k = 1 + u * ((torch.maximum(height, width) / torch.minimum(height, width)).clamp(max=most) - 1)
    kx, ky = torch.where(width < height, k, 1.0), torch.where(height <= width, k, 1.0)
    cx, cy = (c0 + c1 + 1).to(x.dtype) / w - 1, (r0 + r1 + 1).to(x.dtype) / h - 1  # ink centre in [-1, 1]
    zero = torch.zeros_like(k)
    # sampling map (output -> input): in = c + (out - c) / k on each axis
    theta = torch.stack([torch.stack([1 / kx, zero, cx * (1 - 1 / kx)], 1),
                         torch.stack([zero, 1 / ky, cy * (1 - 1 / ky)], 1)], 1)  # (n, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False).clamp(0, 1)


def _extent(any_ink: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """First and last True index per row of (n, L); (0, L-1) for a row with none (then k = 1)."""
    size = any_ink.shape[1]
    first = any_ink.int().argmax(1)
    last = size - 1 - any_ink.flip(1).int().argmax(1)
    empty = ~any_ink.any(1)
    return first.masked_fill(empty, 0), last.masked_fill(empty, size - 1)


def blur(x, g, sigma=(0.4, 1.5)):
    """Gaussian blur with a per-sample sigma (pixels): one separable grouped conv for the batch."""
    n, c, h, w = x.shape
    s = _rand(x, g, *sigma)[:, None]  # (n, 1)
    radius = math.ceil(3 * sigma[1])
    t = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    kernel = torch.exp(-t**2 / (2 * s**2))  # (n, 2r+1)
    kernel = (kernel / kernel.sum(1, keepdim=True)).repeat_interleave(c, 0)  # (n*C, 2r+1)
    flat = x.reshape(1, n * c, h, w)  # each image is its own group
    flat = F.conv2d(flat, kernel.view(n * c, 1, 1, -1), padding=(0, radius), groups=n * c)
    flat = F.conv2d(flat, kernel.view(n * c, 1, -1, 1), padding=(radius, 0), groups=n * c)
    return flat.view(n, c, h, w).clamp(0, 1)


def contrast(x, g, paper=(0.0, 0.35), ink=(0.45, 1.0), gamma=(0.5, 2.0)):
    """paper + (ink - paper) * x^gamma: faint or grey ink on grey paper; gamma log-uniform."""
    lo, hi = _per_sample(_rand(x, g, *paper)), _per_sample(_rand(x, g, *ink))
    gam = _per_sample(torch.exp(_rand(x, g, math.log(gamma[0]), math.log(gamma[1]))))
    return (lo + (hi - lo) * x.clamp(min=0) ** gam).clamp(0, 1)


def binarize(x, g, level=(0.25, 0.6)):
    """1 where x > a per-sample level, else 0 (1-bit scans such as Semeion's)."""
    return (x > _per_sample(_rand(x, g, *level))).to(x.dtype)


def background(x, g, level=(0.1, 0.45)):
    """A linear grey ramp from 0 to `level` at a random angle, screened under the ink: 1 - (1-x)(1-b)."""
    ys, xs = _coords(x)
    angle = _per_sample(_rand(x, g, 0.0, 2 * math.pi))
    ramp = (xs * torch.cos(angle) + ys * torch.sin(angle)) / max(x.shape[-2:]) + 0.5  # (n, 1, H, W), ~[0, 1]
    b = _per_sample(_rand(x, g, *level)) * ramp.clamp(0, 1)
    return 1 - (1 - x) * (1 - b)


def lines(x, g, width=(0.8, 2.5), ink=(0.4, 1.0), reach: float = 8.0):
    """One straight line at any angle within `reach` px of the centre, drawn over the digit."""
    dist = _line_distance(x, g, _rand(x, g, -reach, reach), period=None)
    return torch.maximum(x, _per_sample(_rand(x, g, *ink)) * _soft(_per_sample(_rand(x, g, *width)) / 2, dist))


def stripes(x, g, period=(4.0, 10.0), width=(0.6, 1.5), ink=(0.15, 0.6)):
    """Parallel lines every `period` px at a random angle (ruled paper), fainter than the ink."""
    p = _per_sample(_rand(x, g, *period))
    dist = _line_distance(x, g, _rand(x, g, 0.0, 1.0), period=p)
    return torch.maximum(x, _per_sample(_rand(x, g, *ink)) * _soft(_per_sample(_rand(x, g, *width)) / 2, dist))


def _line_distance(x, g, offset, period):
    """(n, 1, H, W) distance in px to the line x cos a + y sin a = offset (or the nearest of a period)."""
    ys, xs = _coords(x)
    angle = _per_sample(_rand(x, g, 0.0, math.pi))
    along = xs * torch.cos(angle) + ys * torch.sin(angle)
    if period is None:
        return (along - _per_sample(offset)).abs()
    u = along / period + _per_sample(offset)  # offset is a phase in [0, 1)
    return (u - torch.round(u)).abs() * period


def spots(x, g, count: int = 3, radius=(0.8, 3.0), erase: float = 0.5):
    """`count` discs per image; each an ink blot (max) or, with probability `erase`, a hole (x * (1 - m))."""
    h, w = x.shape[-2:]
    ys, xs = _coords(x)
    cy, cx = _rand(x, g, -h / 2, h / 2, count, 1, 1), _rand(x, g, -w / 2, w / 2, count, 1, 1)  # (n, k, 1, 1)
    r = _rand(x, g, *radius, count, 1, 1)
    discs = _soft(r, torch.sqrt((ys - cy) ** 2 + (xs - cx) ** 2))  # (n, k, H, W)
    is_hole = (_rand(x, g, 0.0, 1.0, count, 1, 1) < erase).to(x.dtype)
    holes = (discs * is_hole).amax(1, keepdim=True)  # (n, 1, H, W)
    blots = (discs * (1 - is_hole) * _rand(x, g, 0.5, 1.0, count, 1, 1)).amax(1, keepdim=True)
    return torch.maximum(x * (1 - holes), blots)


def patch(x, g, side=(4.0, 10.0), reach: float = 7.0):
    """A rectangle (sides in px) near the centre filled with a flat grey in [0, 1] (0 erases)."""
    ys, xs = _coords(x)
    cy, cx = _per_sample(_rand(x, g, -reach, reach)), _per_sample(_rand(x, g, -reach, reach))
    hh, hw = _per_sample(_rand(x, g, *side)) / 2, _per_sample(_rand(x, g, *side)) / 2
    inside = _soft(hh, (ys - cy).abs()) * _soft(hw, (xs - cx).abs())  # (n, 1, H, W)
    value = _per_sample(_rand(x, g, 0.0, 1.0))
    return x + inside * (value - x)


def frame(x, g, half=(8.0, 14.0), width=(0.8, 2.0), ink=(0.4, 1.0)):
    """A rectangle's outline around the centre: a form's digit box, or a scan's edge, the reader kept.

    Distance to the outline = |max(|y - cy| - hy, |x - cx| - hx)| (exact along
    the sides, where it matters for a one-pixel line).
    """
    ys, xs = _coords(x)
    cy, cx = _per_sample(_rand(x, g, -2.0, 2.0)), _per_sample(_rand(x, g, -2.0, 2.0))
    hy, hx = _per_sample(_rand(x, g, *half)), _per_sample(_rand(x, g, *half))
    dist = torch.maximum((ys - cy).abs() - hy, (xs - cx).abs() - hx).abs()
    return torch.maximum(x, _per_sample(_rand(x, g, *ink)) * _soft(_per_sample(_rand(x, g, *width)) / 2, dist))


def noise(x, g, std=(0.03, 0.3)):
    """x + N(0, std^2) per pixel, std per sample; clipped to [0, 1]."""
    s = _per_sample(_rand(x, g, *std))
    return (x + s * _draw(torch.randn, x, x.shape, g)).clamp(0, 1)


def impulse(x, g, amount=(0.01, 0.08)):
    """Salt and pepper: a share `amount` of pixels set to 0 or 1, half each."""
    a = _per_sample(_rand(x, g, *amount))
    u = _draw(torch.rand, x, x.shape, g)
    return torch.where(u < a / 2, torch.zeros_like(x), torch.where(u > 1 - a / 2, torch.ones_like(x), x))


CORRUPTIONS = {"pen": pen, "fill_box": fill_box, "blur": blur, "contrast": contrast, "binarize": binarize,
               "background": background, "lines": lines, "stripes": stripes, "spots": spots, "patch": patch,
               "frame": frame, "noise": noise, "impulse": impulse}
