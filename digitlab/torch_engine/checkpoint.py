"""Checkpoints: everything needed to continue a run exactly, written atomically.

A checkpoint holds the module, optimiser, schedule and AMP scaler states, the
history so far, and every random state the run draws from (torch's global
generator, which dropout uses, and the run's own generator, which shuffles and
augments). Resuming from the checkpoint of epoch k on the CPU therefore gives
bit-for-bit the weights the uninterrupted run has after the last epoch.
"""

from __future__ import annotations

from pathlib import Path

import torch

from digitlab.errors import DigitlabError
from digitlab.files import atomic_path


def save_checkpoint(path, state: dict) -> None:
    """torch.save to a temporary file beside `path`, then rename: never a half-written file."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path) -> dict:
    """Read a checkpoint with `weights_only=True`, so a file cannot run code when loaded."""
    path = Path(path)
    if not path.is_file():
        raise DigitlabError(f"{path}: no checkpoint to resume from")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle, zip and torch errors all mean the same to a user
        raise DigitlabError(f"{path}: not a digitlab torch checkpoint ({type(exc).__name__})") from exc


def rng_states(gen: torch.Generator) -> dict:
    """torch's CPU (and CUDA) generators, which dropout draws from, and the run's data generator."""
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    return {"torch": torch.get_rng_state(), "cuda": cuda, "data": gen.get_state()}


def set_rng_states(states: dict, gen: torch.Generator) -> None:
    torch.set_rng_state(states["torch"])
    if states.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
    gen.set_state(states["data"])
