"""The numpy networks as scikit-learn classifiers: MLPClassifier, CNNClassifier, LeNet5Classifier.

They take X float32 (n, H*W) in [0, 1] (or any (n, n_features)), reshape it to
(n, *input_shape) inside, and follow scikit-learn's contract: __init__ stores
its arguments, `fit` resolves them (architecture, random generator, solver),
learned attributes end in `_`.

Training parameters, shared by all three engines, are described once in `settings.py` (names,
defaults, valid values); the numpy engine honours every one but label_smoothing, device and nproc.
Its own: `loss` (cross_entropy or squared_error, for the learners' sigmoid networks) and
`output_activation`. `random_state` is an int, None or a Generator: the initial weights,
shuffling, dropout and augmentation all derive from it. `verbose=1` shows progress.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from digitlab.errors import DigitlabError
from digitlab.nn import architecture as A
from digitlab.nn import settings as S
from digitlab.nn.network import Network
from digitlab.nn.settings import DEFAULTS as D
from digitlab.nn.training import TrainSettings, predict_proba, train


class NetworkClassifier(ClassifierMixin, BaseEstimator):
    """Any architecture description (a dict, see architecture.py), trained by this engine."""

    def __init__(self, architecture=None, *, solver=D["solver"], learning_rate_init=D["learning_rate_init"],
                 schedule=D["schedule"], max_iter=D["max_iter"], batch_size=D["batch_size"], alpha=D["alpha"],
                 momentum=D["momentum"], loss="cross_entropy", validation_fraction=D["validation_fraction"],
                 early_stopping=D["early_stopping"], n_iter_no_change=D["n_iter_no_change"], tol=D["tol"],
                 random_state=None, augment=D["augment"], verbose=D["verbose"]):
        _store(self, locals())

    def _architecture(self, input_shape: tuple, n_classes: int) -> dict:
        """The architecture to train; subclasses build theirs from their parameters."""
        if self.architecture is None:
            raise ValueError("NetworkClassifier needs an architecture (a dict with input_shape and layers)")
        return A.validate(self.architecture)

    # -- fit ------------------------------------------------------------------

    def fit(self, X, y):
        """Train on X (n, n_features) and labels y (n,); returns self."""
        S.check(self.get_params(deep=False), "numpy")
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        rng = _generator(self.random_state)
        shape = A.input_shape_for(X.shape[1], getattr(self, "input_shape", None), flat_ok=True)
        arch = self._architecture(shape, len(self.classes_))
        A.check_fits(arch, X.shape[1], len(self.classes_))
        (X_fit, y_fit), val = _split(X, y_index, self.validation_fraction, rng)
        batch = S.batch_size(self.batch_size, len(X_fit))
        shape = tuple(arch["input_shape"])
        settings = TrainSettings(loss=self.loss, solver=self.solver, learning_rate_init=self.learning_rate_init,
                                 schedule=self.schedule, max_iter=S.epochs(self.max_iter, len(X_fit), batch),
                                 batch_size=batch, alpha=self.alpha,
                                 momentum=self.momentum, early_stopping=self.early_stopping,
                                 n_iter_no_change=self.n_iter_no_change, tol=self.tol,
                                 augment=S.shift_pixels(self.augment, shape[-1]), verbose=self.verbose)
        self.network_ = Network(arch, rng=rng)
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

    def __init__(self, hidden_layer_sizes=D["hidden_layer_sizes"], activation=D["activation"], *,
                 output_activation=None, init=D["init"], dropout=D["dropout"], batchnorm=False, input_shape=None,
                 solver=D["solver"], learning_rate_init=D["learning_rate_init"],
                 schedule=D["schedule"], max_iter=D["max_iter"], batch_size=D["batch_size"], alpha=D["alpha"],
                 momentum=D["momentum"], loss="cross_entropy", validation_fraction=D["validation_fraction"],
                 early_stopping=D["early_stopping"], n_iter_no_change=D["n_iter_no_change"], tol=D["tol"],
                 random_state=None, augment=D["augment"], verbose=D["verbose"]):
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


# the cnn's own defaults, the same in every engine (models/*_models.py): one dense layer, dropout 0.25
CNN_DENSE, CNN_DROPOUT = (128,), 0.25


class CNNClassifier(NetworkClassifier):
    """Per entry of `channels`: two 3x3 convs (batch-norm, ReLU), a 2x2 max-pool; then the dense
    layers `hidden_layer_sizes` (ReLU) and the logits."""

    def __init__(self, channels=D["channels"], hidden_layer_sizes=CNN_DENSE, *, dropout=CNN_DROPOUT, batchnorm=True,
                 input_shape=None, solver=D["solver"], learning_rate_init=D["learning_rate_init"],
                 schedule=D["schedule"], max_iter=D["max_iter"], batch_size=D["batch_size"], alpha=D["alpha"],
                 momentum=D["momentum"], loss="cross_entropy", validation_fraction=D["validation_fraction"],
                 early_stopping=D["early_stopping"], n_iter_no_change=D["n_iter_no_change"], tol=D["tol"],
                 random_state=None, augment=D["augment"], verbose=D["verbose"]):
        _store(self, locals())

    def _architecture(self, input_shape, n_classes):
        channels = np.atleast_1d(self.channels).tolist()
        dense = np.atleast_1d(self.hidden_layer_sizes).tolist()
        return A.cnn(channels, dense, _image_shape(input_shape), n_classes, self.dropout, self.batchnorm)


class LeNet5Classifier(NetworkClassifier):
    """LeNet-5 (tanh, 6 and 16 5x5 filters, 120-84 dense); on 8x8 images it keeps its shape thanks to padding."""

    def __init__(self, *, input_shape=None, solver=D["solver"], learning_rate_init=D["learning_rate_init"],
                 schedule=D["schedule"], max_iter=D["max_iter"], batch_size=D["batch_size"], alpha=D["alpha"],
                 momentum=D["momentum"], loss="cross_entropy", validation_fraction=D["validation_fraction"],
                 early_stopping=D["early_stopping"], n_iter_no_change=D["n_iter_no_change"], tol=D["tol"],
                 random_state=None, augment=D["augment"], verbose=D["verbose"]):
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
    n_val = round(len(X) * fraction)
    if n_val == 0 or n_val == len(X):
        return (X, y), None
    order = rng.permutation(len(X))
    fit, val = order[n_val:], order[:n_val]
    return (X[fit], y[fit]), (X[val], y[val])


def from_weights(architecture: dict, weights: dict, classes, **params) -> NetworkClassifier:
    """A fitted numpy-engine classifier running `architecture` with `weights` (named as param_shapes).

    This is how the torch and Keras engines hand their trained networks over:
    the result predicts with no training, and saves as a model file.
    """
    model = NetworkClassifier(architecture=A.validate(architecture), **params)
    return model.set_fitted_weights(architecture, weights, classes)
