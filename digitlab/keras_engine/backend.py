"""Import keras, once, lazily: the only place in digitlab that does.

Keras reads its backend from `KERAS_BACKEND` when it is first imported. A
user's setting always wins; when there is none we choose the first backend
that is installed, TensorFlow first since that is what Keras users expect,
instead of letting Keras fail on a missing TensorFlow.
"""

from __future__ import annotations

import importlib.util
import os

from digitlab.errors import DigitlabError

BACKENDS = ("tensorflow", "torch", "jax")  # tried in this order when KERAS_BACKEND is unset


def default_backend() -> str | None:
    """The first installed backend, or None."""
    for name in BACKENDS:
        if importlib.util.find_spec(name) is not None:
            return name
    return None


def import_keras():
    """The `keras` module, its backend chosen; a one-line error when it cannot be used."""
    if "KERAS_BACKEND" not in os.environ:
        chosen = default_backend()
        if chosen is None:
            raise DigitlabError("the keras engine needs a backend: pip install torch (or tensorflow, or jax)")
        os.environ["KERAS_BACKEND"] = chosen
    try:
        import keras
    except ImportError as exc:
        raise DigitlabError(f"the keras engine needs keras ({exc}): pip install 'digitlab[keras]'") from exc
    if not keras.__version__.startswith("3."):
        raise DigitlabError(f"the keras engine needs Keras 3, found keras {keras.__version__}")
    return keras


def keras_available() -> bool:
    """Whether keras and a backend are installed (without importing them)."""
    return importlib.util.find_spec("keras") is not None and (
        "KERAS_BACKEND" in os.environ or default_backend() is not None)
