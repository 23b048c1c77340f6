"""The `robust` augmentation preset: MNIST made to look like other people's handwriting and pictures.

MNIST's digits are clean, evenly thick, anti-aliased strokes on pure black.
Real digits come thicker or thinner (USPS's are thick), squarer (Semeion's
fill their box), blurred, faint, on grey or ruled paper, crossed by lines,
blotted, noisy. `robust_batch` warps a batch as the `affine` preset does,
then gives each image each corruption of `corrupt.py` with its own
probability, in the order a picture is made: the pen, the paper, the
lighting, the sensor. A share `clean` of the images keeps only the warp, so
the network still sees MNIST as it is.

Held out on purpose, so robustness to them is measured rather than trained:
fog, zigzag lines, edge filters, motion blur and pixelation.

Random numbers: one 63-bit seed per batch from the CPU generator the loop
passes in seeds a generator on the batch's device, which draws everything
else there (no per-pixel noise crosses the bus), so `--resume` stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from digitlab.torch_engine import augment
from digitlab.torch_engine.augment import Augment, augment_batch
from digitlab.torch_engine.corrupt import CORRUPTIONS

# (name, probability per image), applied in this order
FAMILIES = (("fill_box", 0.15), ("pen", 0.5), ("blur", 0.25), ("contrast", 0.25), ("binarize", 0.1),
            ("background", 0.15), ("stripes", 0.1), ("lines", 0.1), ("spots", 0.15), ("patch", 0.1),
            ("frame", 0.1), ("noise", 0.2), ("impulse", 0.1))
AFFINE = Augment()  # the affine preset's geometry


@dataclass(frozen=True)
class Robust:
    warp: Augment | None = AFFINE  # applied first
    families: tuple = FAMILIES
    clean: float = 0.2  # share of images with the warp only

    def without(self, *names: str) -> Robust:
        """The same preset less the named families (for ablations)."""
        unknown = set(names) - {name for name, _ in self.families}
        if unknown:
            raise ValueError(f"no such families: {', '.join(sorted(unknown))}")
        return replace(self, families=tuple(f for f in self.families if f[0] not in names))


def device_generator(gen: torch.Generator, device) -> torch.Generator:
    """A generator on `device` seeded by one draw from `gen` (CPU): the batch's randomness, reproducibly."""
    seed = int(torch.randint(0, 2**63 - 1, (1,), generator=gen))
    return torch.Generator(device=device).manual_seed(seed)


def robust_batch(x: torch.Tensor, aug: Robust, gen: torch.Generator) -> torch.Tensor:
    """A warped, corrupted copy of `x` (n, C, H, W) in [0, 1]; `gen` lives on the CPU."""
    if aug.warp is not None:
        x = augment_batch(x, aug.warp, gen)
    g = device_generator(gen, x.device)
    keep = torch.rand(len(x), generator=g, device=x.device) < aug.clean
    for name, p in aug.families:
        chosen = (torch.rand(len(x), generator=g, device=x.device) < p) & ~keep
        x = _apply(CORRUPTIONS[name], x, chosen, g)
    return x.clamp(0, 1)


def _apply(op, x: torch.Tensor, chosen: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """`op` on the chosen images of x (n, C, H, W), the others as they are."""
    if x.device.type == "cpu":  # a CPU pays per pixel: corrupt only the chosen images
        if not chosen.any():
            return x
        out = x.clone()
        out[chosen] = op(x[chosen], g)
        return out
    # on a GPU the whole-batch op costs less than the sync that boolean indexing needs
    return torch.where(chosen.view(-1, 1, 1, 1), op(x, g), x)


def apply_augment(x: torch.Tensor, aug, gen: torch.Generator) -> torch.Tensor:
    """Any preset's augmentation: `Robust` here, the geometric `Augment` in augment.py."""
    if isinstance(aug, Robust):
        return robust_batch(x, aug, gen)
    return augment_batch(x, aug, gen)


# every --augment preset: augment.py's geometric ones plus this one
PRESETS = {**augment.PRESETS, "robust": Robust()}
