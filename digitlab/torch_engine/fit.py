"""`TorchNetClassifier.fit` and prediction: arrays in, a trained `nn.Sequential` out.

Kept apart from `models.py` because this is where torch is imported: the
estimator class itself must load without torch.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from digitlab.errors import DigitlabError
from digitlab.nn.architecture import check_fits, count_params, input_shape_for
from digitlab.torch_engine import distributed
from digitlab.torch_engine.build import build_module, set_weights
from digitlab.torch_engine.device import pick_device
from digitlab.torch_engine.loop import TrainConfig, train_module
from digitlab.torch_engine.robust_augment import PRESETS


def fit_estimator(est, X, y):
    """Fit `est` (a TorchNetClassifier) in place and return it."""
    X, y = _check_Xy(X, y)
    if est.resume and not est.checkpoint:
        raise DigitlabError("resume needs a checkpoint file to continue from (--checkpoint PATH)")
    est.classes_, y_index = np.unique(y, return_inverse=True)
    given = est.architecture["input_shape"] if isinstance(est.architecture, dict) else None
    est.architecture_ = est.build_architecture(input_shape_for(X.shape[1], given), len(est.classes_))
    check_fits(est.architecture_, X.shape[1], len(est.classes_))
    if est.nproc > 1 and not distributed.is_running():
        weights, history = distributed.spawn_fit(est, X, y)
        return _finish(restore(est, est.classes_, weights), history)
    distributed.init_from_env()  # under torchrun: join the process group
    device = _device(est)
    seed = est.random_state if est.random_state is not None else int(np.random.default_rng().integers(2**31))
    torch.manual_seed(seed)
    module = build_module(est.architecture_)
    images = torch.from_numpy(X).view(len(X), *est.architecture_["input_shape"])  # (n, C, H, W)
    log = (lambda msg: print(msg, flush=True)) if est.verbose else None
    history = train_module(module, images, torch.from_numpy(y_index.astype(np.int64)), train_config(est, seed, device),
                           device, checkpoint=est.checkpoint, resume=est.resume, log=log)
    est.module_ = module.eval()
    est.device_ = device
    return _finish(est, history)


def _finish(est, history):
    est.history_ = history
    est.loss_curve_ = [h["loss"] for h in history]
    est.n_iter_ = len(history)
    est.n_params_ = count_params(est.architecture_)
    return est


def restore(est, classes, weights: dict):
    """`est` holding the given weights, ready to predict (on the CPU)."""
    est.classes_ = np.asarray(classes)
    if not hasattr(est, "architecture_"):
        arch = est.architecture
        if not isinstance(arch, dict):
            raise DigitlabError("restoring weights needs the full architecture description")
        est.architecture_ = arch
    est.module_ = set_weights(build_module(est.architecture_), weights).eval()
    est.device_ = torch.device("cpu")
    est.n_params_ = count_params(est.architecture_)
    return est


@torch.inference_mode()
def predict_logits(est, X, batch: int = 2048) -> np.ndarray:
    """(n, n_classes) float32 logits, computed in batches on the fitted device."""
    if not hasattr(est, "module_"):
        raise DigitlabError("this model is not fitted yet: call fit first")
    X = _check_X(X, math.prod(est.architecture_["input_shape"]))
    module = est.module_.eval()
    out = []
    for start in range(0, len(X), batch):
        xb = torch.from_numpy(X[start:start + batch]).view(-1, *est.architecture_["input_shape"])
        out.append(module(xb.to(est.device_)).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, len(est.classes_)), np.float32)


def train_config(est, seed: int, device) -> TrainConfig:
    """The loop's settings from the estimator's parameters (benchmarks reuse it to run a preset exactly)."""
    if est.augment not in PRESETS:
        raise DigitlabError(f"unknown augment {est.augment!r}; choose from {', '.join(PRESETS)}")
    if not 0 <= est.label_smoothing < 1:
        raise DigitlabError(f"label_smoothing must be in [0, 1), got {est.label_smoothing}")
    channels_last = device.type == "cuda" if est.channels_last is None else bool(est.channels_last)
    return TrainConfig(epochs=int(est.max_iter), batch_size=int(est.batch_size), lr=float(est.learning_rate_init),
                       solver=est.solver, weight_decay=float(est.alpha), schedule=est.schedule,
                       label_smoothing=float(est.label_smoothing), augment=PRESETS[est.augment],
                       amp=bool(est.mixed_precision), channels_last=channels_last, seed=seed)


def _device(est):
    if distributed.is_running() and torch.cuda.is_available() and est.device in ("auto", "cuda"):
        return torch.device("cuda", distributed.local_rank())
    return pick_device(est.device)


def _check_X(X, n_features=None) -> np.ndarray:
    X = np.ascontiguousarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise DigitlabError(f"X must be 2-D (n, H*W), got shape {X.shape}")
    if n_features is not None and X.shape[1] != n_features:
        raise DigitlabError(f"X has {X.shape[1]} features per row, the model takes {n_features}")
    if not np.isfinite(X).all():
        raise DigitlabError("X contains NaN or infinite values")
    return X


def _check_Xy(X, y):
    X = _check_X(X)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise DigitlabError(f"y must be 1-D with one label per row of X ({len(X)}), got shape {y.shape}")
    if len(X) == 0:
        raise DigitlabError("cannot fit on 0 examples")
    return X, y
