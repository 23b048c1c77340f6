"""A fitted network's forward pass run by torch: the same probabilities, about twice as fast on a CPU.

For serving. The numpy engine runs each layer as numpy calls; torch runs the
same architecture with fused kernels and less Python per layer (BENCHMARKS.md,
Serving). `TorchForward` takes any fitted network estimator of ours (numpy or
torch engine: `architecture_`, `get_weights()`, `classes_`) and answers
`predict_proba` like it, within 1e-5.

    fast = TorchForward(reader.model)      # then: fast.predict_proba(X)
"""

from __future__ import annotations

import numpy as np
import torch

from digitlab.nn.losses import to_probabilities
from digitlab.nn.network import HEADS
from digitlab.torch_engine.build import build_module, set_weights


def can_run(model) -> bool:
    """Whether `model` is a fitted network that `TorchForward` can take."""
    return hasattr(model, "architecture_") and hasattr(model, "get_weights") and hasattr(model, "classes_")


class TorchForward:
    """`predict_proba` of a fitted network, computed by torch on the CPU in evaluation mode.

    Parameters
    ----------
    model : a fitted network estimator (see `can_run`).
    threads : torch threads for the forward pass. One suits a server that
        already runs one process per core: a few digits are too small to split.
    """

    def __init__(self, model, threads: int = 1):
        self.architecture_ = model.architecture_
        self.classes_ = np.asarray(model.classes_)
        self.threads = threads
        last = self.architecture_["layers"][-1]["type"]
        self.head = last if last in HEADS else None  # as `Network.head`: probabilities as the model makes them
        self.shape = tuple(self.architecture_["input_shape"])
        # Only tensors here, no torch threads yet: safe to build before a server forks its workers.
        self.module = set_weights(build_module(self.architecture_), model.get_weights()).eval()

    def predict_proba(self, X) -> np.ndarray:
        """(n, n_classes) float32 probabilities for float32 X (n, H*W) in [0, 1]."""
        # torch's thread count is per calling thread under OpenMP: set it in the thread that runs us
        if torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)
        x = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)).view(-1, *self.shape)
        with torch.inference_mode():
            out = self.module(x).numpy()
        return to_probabilities(out, self.head)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def body_features(model, X: np.ndarray, start: int, threads: int = 2, batch_size: int = 256) -> np.ndarray:
    """Layers [0, start) of a fitted network, run by torch: X (n, *input_shape) -> features, float32.

    The same numbers as `digitlab.nn.finetune.body_features` to float32 rounding, faster: adapting
    a model (`digitlab.evaluate.adapt`) spends most of its time here.
    """
    body = set_weights(build_module(model.architecture_), model.get_weights()).eval()[:start]
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            chunks = [body(torch.from_numpy(np.ascontiguousarray(X[i:i + batch_size], dtype=np.float32))).numpy()
                      for i in range(0, len(X), batch_size)]
    finally:
        torch.set_num_threads(before)
    return np.concatenate(chunks)
