"""The training loop: mini-batches, optimiser, schedule, AMP, checkpoints, DDP.

`train_module` is the whole loop on one screen; the helpers above it build
the optimiser and the schedule from their names. Under torch.distributed each
process takes its share of every global batch (DistributedSampler), DDP
averages the gradients, and only rank 0 logs and writes checkpoints.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch.utils.data import DistributedSampler

from digitlab.errors import DigitlabError
from digitlab.nn.schedules import learning_rate
from digitlab.progress import Progress
from digitlab.torch_engine.checkpoint import (
    load_checkpoint,
    rng_states,
    save_checkpoint,
    set_rng_states,
)
from digitlab.torch_engine.robust_augment import apply_augment

SOLVERS = ("adamw", "adam", "nesterov", "momentum", "sgd")
SCHEDULES = ("onecycle", "cosine", "step", "constant")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    batch_size: int = 128  # global: split across processes under DDP
    lr: float = 1e-3  # peak learning rate for one-cycle
    solver: str = "adamw"
    weight_decay: float = 1e-4
    momentum: float = 0.9  # momentum and nesterov only
    schedule: str = "onecycle"
    label_smoothing: float = 0.0
    augment: object = None  # an augment.Augment, a robust_augment.Robust or None
    amp: bool = False  # mixed precision, CUDA only
    channels_last: bool = False
    seed: int = 0


def make_optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.solver == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.solver == "adam":  # L2 penalty in the gradient, like scikit-learn's alpha
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.solver in ("nesterov", "momentum", "sgd"):
        momentum = 0.0 if cfg.solver == "sgd" else cfg.momentum
        return torch.optim.SGD(params, lr=cfg.lr, momentum=momentum, nesterov=cfg.solver == "nesterov",
                               weight_decay=cfg.weight_decay)
    raise DigitlabError(f"unknown solver {cfg.solver!r}; choose from {', '.join(SOLVERS)}")


def make_schedule(optimizer, cfg: TrainConfig, total_steps: int):
    """A per-step schedule: one-cycle (warm up to lr, anneal to ~0), cosine, step or constant.

    cosine, step and constant follow the numpy engine's curves (`digitlab.nn.schedules`).
    """
    if cfg.schedule == "onecycle" and total_steps >= 4:  # fewer steps cannot make a cycle
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.lr, total_steps=total_steps,
                                                   pct_start=max(0.25, 2 / total_steps))
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    if cfg.schedule in ("constant", "step", "onecycle"):
        shape = "constant" if cfg.schedule == "onecycle" else cfg.schedule
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: learning_rate(shape, 1.0, step / total_steps))
    raise DigitlabError(f"unknown schedule {cfg.schedule!r}; choose from {', '.join(SCHEDULES)}")


def train_module(module, X: torch.Tensor, y: torch.Tensor, cfg: TrainConfig, device: torch.device,
                 checkpoint=None, resume: bool = False, verbose=0, on_epoch=None) -> list[dict]:
    """Train `module` in place on X (n, C, H, W) float32, y (n,) int64; return the per-epoch history.

    `checkpoint`: a path written after every epoch (rank 0); with `resume`, the
    run continues from it. `on_epoch(epoch, module)` is called after each epoch
    (rank 0, outside the timed part), for benchmarks that score as they go.
    `verbose=1` shows progress (rank 0): a bar on a terminal, one line per epoch elsewhere.
    """
    rank, world = _rank_world()
    per_rank = max(cfg.batch_size // world, 1)
    sampler = DistributedSampler(range(len(X)), num_replicas=world, rank=rank, shuffle=True, seed=cfg.seed)
    steps = -(-sampler.num_samples // per_rank)
    memory_format = torch.channels_last if cfg.channels_last and X.dim() == 4 else torch.contiguous_format
    module.to(device, memory_format=memory_format)
    net = _wrap_ddp(module, device) if world > 1 else module
    optimizer = make_optimizer(module.parameters(), cfg)
    schedule = make_schedule(optimizer, cfg, cfg.epochs * steps)
    use_amp = cfg.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    gen = torch.Generator().manual_seed(cfg.seed + 1000 * rank)  # augmentation differs per rank
    history, start_epoch = [], 0
    if resume and checkpoint is not None:
        state = load_checkpoint(checkpoint)
        _check_resumable(checkpoint, state, cfg, world)
        module.load_state_dict(state["module"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        scaler.load_state_dict(state["scaler"])
        set_rng_states(state["rng"][rank] if world > 1 else state["rng"][0], gen)
        history, start_epoch = state["history"], len(state["history"])
    X, y = X.to(device), y.to(device)
    elapsed = history[-1]["seconds"] if history else 0.0
    shown = verbose if rank == 0 else 0
    with Progress(cfg.epochs - start_epoch, "training", verbose=shown, inner=steps) as progress:
        for epoch in range(start_epoch, cfg.epochs):
            started = time.perf_counter()
            sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
            order = torch.tensor(list(sampler), device=device)
            net.train()
            total_loss, correct, seen = torch.zeros((), device=device), torch.zeros((), device=device), 0
            for step in range(steps):
                index = order[step * per_rank:(step + 1) * per_rank]
                xb, yb = X[index], y[index]
                if cfg.augment is not None:
                    xb = apply_augment(xb, cfg.augment, gen)
                xb = xb.contiguous(memory_format=memory_format)
                with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
                    logits = net(xb)
                    loss = F.cross_entropy(logits.float(), yb, label_smoothing=cfg.label_smoothing)
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
                schedule.step()
                total_loss += loss.detach() * len(yb)
                correct += (logits.argmax(1) == yb).sum()
                seen += len(yb)
                progress.advance()
            elapsed += time.perf_counter() - started
            record = {"epoch": epoch + 1, "loss": _global_mean(total_loss, seen, world),
                      "accuracy": _global_mean(correct, seen, world),
                      "lr": schedule.get_last_lr()[0], "seconds": elapsed}
            history.append(record)
            rngs = _gather_rng(rng_states(gen), world)
            progress.step(loss=record["loss"], acc=record["accuracy"])
            if rank == 0:
                if checkpoint is not None:
                    save_checkpoint(checkpoint, {"module": module.state_dict(), "optimizer": optimizer.state_dict(),
                                                 "schedule": schedule.state_dict(), "scaler": scaler.state_dict(),
                                                 "rng": rngs, "history": history, "config": _settings(cfg)})
                if on_epoch:
                    on_epoch(epoch + 1, module)
    return history


def _settings(cfg: TrainConfig) -> dict:
    """The settings a checkpoint must share with the run resuming it (plain values only)."""
    return {k: (repr(v) if k == "augment" else v) for k, v in asdict(cfg).items() if k not in ("amp",)}


def _check_resumable(path, state: dict, cfg: TrainConfig, world: int) -> None:
    """Resuming with other settings would silently give another model: refuse, naming the difference."""
    saved = state.get("config", {})
    changed = [f"{k} {saved[k]!r} -> {v!r}" for k, v in _settings(cfg).items() if k in saved and saved[k] != v]
    if changed:
        raise DigitlabError(f"{path}: written with other settings ({'; '.join(changed)}); "
                            "resume with the same ones or start a new checkpoint")
    if len(state["rng"]) != world:
        raise DigitlabError(f"{path}: written by {len(state['rng'])} process(es), resumed with {world}")


def _rank_world() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def _wrap_ddp(module, device):
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index if device.index is not None else torch.cuda.current_device()] \
        if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids)


def _global_mean(total: torch.Tensor, seen: int, world: int) -> float:
    """The mean over every process's examples (an all-reduce under DDP)."""
    both = torch.stack([total.float(), torch.tensor(float(seen), device=total.device)])
    if world > 1:
        torch.distributed.all_reduce(both)
    return float(both[0] / both[1])


def _gather_rng(states: dict, world: int) -> list[dict]:
    """Every rank's random states (so a resumed DDP run draws what it would have)."""
    if world == 1:
        return [states]
    gathered = [None] * world
    torch.distributed.all_gather_object(gathered, states)
    return gathered
