"""The training loop: shuffled mini-batches, a step per batch, a history row per epoch.

    for epoch in range(max_iter):
        for each mini-batch (reshuffled every epoch):
            forward -> loss and dL/d(output) -> backward -> optimiser step
        score the validation split; stop early when it has not improved for a while

Kept apart from the estimator so it reads on one screen.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from digitlab.errors import DigitlabError
from digitlab.nn import architecture as A
from digitlab.nn.augment import random_shift
from digitlab.nn.losses import loss_function, to_probabilities
from digitlab.nn.network import Network
from digitlab.nn.optimizers import Optimizer
from digitlab.nn.schedules import learning_rate
from digitlab.progress import Progress


@dataclass(frozen=True)
class TrainSettings:
    loss: str = "cross_entropy"
    solver: str = "adam"
    learning_rate_init: float = 1e-3
    schedule: str = "constant"
    max_iter: int = 10
    batch_size: int = 128
    alpha: float = 0.0
    momentum: float = 0.9
    early_stopping: bool = False
    n_iter_no_change: int = 5
    tol: float = 1e-4
    augment: int = 0  # the largest random shift in pixels (settings.shift_pixels)
    verbose: int = 0  # 1: a progress bar on a terminal, a line per epoch elsewhere
    # BLAS threads while training (None: leave BLAS as it is). One, because a batch's products are too
    # small to share: waking OpenBLAS's pool costs more than it saves, and beside other jobs its threads
    # are descheduled and every product waits for them (an MLP epoch 10-40x slower; BENCHMARKS.md)
    blas_threads: int | None = 1


def train(net: Network, X: np.ndarray, y: np.ndarray, val: tuple | None, s: TrainSettings,
          rng: np.random.Generator) -> list[dict]:
    """Fit `net` in place on X (n, *input_shape) and y; return the history.

    y is class indices (n,), or target probabilities (n, k) to learn soft answers, such as another
    network's (distillation; `digitlab.evaluate.adapt` teaches replayed digits their old answers).

    `val` is (X_val, y_val) or None. With early stopping the weights of the
    best epoch (lowest validation loss, else training loss) are restored.
    A loss that is not finite stops training with a DigitlabError.
    The BLAS thread limit (`s.blas_threads`) is process-wide while it lasts and restored on return.
    """
    # overflow on the way to a NaN loss is reported once, as a DigitlabError, not as numpy warnings
    batches = -(-len(X) // s.batch_size)
    with np.errstate(over="ignore", invalid="ignore"), threadpool_limits(limits=s.blas_threads, user_api="blas"), \
            Progress(s.max_iter, "training", verbose=s.verbose, inner=batches) as progress:
        return _train(net, X, y, val, s, rng, progress)


def _train(net: Network, X: np.ndarray, y: np.ndarray, val: tuple | None, s: TrainSettings,
           rng: np.random.Generator, progress: Progress) -> list[dict]:
    targets, labels = target_rows(net, y), class_indices(y)
    loss_fn, fused = loss_function(s.loss, net.head)
    optimizer = Optimizer(s.solver, momentum=s.momentum, weight_decay=s.alpha)
    batches_per_epoch = -(-len(X) // s.batch_size)
    full_batch = batches_per_epoch == 1
    total_steps = s.max_iter * batches_per_epoch
    history, best, best_weights, waited = [], np.inf, None, 0
    for epoch in range(1, s.max_iter + 1):
        start = time.perf_counter()
        order = None if full_batch else rng.permutation(len(X))
        sum_loss = correct = 0.0
        for b in range(batches_per_epoch):
            # full-batch gradient descent needs no shuffled copy of the whole data set
            index = slice(None) if full_batch else order[b * s.batch_size:(b + 1) * s.batch_size]
            lr = learning_rate(s.schedule, s.learning_rate_init, ((epoch - 1) * batches_per_epoch + b) / total_steps)
            out = net.forward(random_shift(X[index], s.augment, rng), training=True, skip_head=fused)
            loss, delta = loss_fn(out, targets[index])
            if not math.isfinite(loss):
                raise DigitlabError(f"training diverged at epoch {epoch}: the loss is {loss}; "
                                    f"try a smaller learning_rate_init (now {s.learning_rate_init})")
            net.backward(delta, skip_head=fused)
            optimizer.step(net.params, net.grads, lr, net.decayed)
            sum_loss += loss * len(out)
            correct += (out.argmax(axis=1) == labels[index]).sum()
            progress.advance()
        row = {"epoch": epoch, "loss": float(sum_loss / len(X)), "accuracy": float(correct / len(X)),
               "val_loss": None, "val_accuracy": None, "lr": lr}
        if val is not None:
            row["val_loss"], row["val_accuracy"] = evaluate(net, *val, s.loss)
        row["seconds"] = time.perf_counter() - start
        history.append(row)
        progress.step(**_shown(row))
        monitored = row["val_loss"] if val is not None else row["loss"]
        if monitored < best - s.tol:
            best, waited = monitored, 0
            best_weights = net.get_weights() if s.early_stopping else None
        else:
            waited += 1
        if s.early_stopping and waited >= s.n_iter_no_change:
            break
    if best_weights is not None:
        net.set_weights(best_weights)
    return history


def evaluate(net: Network, X: np.ndarray, y: np.ndarray, loss: str, batch_size: int = 256) -> tuple[float, float]:
    """(mean loss, accuracy) of `net` in evaluation mode on y, class indices or target probabilities."""
    loss_fn, fused = loss_function(loss, net.head)
    targets, labels = target_rows(net, y), class_indices(y)
    total = correct = 0.0
    for start in range(0, len(X), batch_size):
        batch = slice(start, start + batch_size)
        out = net.forward(X[batch], skip_head=fused)
        total += loss_fn(out, targets[batch])[0] * len(out)
        correct += (out.argmax(axis=1) == labels[batch]).sum()
    return float(total / len(X)), float(correct / len(X))


def predict_proba(net: Network, X: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities (n, k), in evaluation mode, a chunk at a time to bound memory.

    256 keeps a conv net's im2col buffers small: on the shipped 32/64 CNN it predicts about 2x
    faster than chunks of 1,024 and peaks at a third of the memory (benchmarks/nn_predict_chunks.py).
    """
    chunks = [to_probabilities(net.forward(X[i:i + batch_size]), net.head) for i in range(0, len(X), batch_size)]
    return np.concatenate(chunks) if chunks else np.zeros((0, 0), dtype=net.dtype)


def target_rows(net: Network, y: np.ndarray) -> np.ndarray:
    """What the loss compares the output with, (n, k): the one-hot rows of class indices y (n,), or y
    itself when it already holds a row of probabilities per example."""
    if np.ndim(y) == 2:
        return np.asarray(y, dtype=net.dtype)
    return np.eye(A.output_shapes(net.arch)[-1][0], dtype=net.dtype)[y]


def class_indices(y: np.ndarray) -> np.ndarray:
    """The class each row of y stands for (accuracy's truth): y itself, or each probability row's likeliest."""
    return np.asarray(y).argmax(axis=1) if np.ndim(y) == 2 else np.asarray(y)


def _shown(row: dict) -> dict:
    shown = {"loss": row["loss"], "acc": row["accuracy"]}
    if row["val_accuracy"] is not None:
        shown["val_acc"] = row["val_accuracy"]
    return shown
