"""The torch engine's models by name, and how their model files are stored.

torch is imported inside functions only, so this module, and therefore every
model file the torch engine wrote, loads without torch: `CODECS` then rebuilds
the same network in the numpy engine.
"""

from __future__ import annotations

from digitlab.models.modelfile import Codec
from digitlab.models.numpy_models import decode_framework_state, framework_state
from digitlab.nn.estimators import CNN_DENSE, CNN_DROPOUT
from digitlab.torch_engine import torch_available
from digitlab.torch_engine.estimator import TorchNetClassifier

# mlp, cnn and lenet5 are the same networks with the same training defaults in every engine
# (nn/settings.py; the cnn's dense layer and dropout: nn/estimators.py)
MODELS = {
    "mlp": lambda: TorchNetClassifier(architecture="mlp"),
    "cnn": lambda: TorchNetClassifier(architecture="cnn", hidden_layer_sizes=CNN_DENSE, dropout=CNN_DROPOUT,
                                      batchnorm=True),
    "lenet5": lambda: TorchNetClassifier(architecture="lenet5"),
    "network": lambda: TorchNetClassifier(architecture=None),  # give it a description dict (--model FILE.json)
    # the fast recipe (see BENCHMARKS.md, "Torch engine"): 2 epochs, no augmentation, one-cycle AdamW to a high peak
    "fast-cnn": lambda: TorchNetClassifier(architecture="fast-cnn", channels=(16, 32, 64), hidden_layer_sizes=(128,),
                                           dropout=0.0, max_iter=2, batch_size=256, learning_rate_init=0.02,
                                           solver="adamw", alpha=1e-4, schedule="onecycle",
                                           label_smoothing=0.1, channels_last=True),
}


# -- model files -------------------------------------------------------------------------------

def _encode(model: TorchNetClassifier):
    params = {k: v for k, v in model.get_params(deep=False).items() if k not in ("checkpoint", "resume")}
    return framework_state(model, params)


def _decode(params: dict, arrays: dict, trust: bool):
    """A TorchNetClassifier when torch is installed, else the same network in the numpy engine."""
    return decode_framework_state(params, arrays, torch_available(), _restore)


def _restore(params: dict, classes, arrays: dict) -> TorchNetClassifier:
    from digitlab.torch_engine.fit import restore

    tuples = {k: tuple(v) for k, v in params.items() if k in ("hidden_layer_sizes", "channels")}
    return restore(TorchNetClassifier(**{**params, **tuples}), classes, arrays)


CODECS = {"TorchNetClassifier": Codec(TorchNetClassifier, _encode, _decode)}
