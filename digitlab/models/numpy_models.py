"""The numpy engine's entry in the model registry: MODELS and CODECS.

MODELS names every network this engine trains, the learners' networks among
them, rebuilt exactly as they train them, next to the same layer sizes trained
the modern way:

    seed-sigmoid-mlp         784-128-64-32-10, sigmoid everywhere (output too), plain N(0, 0.1^2) init,
                             delta = a - y at the output, mini-batch SGD lr 0.01, batch 32, 10 epochs
    seed-sigmoid-mlp-modern  the same layer sizes with ReLU, He init, softmax cross-entropy, Adam,
                             cosine schedule, batch 128, 10 epochs
    seed-two-layer           784-10-10, ReLU then softmax, full-batch gradient descent, lr 0.10,
                             500 iterations
    seed-two-layer-modern    784-10-10 with He init, Adam, mini-batches of 128, one-cycle, 10 epochs
"""

from __future__ import annotations

import numpy as np

from digitlab.models.modelfile import Codec
from digitlab.nn.estimators import (
    CNNClassifier,
    LeNet5Classifier,
    MLPClassifier,
    NetworkClassifier,
    from_weights,
)

MODELS = {
    "mlp": lambda: MLPClassifier(),
    "cnn": lambda: CNNClassifier(),
    "lenet5": lambda: LeNet5Classifier(),
    "network": lambda: NetworkClassifier(),
    "seed-sigmoid-mlp": lambda: MLPClassifier(
        (128, 64, 32), "sigmoid", output_activation="sigmoid", init="normal", solver="sgd",
        learning_rate_init=0.01, schedule="constant", batch_size=32, max_iter=10, validation_fraction=0.0),
    "seed-sigmoid-mlp-modern": lambda: MLPClassifier(
        (128, 64, 32), "relu", solver="adam", learning_rate_init=1e-3, schedule="cosine", batch_size=128,
        max_iter=10, validation_fraction=0.0),
    "seed-two-layer": lambda: MLPClassifier(
        (10,), "relu", output_activation="softmax", init="normal", solver="sgd", learning_rate_init=0.10,
        schedule="constant", batch_size="full", max_iter=500, validation_fraction=0.0),
    "seed-two-layer-modern": lambda: MLPClassifier(
        (10,), "relu", solver="adam", learning_rate_init=1e-2, schedule="onecycle", batch_size=128,
        max_iter=10, validation_fraction=0.0),
}


def framework_state(model, params: dict) -> tuple[dict, dict]:
    """The model-file state of a torch or Keras network: its `params` plus what rebuilds it here.

    The full architecture, classes and history go with the weights, so the file
    loads into this engine when the framework is not installed (`from_weights`).
    """
    state = {**params, "architecture": model.architecture_,
             "classes": np.asarray(model.classes_).tolist(), "history": getattr(model, "history_", [])}
    return state, model.get_weights()


def decode_framework_state(state: dict, arrays: dict, available: bool, restore):
    """A torch or Keras network back from its file: `restore(params, classes, arrays)` when the framework
    is `available`, else the same network in the numpy engine (`from_weights`); history restored."""
    params, classes, history = unpack_framework_state(state)
    model = restore(params, classes, arrays) if available else \
        from_weights(params["architecture"], arrays, classes)
    model.history_ = history
    return model


def unpack_framework_state(state: dict) -> tuple[dict, np.ndarray, list]:
    """`framework_state`'s params back as (the estimator's params, classes, history)."""
    params = dict(state)
    return params, np.asarray(params.pop("classes")), params.pop("history", [])


# -- model files: params (with the architecture) + weights -------------------------------

def _encode(model):
    params = model.get_params(deep=False)
    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}
    if not isinstance(params.get("random_state"), (int, type(None))):
        params["random_state"] = None  # a Generator object cannot be stored; the weights carry what it did
    params["__architecture__"] = model.architecture_
    params["__classes__"] = np.asarray(model.classes_).tolist()
    params["__history__"] = model.history_
    weights = {name: np.asarray(w, dtype=np.float32) for name, w in model.get_weights().items()}
    return params, weights


def _decoder(cls):
    def decode(params, arrays, trust):
        params = dict(params)
        arch, classes = params.pop("__architecture__"), params.pop("__classes__")
        history = params.pop("__history__", [])
        _upgrade(params)
        for name in ("hidden_layer_sizes", "channels", "input_shape"):
            if isinstance(params.get(name), list):
                params[name] = tuple(params[name])
        model = cls(**params)
        model.history_ = history
        return model.set_fitted_weights(arch, arrays, classes)
    return decode


def _upgrade(params: dict) -> None:
    """Files written before the engines shared one table of settings (nn/settings.py), in place:
    augment was a pixel count (2 = "shift") and a CNN's dense layer was `dense`."""
    if isinstance(params.get("augment"), int):
        params["augment"] = "shift" if params["augment"] > 0 else "none"
    if "dense" in params:
        params["hidden_layer_sizes"] = (params.pop("dense"),)
    if isinstance(params.get("verbose"), bool):
        params["verbose"] = int(params["verbose"])


CODECS = {cls.__name__: Codec(cls, _encode, _decoder(cls))
          for cls in (NetworkClassifier, MLPClassifier, CNNClassifier, LeNet5Classifier)}
