"""The numpy networks as scikit-learn classifiers: MLPClassifier, CNNClassifier, LeNet5Classifier.

They take X float32 (n, H*W) in [0, 1] (or any (n, n_features)), reshape it to
(n, *input_shape) inside, and follow scikit-learn's contract: __init__ stores
its arguments, `fit` resolves them (architecture, random generator, solver),
learned attributes end in `_`.

Training parameters, shared by all (names from scikit-learn's MLPClassifier where it has one):

    solver               sgd, momentum, nesterov, adam (default) or adamw
    learning_rate_init   initial learning rate
    schedule             constant, step, cosine (default) or onecycle
    max_iter             epochs, or "auto": enough for ~2,000 updates, between 10 and 100
                         (10 on MNIST; ~60 on the 1,347 digits images, where 10 epochs is too few)
    batch_size           an int, "auto" = n/32 between 16 and 128, or "full" (full-batch gradient descent)
    alpha                L2 weight decay on weights (not biases); decoupled for adamw
    momentum             for momentum and nesterov
    loss                 cross_entropy (default) or squared_error
    validation_fraction  share held out to score each epoch (0 = none; used even without early stopping)
    early_stopping       stop after n_iter_no_change epochs without improvement > tol, keep the best weights
    random_state         int, None, or a Generator; the initial weights, shuffling and dropout all derive from it
    augment              shift each training image by up to this many pixels, a fresh draw per batch (0 = off)
    verbose              a tqdm progress bar on a terminal
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from digitlab.errors import DigitlabError
from digitlab.nn import architecture as A
from digitlab.nn.network import Network
from digitlab.nn.training import TrainSettings, predict_proba, train


class NetworkClassifier(ClassifierMixin, BaseEstimator):
    """Any architecture description (a dict, see architecture.py), trained by this engine."""

    def __init__(self, architecture=None, *, solver="adam", learning_rate_init=1e-3, schedule="cosine",
                 max_iter="auto", batch_size="auto", alpha=0.0, momentum=0.9, loss="cross_entropy",
                 validation_fraction=0.1, early_stopping=False, n_iter_no_change=5, tol=1e-4,
                 random_state=None, augment=0, verbose=False):
        _store(self, locals())

    def _architecture(self, input_shape: tuple, n_classes: int) -> dict:
        """The architecture to train; subclasses build theirs from their parameters."""
        if self.architecture is None:
            raise ValueError("NetworkClassifier needs an architecture (a dict with input_shape and layers)")
        return A.validate(self.architecture)

    # -- fit ------------------------------------------------------------------

    def fit(self, X, y):
        """Train on X (n, n_features) and labels y (n,); returns self."""
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        rng = _generator(self.random_state)
        shape = A.input_shape_for(X.shape[1], getattr(self, "input_shape", None), flat_ok=True)
        arch = self._architecture(shape, len(self.classes_))
        A.check_fits(arch, X.shape[1], len(self.classes_))
        (X_fit, y_fit), val = _split(X, y_index, self.validation_fraction, rng)
        batch = _batch_size(self.batch_size, len(X_fit))
        settings = TrainSettings(loss=self.loss, solver=self.solver, learning_rate_init=self.learning_rate_init,
                                 schedule=self.schedule, max_iter=_epochs(self.max_iter, len(X_fit), batch),
                                 batch_size=batch, alpha=self.alpha,
                                 momentum=self.momentum, early_stopping=self.early_stopping,
                                 n_iter_no_change=self.n_iter_no_change, tol=self.tol, augment=self.augment,
                                 verbose=self.verbose)
        self.network_ = Network(arch, rng=rng)
        shape = tuple(arch["input_shape"])
        val = None if val is None else (val[0].reshape(-1, *shape), val[1])
        self.history_ = train(self.network_, X_fit.reshape(-1, *shape), y_fit, val, settings, rng)
        return self._fitted(arch)

    def _fitted(self, arch):
        self.architecture_ = arch
        self.input_shape_ = tuple(arch["input_shape"])
        self.n_params_ = A.count_params(arch)
        self.history_ = getattr(self, "history_", [])
        self.loss_curve_ = [row["loss"] for row in self.history_]
        self.n_iter_ = len(self.history_)
        return self

    # -- predict --------------------------------------------------------------

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (n, n_classes), columns in the order of `classes_`."""
        check_is_fitted(self, "network_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return predict_proba(self.network_, X.reshape(-1, *self.input_shape_))

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row of X, (n,)."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def get_weights(self) -> dict[str, np.ndarray]:
        """Every parameter and buffer, float32, named as `architecture.param_shapes`."""
        check_is_fitted(self, "network_")
        return self.network_.get_weights()

    def set_fitted_weights(self, arch: dict, weights: dict, classes) -> NetworkClassifier:
        """Make this estimator fitted with given weights (used by `from_weights` and model files)."""
        arch = A.validate(arch)
        A.check_fits(arch, None, len(classes))
        self.network_ = Network(arch)
        self.network_.set_weights(weights)
        self.classes_ = np.asarray(classes)
        self.n_features_in_ = int(np.prod(arch["input_shape"]))
        return self._fitted(arch)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


class MLPClassifier(NetworkClassifier):
    """Fully connected: hidden_layer_sizes with one activation, then logits (or `output_activation`)."""

    def __init__(self, hidden_layer_sizes=(128, 64, 32), activation="relu", *, output_activation=None, init=None,
                 dropout=0.0, batchnorm=False, input_shape=None, solver="adam", learning_rate_init=1e-3,
                 schedule="cosine", max_iter="auto", batch_size="auto", alpha=0.0, momentum=0.9,
                 loss="cross_entropy", validation_fraction=0.1, early_stopping=False, n_iter_no_change=5,
                 tol=1e-4, random_state=None, augment=0, verbose=False):
        _store(self, locals())

    def _architecture(self, input_shape, n_classes):
        hidden = np.atleast_1d(self.hidden_layer_sizes).tolist()
        arch = A.mlp(hidden, self.activation, input_shape, n_classes, self.dropout, self.batchnorm, self.init)
        if self.init is not None:  # one init for every layer, the output layer too (the learners' way)
            arch["layers"][-1]["init"] = self.init
        if self.output_activation is not None:
            if self.output_activation not in ("softmax", "sigmoid"):
                raise ValueError(f"output_activation must be softmax, sigmoid or None, got {self.output_activation!r}")
            arch["layers"].append({"type": self.output_activation})
        return A.validate(arch)


class CNNClassifier(NetworkClassifier):
    """Per entry of `channels`: two 3x3 convs (batch-norm, ReLU), a 2x2 max-pool; then dense, logits."""

    def __init__(self, channels=(16, 32), dense=128, *, dropout=0.25, batchnorm=True, input_shape=None,
                 solver="adam", learning_rate_init=1e-3, schedule="cosine", max_iter="auto", batch_size="auto",
                 alpha=0.0, momentum=0.9, loss="cross_entropy", validation_fraction=0.1, early_stopping=False,
                 n_iter_no_change=5, tol=1e-4, random_state=None, augment=0, verbose=False):
        _store(self, locals())

    def _architecture(self, input_shape, n_classes):
        channels = np.atleast_1d(self.channels).tolist()
        return A.cnn(channels, self.dense, _image_shape(input_shape), n_classes, self.dropout, self.batchnorm)


class LeNet5Classifier(NetworkClassifier):
    """LeNet-5 (tanh, 6 and 16 5x5 filters, 120-84 dense); on 8x8 images it keeps its shape thanks to padding."""

    def __init__(self, *, input_shape=None, solver="adam", learning_rate_init=1e-3, schedule="cosine",
                 max_iter="auto", batch_size="auto", alpha=0.0, momentum=0.9, loss="cross_entropy",
                 validation_fraction=0.1, early_stopping=False, n_iter_no_change=5, tol=1e-4,
                 random_state=None, augment=0, verbose=False):
        _store(self, locals())

    def _architecture(self, input_shape, n_classes):
        shape = _image_shape(input_shape)
        return A.lenet5(shape, n_classes) if shape[1] >= 16 else _small_lenet(shape, n_classes)


def _small_lenet(shape, n_classes):
    """LeNet-5 for images under 16 px (8x8 digits): the second conv is padded too, so two pools still fit."""
    arch = A.lenet5((1, 28, 28), n_classes)
    arch["layers"][3]["padding"] = 2
    arch["input_shape"] = list(shape)
    return A.validate(arch)


# -- helpers -----------------------------------------------------------------

def _store(estimator, arguments: dict) -> None:
    """scikit-learn's rule: __init__ stores its arguments unchanged and does nothing else."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def _image_shape(input_shape: tuple) -> tuple:
    if len(input_shape) != 3:
        raise DigitlabError(f"a CNN needs square images: got {input_shape[0]} features, not a square number; "
                            "pass input_shape=(channels, height, width)")
    return input_shape


def _generator(random_state) -> np.random.Generator:
    if isinstance(random_state, np.random.RandomState):  # scikit-learn's old-style generator
        return np.random.default_rng(random_state.randint(2**31))
    return np.random.default_rng(random_state)


def _split(X, y, fraction: float, rng):
    """((X_fit, y_fit), (X_val, y_val) or None): a random `fraction` held out for validation."""
    if not 0.0 <= fraction < 1.0:
        raise DigitlabError(f"validation_fraction must be in [0, 1), got {fraction}")
    n_val = round(len(X) * fraction)
    if n_val == 0 or n_val == len(X):
        return (X, y), None
    order = rng.permutation(len(X))
    fit, val = order[n_val:], order[:n_val]
    return (X[fit], y[fit]), (X[val], y[val])


UPDATES_FOR_AUTO_EPOCHS = 2000


def _epochs(max_iter, n: int, batch: int) -> int:
    """max_iter as given, or "auto": about 2,000 updates, at least 10 and at most 100 epochs."""
    if max_iter == "auto":
        return min(100, max(10, math.ceil(UPDATES_FOR_AUTO_EPOCHS / math.ceil(n / batch))))
    if not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise DigitlabError(f"max_iter (epochs) must be a whole number of at least 1 or 'auto', got {max_iter!r}")
    return int(max_iter)


def _batch_size(batch_size, n: int) -> int:
    if batch_size == "auto":  # small data gets smaller batches, hence enough updates per epoch
        return min(n, max(16, min(128, n // 32)))
    if batch_size == "full":
        return n
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise DigitlabError(f"batch_size must be a positive int, 'auto' or 'full', got {batch_size!r}")
    if batch_size > n:
        raise DigitlabError(f"batch_size={batch_size} is larger than the {n} training examples "
                            "(those left after the validation_fraction split)")
    return int(batch_size)


def from_weights(architecture: dict, weights: dict, classes, **params) -> NetworkClassifier:
    """A fitted numpy-engine classifier running `architecture` with `weights` (named as param_shapes).

    This is how the torch and Keras engines hand their trained networks over:
    the result predicts with no training, and saves as a model file.
    """
    model = NetworkClassifier(architecture=A.validate(architecture), **params)
    return model.set_fitted_weights(architecture, weights, classes)
