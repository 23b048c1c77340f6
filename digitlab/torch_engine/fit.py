"""`TorchNetClassifier.fit` and prediction: arrays in, a trained `nn.Sequential` out.

Kept apart from `models.py` because this is where torch is imported: the
estimator class itself must load without torch.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from digitlab.errors import DigitlabError
from digitlab.nn import settings as S
from digitlab.nn.architecture import check_fits, count_params, input_shape_for
from digitlab.torch_engine import distributed
from digitlab.torch_engine.augment import Augment
from digitlab.torch_engine.build import build_module, set_weights
from digitlab.torch_engine.device import pick_device
from digitlab.torch_engine.loop import TrainConfig, train_module
from digitlab.torch_engine.robust_augment import PRESETS


def fit_estimator(est, X, y):
    """Fit `est` (a TorchNetClassifier) in place and return it."""
    S.check(est.get_params(deep=False), "torch")
    X, y = validate_data(est, X, y, dtype=np.float32)
    check_classification_targets(y)
    X = np.ascontiguousarray(X)
    if est.resume and not est.checkpoint:
        raise DigitlabError("resume needs a checkpoint file to continue from (--checkpoint PATH)")
    est.classes_, y_index = np.unique(y, return_inverse=True)
    given = est.architecture["input_shape"] if isinstance(est.architecture, dict) else None
    shape = input_shape_for(X.shape[1], given, flat_ok=est.architecture == "mlp")  # an mlp takes any row
    est.architecture_ = est.build_architecture(shape, len(est.classes_))
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
    history = train_module(module, images, torch.from_numpy(y_index.astype(np.int64)),
                           train_config(est, seed, device, len(X)),
                           device, checkpoint=est.checkpoint, resume=est.resume, verbose=est.verbose)
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
    est.n_features_in_ = int(np.prod(est.architecture_["input_shape"]))
    est.n_params_ = count_params(est.architecture_)
    return est


@torch.inference_mode()
def predict_logits(est, X, batch: int = 2048) -> np.ndarray:
    """(n, n_classes) float32 logits, computed in batches on the fitted device."""
    check_is_fitted(est, "module_")
    X = np.ascontiguousarray(validate_data(est, X, dtype=np.float32, reset=False))
    module = est.module_.eval()
    out = []
    for start in range(0, len(X), batch):
        xb = torch.from_numpy(X[start:start + batch]).view(-1, *est.architecture_["input_shape"])
        out.append(module(xb.to(est.device_)).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, len(est.classes_)), np.float32)


def train_config(est, seed: int, device, n: int | None = None) -> TrainConfig:
    """The loop's settings from the estimator's parameters, for `n` training examples (needed when
    max_iter or batch_size is "auto"); benchmarks reuse it to run a preset exactly."""
    S.check(est.get_params(deep=False), "torch")
    batch = S.batch_size(est.batch_size, n) if n is not None else int(est.batch_size)
    epochs = S.epochs(est.max_iter, n, batch) if n is not None else int(est.max_iter)
    channels_last = device.type == "cuda" if est.channels_last is None else bool(est.channels_last)
    return TrainConfig(epochs=epochs, batch_size=batch, lr=float(est.learning_rate_init),
                       solver=est.solver, weight_decay=float(est.alpha), momentum=float(est.momentum),
                       schedule=est.schedule, label_smoothing=float(est.label_smoothing),
                       augment=_augment(est),
                       amp=bool(est.mixed_precision), channels_last=channels_last, seed=seed)


def _augment(est):
    """The augmentation object `est.augment` names (settings.AUGMENTS); shift is a pure translation."""
    if est.augment != "shift":
        return PRESETS[est.augment]
    side = getattr(est, "architecture_", {"input_shape": [1, 28, 28]})["input_shape"][-1]
    return Augment(rotation=0.0, shift=S.shift_pixels("shift", side) / side, scale=(1.0, 1.0), shear=0.0)


def _device(est):
    if distributed.is_running() and torch.cuda.is_available() and est.device in ("auto", "cuda"):
        return torch.device("cuda", distributed.local_rank())
    return pick_device(est.device)
