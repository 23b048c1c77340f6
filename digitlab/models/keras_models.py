"""The Keras engine's models by name, and how their model files are stored.

keras is imported inside functions only, so this module, and every model file
it wrote, loads without keras: the file holds our own weights (numpy-engine
layout) and `CODECS` rebuilds the network in code, in Keras when it is
installed and in the numpy engine otherwise. No Keras file is ever read.
"""

from __future__ import annotations

import numpy as np

from digitlab.keras_engine.estimator import KerasNetClassifier, restore
from digitlab.models.modelfile import Codec
from digitlab.models.numpy_models import decode_framework_state, framework_state
from digitlab.nn.estimators import CNN_DENSE, CNN_DROPOUT

# mlp, cnn and lenet5 are the same networks with the same training defaults in every engine
# (nn/settings.py; the cnn's dense layer and dropout: nn/estimators.py)
MODELS = {
    "mlp": lambda: KerasNetClassifier(architecture="mlp"),
    "cnn": lambda: KerasNetClassifier(architecture="cnn", hidden_layer_sizes=CNN_DENSE, dropout=CNN_DROPOUT,
                                      batchnorm=True),
    "lenet5": lambda: KerasNetClassifier(architecture="lenet5"),
    "network": lambda: KerasNetClassifier(architecture=None),  # give it a description dict (--model FILE.json)
    # The learners' TensorFlow lab, as they write it: Sequential([Dense(25, "relu"), Dense(15, "relu"),
    # Dense(10, "linear")]), Keras' default init (Glorot uniform), Adam(1e-3) at a constant rate,
    # 40 epochs, batches of 32, no validation split.
    "seed-keras-25-15": lambda: KerasNetClassifier(architecture="mlp", hidden_layer_sizes=(25, 15),
                                                   init="xavier", solver="adam", learning_rate_init=1e-3,
                                                   schedule="constant", max_iter=40, batch_size=32,
                                                   validation_fraction=0.0),
}


def _encode(model: KerasNetClassifier):
    params = model.get_params(deep=False)
    params["hidden_layer_sizes"] = np.atleast_1d(params["hidden_layer_sizes"]).tolist()
    params["channels"] = list(params["channels"])
    return framework_state(model, params)


def _decode(params: dict, arrays: dict, trust: bool):
    """A KerasNetClassifier when keras is installed, else the same network in the numpy engine."""
    from digitlab.keras_engine.backend import keras_available

    model = decode_framework_state(params, arrays, keras_available(), lambda p, classes, a: restore(
        KerasNetClassifier(**p), p["architecture"], classes, a))
    model.loss_curve_ = [row["loss"] for row in model.history_]
    return model


CODECS = {"KerasNetClassifier": Codec(KerasNetClassifier, _encode, _decode)}
