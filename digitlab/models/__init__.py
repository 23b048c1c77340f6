"""Models: a registry of named estimators and the pickle-free model file."""

from digitlab.models.modelfile import load_model, read_model_info, save_model
from digitlab.models.registry import make_model, model_names

__all__ = ["load_model", "make_model", "model_names", "read_model_info", "save_model"]
