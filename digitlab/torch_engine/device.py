"""Which device to train on: the best one present, or the one the user names."""

from __future__ import annotations

import torch

from digitlab.errors import DigitlabError


def pick_device(name: str = "auto") -> torch.device:
    """`auto` -> cuda, then mps, then cpu; `cuda`, `cuda:1`, `mps`, `cpu` as asked, if present."""
    if name in (None, "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise DigitlabError(f"--device {name!r}: not a device name (auto, cpu, cuda, cuda:N, mps)") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DigitlabError(f"--device {name}: no CUDA GPU is available here (try --device cpu)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise DigitlabError(f"--device {name}: Apple MPS is not available here (try --device cpu)")
    return device
