"""Torch networks as scikit-learn estimators.

The estimators take the numpy engine's parameter names (hidden_layer_sizes,
activation, max_iter, batch_size, learning_rate_init, solver, alpha, dropout,
random_state) plus the torch-only settings (device, augment, label_smoothing,
schedule, checkpoint, resume, nproc). torch is imported inside functions
only, so this module imports without torch (`digitlab.models.torch_models`
then rebuilds a stored network in the numpy engine).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from digitlab.nn import architecture as arch_lib
from digitlab.nn.activations import softmax


class TorchNetClassifier(ClassifierMixin, BaseEstimator):
    """A network of `digitlab.nn.architecture` trained with PyTorch.

    Parameters
    ----------
    architecture : "mlp", "cnn", "lenet5", "fast-cnn", or a full description dict.
    hidden_layer_sizes : dense layers (mlp), or the one dense layer before the logits (cnn).
    channels : conv stages (cnn; two 3x3 convs each, then a 2x2 max-pool).
    max_iter : epochs.  batch_size : the global mini-batch, split across processes.
    learning_rate_init : the peak rate of the schedule.  alpha : weight decay.
    solver : adamw, adam, nesterov, momentum or sgd.  schedule : onecycle, cosine or constant.
    augment : none, affine, elastic (see augment.py) or robust (robust_augment.py).  label_smoothing : in [0, 1).
    device : auto, cpu, cuda[:N] or mps.  mixed_precision : float16 autocast on CUDA.
    checkpoint : a file written after every epoch; with resume=True training continues from it.
    nproc : processes for DistributedDataParallel (>1 spawns them on this machine).
    """

    def __init__(self, architecture="cnn", hidden_layer_sizes=(128,), channels=(32, 64), activation="relu",
                 batchnorm=True, dropout=0.25, max_iter=10, batch_size=128, learning_rate_init=3e-3,
                 solver="adamw", alpha=1e-4, schedule="onecycle", label_smoothing=0.0, augment="none",
                 device="auto", mixed_precision=True, channels_last=None, checkpoint=None, resume=False,
                 nproc=1, random_state=None, verbose=False):
        self.architecture = architecture
        self.hidden_layer_sizes = hidden_layer_sizes
        self.channels = channels
        self.activation = activation
        self.batchnorm = batchnorm
        self.dropout = dropout
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.solver = solver
        self.alpha = alpha
        self.schedule = schedule
        self.label_smoothing = label_smoothing
        self.augment = augment
        self.device = device
        self.mixed_precision = mixed_precision
        self.channels_last = channels_last
        self.checkpoint = checkpoint
        self.resume = resume
        self.nproc = nproc
        self.random_state = random_state
        self.verbose = verbose

    # -- the architecture ------------------------------------------------------------------------

    def build_architecture(self, input_shape, n_classes: int) -> dict:
        """The description this estimator trains, for images of `input_shape` (C, H, W)."""
        return arch_lib.build(self.architecture, input_shape, n_classes,
                              hidden_layer_sizes=self.hidden_layer_sizes, activation=self.activation,
                              channels=self.channels, dropout=self.dropout, batchnorm=self.batchnorm)

    # -- scikit-learn API ------------------------------------------------------------------------

    def fit(self, X, y):
        """Train on X float32 (n, H*W) in [0, 1] and labels y (n,)."""
        from digitlab.torch_engine.fit import fit_estimator

        return fit_estimator(self, X, y)

    def predict_proba(self, X) -> np.ndarray:
        """(n, n_classes) float32 class probabilities."""
        from digitlab.torch_engine.fit import predict_logits

        return softmax(predict_logits(self, X)).astype(np.float32)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def get_weights(self) -> dict[str, np.ndarray]:
        """Weights in our layout (dense (in, out)), as the numpy engine takes them."""
        from digitlab.torch_engine.build import get_weights

        return get_weights(self.module_)

    def to_numpy_model(self):
        """The same fitted network in the numpy engine (same probabilities to float32 rounding)."""
        from digitlab.nn.estimators import from_weights

        return from_weights(self.architecture_, self.get_weights(), self.classes_)
