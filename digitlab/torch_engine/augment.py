"""Data augmentation on whole batches: random affine and elastic distortion.

Both warp a batch `(n, C, H, W)` with one `grid_sample` call, so the cost is
a small fraction of a training step even on a CPU. Every random number comes
from the `torch.Generator` passed in, so a resumed run draws the same ones.

Presets (`--augment`): "none", "affine" (rotation 10 deg, shift 10%, scale
0.9-1.1, shear 10 deg), "elastic" (affine plus Simard et al.'s elastic
distortion, alpha 34 px, sigma 4 px, on 28x28).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Augment:
    rotation: float = 10.0  # degrees, uniform in [-r, r]
    shift: float = 0.1  # fraction of the image side, uniform in [-s, s]
    scale: tuple = (0.9, 1.1)
    shear: float = 10.0  # degrees
    elastic_alpha: float = 0.0  # displacement size in pixels of a 28x28 image, 0 = off
    elastic_sigma: float = 4.0  # smoothness of the field, pixels of a 28x28 image (both scale with size)


PRESETS = {"none": None, "affine": Augment(), "elastic": Augment(elastic_alpha=34.0)}


def augment_batch(x: torch.Tensor, aug: Augment, gen: torch.Generator) -> torch.Tensor:
    """A randomly warped copy of `x` (n, C, H, W); `gen` lives on the CPU."""
    n, _, h, w = x.shape
    grid = F.affine_grid(_affine_matrices(n, aug, gen).to(x.device, x.dtype), list(x.shape),
                         align_corners=False)  # (n, H, W, 2) in [-1, 1]
    if aug.elastic_alpha:
        grid = grid + _elastic_field(n, h, w, aug, gen).to(x.device, x.dtype)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _uniform(n: int, low: float, high: float, gen: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=gen)


def _affine_matrices(n: int, aug: Augment, gen: torch.Generator) -> torch.Tensor:
    """(n, 2, 3): output -> input sampling maps, rotation @ shear / scale plus a shift."""
    angle = _uniform(n, -aug.rotation, aug.rotation, gen) * math.pi / 180
    shear = _uniform(n, -aug.shear, aug.shear, gen) * math.pi / 180
    scale = _uniform(n, aug.scale[0], aug.scale[1], gen)
    tx, ty = (_uniform(n, -2 * aug.shift, 2 * aug.shift, gen) for _ in range(2))  # grid spans 2
    cos, sin, tan = torch.cos(angle), torch.sin(angle), torch.tan(shear)
    # sampling grid = inverse map, so dividing by scale enlarges the digit
    a = torch.stack([torch.stack([cos, -sin + cos * tan], 1), torch.stack([sin, cos + sin * tan], 1)], 1)
    a = a / scale[:, None, None]
    return torch.cat([a, torch.stack([tx, ty], 1)[:, :, None]], dim=2)


def _elastic_field(n: int, h: int, w: int, aug: Augment, gen: torch.Generator) -> torch.Tensor:
    """(n, H, W, 2): uniform noise smoothed by a Gaussian, scaled to alpha pixels (in grid units)."""
    noise = torch.rand(n, 2, h, w, generator=gen) * 2 - 1
    sigma, alpha = aug.elastic_sigma * w / 28, aug.elastic_alpha * w / 28
    radius = math.ceil(3 * sigma)
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-t**2 / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    # separable blur, one channel at a time (groups=2), rows then columns
    field = F.conv2d(noise, kernel.view(1, 1, 1, -1).repeat(2, 1, 1, 1), padding=(0, radius), groups=2)
    field = F.conv2d(field, kernel.view(1, 1, -1, 1).repeat(2, 1, 1, 1), padding=(radius, 0), groups=2)
    field = field * alpha * torch.tensor([2 / w, 2 / h]).view(1, 2, 1, 1)
    return field.permute(0, 2, 3, 1)
