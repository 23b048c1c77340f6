"""KerasNetClassifier: any digitlab architecture, trained by Keras, with scikit-learn's API.

The parameters are the numpy engine's, with the same names, defaults and valid values
(`digitlab.nn.settings`), so `digitlab train --engine keras` takes the same flags. The
loss is Keras' `SparseCategoricalCrossentropy(from_logits=True)`, as a Keras
user would compile it. The fitted model is kept as a Keras model (`model_`)
and its weights can be read in our layout (`get_weights`) at any time.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from digitlab.errors import DigitlabError
from digitlab.nn import architecture as arch_lib
from digitlab.nn import settings as S
from digitlab.nn.activations import softmax
from digitlab.nn.augment import random_shift
from digitlab.nn.settings import DEFAULTS as D
from digitlab.progress import Progress


class KerasNetClassifier(ClassifierMixin, BaseEstimator):
    """A network of `digitlab.nn.architecture` built as a `keras.Sequential` and fitted by Keras.

    Parameters
    ----------
    architecture : "mlp", "cnn", "lenet5", or a full description dict.
    hidden_layer_sizes : dense layers (mlp), or the dense layers before the logits (cnn).
    channels : conv stages (cnn).  batchnorm : after each dense or conv layer.
    activation, dropout, init, max_iter, batch_size, learning_rate_init, solver, alpha, momentum,
    schedule, augment (none or shift), validation_fraction, early_stopping, n_iter_no_change, tol,
    verbose: as every engine takes them (`digitlab.nn.settings`). alpha adds `alpha * w` to each
    kernel's gradient (AdamW: decoupled decay); the schedule sets the rate before every batch.
    random_state : seeds the initial weights, dropout, the shuffling and the shifts.
    input_shape : (C, H, W) of the images; None infers a square single-channel image.
    """

    def __init__(self, architecture="mlp", hidden_layer_sizes=D["hidden_layer_sizes"], channels=D["channels"],
                 activation=D["activation"], batchnorm=False, dropout=D["dropout"], init=D["init"],
                 max_iter=D["max_iter"], batch_size=D["batch_size"], learning_rate_init=D["learning_rate_init"],
                 solver=D["solver"], alpha=D["alpha"], momentum=D["momentum"], schedule=D["schedule"],
                 augment=D["augment"], validation_fraction=D["validation_fraction"],
                 early_stopping=D["early_stopping"], n_iter_no_change=D["n_iter_no_change"], tol=D["tol"],
                 random_state=None, input_shape=None, verbose=D["verbose"]):
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
        self.augment = augment
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.input_shape = input_shape
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
        from digitlab.keras_engine.backend import import_keras
        from digitlab.keras_engine.build import build_sequential

        S.check(self.get_params(deep=False), "keras")
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        keras = import_keras()
        rng = np.random.default_rng(self.random_state)
        self.classes_, targets = np.unique(y, return_inverse=True)
        shape = arch_lib.input_shape_for(X.shape[1], self.input_shape, flat_ok=self.architecture == "mlp")
        self.architecture_ = self.build_architecture(shape, len(self.classes_))
        arch_lib.check_fits(self.architecture_, X.shape[1], len(self.classes_))
        self.model_, self._named = build_sequential(keras, self.architecture_, seed=int(rng.integers(2**31)),
                                                    l2=self.alpha / 2 if self.solver != "adamw" else 0.0)
        self.model_.compile(optimizer=self._optimizer(keras), loss=keras.losses.SparseCategoricalCrossentropy(
            from_logits=self._outputs_logits()), metrics=["accuracy"])
        X_fit, y_fit, validation = self._split_validation(X, targets, rng)
        self.history_ = self._train(keras, X_fit, y_fit, validation, rng)
        self.loss_curve_ = [row["loss"] for row in self.history_]
        self.n_iter_ = len(self.history_)
        self.n_params_ = arch_lib.count_params(self.architecture_)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """(n, n_classes) float32 class probabilities."""
        out = self._forward(X)
        if not self._outputs_logits():
            return out
        return softmax(out).astype(np.float32)

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row of X, (n,)."""
        proba = self.predict_proba(X)  # first: it raises NotFittedError before `classes_` is looked up
        return self.classes_[np.argmax(proba, axis=1)]

    def get_weights(self) -> dict[str, np.ndarray]:
        """Weights in our layout (dense (in, out), conv (out, in, k, k)), as the numpy engine takes them."""
        from digitlab.keras_engine.build import get_numpy_weights

        check_is_fitted(self, "model_")
        return get_numpy_weights(self.architecture_, self._named)

    def to_numpy_model(self):
        """The same fitted network in the numpy engine (same probabilities to float32 rounding)."""
        from digitlab.nn.estimators import from_weights

        return from_weights(self.architecture_, self.get_weights(), self.classes_)

    # -- the pieces of fit -----------------------------------------------------------------------

    def _optimizer(self, keras):
        lr, O = float(self.learning_rate_init), keras.optimizers
        return {"sgd": lambda: O.SGD(lr),
                "momentum": lambda: O.SGD(lr, momentum=float(self.momentum)),
                "nesterov": lambda: O.SGD(lr, momentum=float(self.momentum), nesterov=True),
                "adam": lambda: O.Adam(lr),
                "adamw": lambda: O.AdamW(lr, weight_decay=float(self.alpha))}[self.solver]()

    def _outputs_logits(self) -> bool:
        return self.architecture_["layers"][-1]["type"] != "softmax"

    def _split_validation(self, X, targets, rng):
        """(X_fit, y_fit, (X_val, y_val) or None): a seeded random hold-out."""
        fraction = float(self.validation_fraction or (0.1 if self.early_stopping else 0.0))
        n_val = round(fraction * len(X))
        if n_val == 0:
            return X, targets, None
        order = rng.permutation(len(X))
        val, fit = order[:n_val], order[n_val:]
        return X[fit], targets[fit], (X[val], targets[val])

    def _train(self, keras, X, y, validation, rng) -> list[dict]:
        """One Keras `fit` call per epoch, on data we shuffled (and shifted), so `random_state` alone
        decides the order; the schedule sets the learning rate before every batch."""
        from digitlab.keras_engine.schedule import schedule_callback

        batch = S.batch_size(self.batch_size, len(X))
        epochs = S.epochs(self.max_iter, len(X), batch)
        shape = tuple(self.architecture_["input_shape"])
        pixels = S.shift_pixels(self.augment, shape[-1])
        schedule = schedule_callback(keras, self.schedule, float(self.learning_rate_init),
                                     epochs * -(-len(X) // batch))
        history, best, waited = [], np.inf, 0
        with Progress(epochs, "training", verbose=self.verbose) as progress:
            for epoch in range(1, epochs + 1):
                row = self._epoch(epoch, X, y, shape, pixels, batch, validation, schedule, rng)
                history.append(row)
                progress.step(**{k: row[k] for k in ("loss", "accuracy", "val_accuracy") if k in row})
                if self.early_stopping and validation is not None:
                    improved = row["val_loss"] < best - float(self.tol)
                    best, waited = (row["val_loss"], 0) if improved else (best, waited + 1)
                    if waited >= int(self.n_iter_no_change):
                        break
        return history

    def _epoch(self, epoch, X, y, shape, pixels, batch, validation, schedule, rng) -> dict:
        """One epoch: a `fit` call on shuffled (and shifted) data, then the validation score; its history row."""
        start = time.perf_counter()
        order = rng.permutation(len(X))
        X_epoch = random_shift(X[order].reshape(-1, *shape), pixels, rng).reshape(len(X), -1)
        scores = self.model_.fit(X_epoch, y[order], batch_size=batch, epochs=1, shuffle=False, verbose=0,
                                 callbacks=[schedule]).history
        row = {"epoch": epoch, "loss": float(scores["loss"][-1]), "accuracy": float(scores["accuracy"][-1]),
               "lr": schedule.last_lr}
        if not np.isfinite(row["loss"]):
            raise DigitlabError(f"training diverged at epoch {epoch} (loss {row['loss']}); "
                                "try a smaller learning_rate_init")
        if validation is not None:
            val_loss, val_acc = self.model_.evaluate(*validation, batch_size=1024, verbose=0)
            row.update(val_loss=float(val_loss), val_accuracy=float(val_acc))
        row["seconds"] = time.perf_counter() - start
        return row

    def _forward(self, X) -> np.ndarray:
        """The model's last-layer output (logits, or probabilities if it ends in softmax), float32."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return np.asarray(self.model_.predict(X, batch_size=1024, verbose=0), dtype=np.float32)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


def restore(estimator: KerasNetClassifier, architecture: dict, classes, weights: dict) -> KerasNetClassifier:
    """A fitted estimator rebuilt from our stored weights (no Keras file involved)."""
    from digitlab.keras_engine.backend import import_keras
    from digitlab.keras_engine.build import build_sequential, set_numpy_weights

    estimator.architecture_ = arch_lib.validate(architecture)
    estimator.classes_ = np.asarray(classes)
    estimator.model_, estimator._named = build_sequential(import_keras(), estimator.architecture_)
    set_numpy_weights(estimator.architecture_, estimator._named, weights)
    estimator.n_features_in_ = int(np.prod(estimator.architecture_["input_shape"]))
    estimator.n_params_ = arch_lib.count_params(estimator.architecture_)
    return estimator
