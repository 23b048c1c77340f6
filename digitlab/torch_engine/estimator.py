"""Torch networks as scikit-learn estimators.

The estimators take the numpy engine's parameters, with the same names, defaults and valid
values (`digitlab.nn.settings`), plus the torch-only settings (device, label_smoothing,
mixed_precision, channels_last, checkpoint, resume, nproc). torch is imported inside functions
only, so this module imports without torch (`digitlab.models.torch_models` then rebuilds a
stored network in the numpy engine).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from digitlab.nn import architecture as arch_lib
from digitlab.nn.activations import softmax
from digitlab.nn.settings import DEFAULTS as D


class TorchNetClassifier(ClassifierMixin, BaseEstimator):
    """A network of `digitlab.nn.architecture` trained with PyTorch.

    Parameters
    ----------
    architecture : "mlp", "cnn", "lenet5", "fast-cnn", or a full description dict.
    hidden_layer_sizes : dense layers (mlp), or the dense layers before the logits (cnn, fast-cnn).
    channels : conv stages (cnn: two 3x3 convs each, then a 2x2 max-pool).
    max_iter, batch_size (the global mini-batch, split across processes), learning_rate_init, solver,
    alpha, momentum, schedule, augment (none, shift, affine, elastic or robust), dropout, init, verbose:
    as every engine takes them (`digitlab.nn.settings`).
    label_smoothing : in [0, 1).  device : auto, cpu, cuda[:N] or mps.
    mixed_precision : float16 autocast on CUDA.  channels_last : None = on CUDA only.
    checkpoint : a file written after every epoch; with resume=True training continues from it.
    nproc : processes for DistributedDataParallel (>1 spawns them on this machine).
    """

    def __init__(self, architecture="mlp", hidden_layer_sizes=D["hidden_layer_sizes"], channels=D["channels"],
                 activation=D["activation"], batchnorm=False, dropout=D["dropout"], init=D["init"],
                 max_iter=D["max_iter"], batch_size=D["batch_size"], learning_rate_init=D["learning_rate_init"],
                 solver=D["solver"], alpha=D["alpha"], momentum=D["momentum"], schedule=D["schedule"],
                 label_smoothing=D["label_smoothing"], augment=D["augment"], device=D["device"],
                 mixed_precision=True, channels_last=None, checkpoint=D["checkpoint"], resume=D["resume"],
                 nproc=D["nproc"], random_state=None, verbose=D["verbose"]):
        self.architecture = architecture
        self.hidden_layer_sizes = hidden_layer_sizes
        self.channels = channels
        self.activation = activation
        self.batchnorm = batchnorm
        self.dropout = dropout
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.solver = solver
        self.alpha = alpha
        self.momentum = momentum
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
                              channels=self.channels, dropout=self.dropout, batchnorm=self.batchnorm,
                              init=self.init)

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
        """The most probable class of each row of X, (n,)."""
        proba = self.predict_proba(X)  # first: it raises NotFittedError before `classes_` is looked up
        return self.classes_[np.argmax(proba, axis=1)]

    def get_weights(self) -> dict[str, np.ndarray]:
        """Weights in our layout (dense (in, out)), as the numpy engine takes them."""
        from sklearn.utils.validation import check_is_fitted

        from digitlab.torch_engine.build import get_weights

        check_is_fitted(self, "module_")
        return get_weights(self.module_)

    def to_numpy_model(self):
        """The same fitted network in the numpy engine (same probabilities to float32 rounding)."""
        from digitlab.nn.estimators import from_weights

        return from_weights(self.architecture_, self.get_weights(), self.classes_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags
