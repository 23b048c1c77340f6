"""Training in several processes: DistributedDataParallel, gloo on CPU, nccl on GPU.

Two ways in, the same loop either way:

    torchrun --nproc-per-node 2 -m digitlab train --engine torch ...   # torchrun sets RANK, WORLD_SIZE
    digitlab train --engine torch --nproc 2 ...                          # we spawn the processes

Only rank 0 logs, writes checkpoints and (in `runs.train`) the run folder;
`is_main()` tells the caller which process it is.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist


def is_running() -> bool:
    return dist.is_available() and dist.is_initialized()


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


def is_main() -> bool:
    """True in rank 0 or outside distributed training (torchrun's RANK, before or after init)."""
    if is_running():
        return dist.get_rank() == 0
    return int(os.environ.get("RANK", "0")) == 0


def init_from_env() -> None:
    """Join the process group torchrun describes in the environment (once); no-op otherwise."""
    if is_running() or int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(local_rank())
    dist.init_process_group(backend)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn_fit(est, X: np.ndarray, y: np.ndarray, every_rank: bool = False):
    """Fit `est` in `est.nproc` processes on this machine; return rank 0's (weights, history).

    With `every_rank`, the weights are a list with every rank's copy (they must
    be equal: DDP keeps the replicas in step), for tests.
    """
    import torch.multiprocessing as mp
    from sklearn.base import clone

    nproc = int(est.nproc)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="digitlab-ddp-") as tmp:
        np.save(Path(tmp) / "X.npy", X)
        np.save(Path(tmp) / "y.npy", y)
        mp.spawn(_worker, args=(nproc, port, clone(est).set_params(nproc=1), tmp), nprocs=nproc, join=True)
        weights = [_load_npz(Path(tmp) / f"weights-{rank}.npz") for rank in range(nproc)]
        history = torch.load(Path(tmp) / "history.pt", weights_only=True)
    return (weights if every_rank else weights[0]), history


def _load_npz(path) -> dict:
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def _worker(rank: int, world: int, port: int, est, tmp: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))  # the cores are shared out
    init_from_env()
    try:
        model = est.fit(np.load(Path(tmp) / "X.npy"), np.load(Path(tmp) / "y.npy"))
        np.savez(Path(tmp) / f"weights-{rank}.npz", **model.get_weights())
        if rank == 0:
            torch.save(model.history_, Path(tmp) / "history.pt")
        # tear down together: a rank that destroys the group while gloo still talks to the
        # other one aborts ("terminate called without an active exception")
        dist.barrier()
    finally:
        dist.destroy_process_group()
    # done: leave without the interpreter's teardown, where gloo's threads, still unwinding, can
    # abort an otherwise finished worker (seen once in CI as SIGABRT)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
