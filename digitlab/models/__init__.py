"""Models: the one layer that knows every engine.

    registry.py       every model by name, built as a scikit-learn estimator
    modelfile.py      the pickle-free model file (.npz plus JSON metadata)
    filecheck.py      what a model file must hold: checked metadata, finite weights of the right dtype
    numpy_models.py   the numpy engine's named models and how its networks are stored
    torch_models.py   the torch engine's, loadable without torch
    keras_models.py   the Keras engine's, loadable without keras
    baselines.py      scikit-learn's k-NN, logistic regression, SVM, forest, MLP
    npydir.py         the learners' folder of W1.npy, b1.npy, ... weights
    tta.py            test-time augmentation: average over shifted views
    ensemble.py       average several models' probabilities
    export.py         ONNX and weights-folder export
    pretrained/       the shipped models and their cards
"""

from digitlab.models.modelfile import load_model, read_model_info, save_model
from digitlab.models.registry import check_training_set, make_model, model_engine, model_names

__all__ = ["check_training_set", "load_model", "make_model", "model_engine", "model_names", "read_model_info",
           "save_model"]
