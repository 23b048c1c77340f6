"""Every model by name, built as a scikit-learn estimator.

Each engine has one module here that exposes `MODELS` (name -> factory taking
keyword parameters) and `CODECS` (how its classes are stored, see `modelfile`). The
engines are imported only when asked for, so the core works without torch,
keras or fastapi installed.
"""

from __future__ import annotations

import importlib

import numpy as np

from digitlab.errors import DigitlabError

ENGINE_MODULES = {
    "sklearn": "digitlab.models.baselines",
    "numpy": "digitlab.models.numpy_models",
    "torch": "digitlab.models.torch_models",
    "keras": "digitlab.models.keras_models",
    "ensemble": "digitlab.models.ensemble",  # model files only: ensembles and test-time augmentation
}
# where each engine's estimator classes are defined, so a model finds its engine without importing them all
CLASS_PACKAGES = {"sklearn": "sklearn", "numpy": "digitlab.nn", "torch": "digitlab.torch_engine",
                  "keras": "digitlab.keras_engine", "ensemble": "digitlab.models"}
NETWORK_ENGINES = ("numpy", "torch", "keras")
EXTRA_FOR_ENGINE = {"torch": "torch", "keras": "keras"}


def engine_module(engine: str):
    if engine not in ENGINE_MODULES:
        raise DigitlabError(f"unknown engine {engine!r}; choose from {', '.join(ENGINE_MODULES)}")
    try:
        return importlib.import_module(ENGINE_MODULES[engine])
    except ImportError as exc:
        extra = EXTRA_FOR_ENGINE.get(engine, engine)
        raise DigitlabError(
            f"the {engine} engine needs an optional dependency ({exc.name or exc}): "
            f"pip install 'digitlab[{extra}]'"
        ) from exc


def model_names(engine: str = "numpy") -> list[str]:
    """The names `make_model` accepts for `engine` (baselines are always there)."""
    names = set(engine_module("sklearn").MODELS)
    try:
        names |= set(engine_module(engine).MODELS)
    except DigitlabError:
        pass
    return sorted(names)


def _models_of(engine: str) -> dict:
    try:
        return engine_module(engine).MODELS
    except DigitlabError:  # the engine's extra is not installed
        return {}


def check_training_set(estimator, labels, source: str, n_features: int | None = None) -> None:
    """Refuse, before fitting, data `estimator` cannot learn from: one class only, fewer rows than
    k-NN's k, or images that an architecture given as a file does not take (`n_features` per row)."""
    if labels is None:
        raise DigitlabError(f"{source}: has no labels to train on")
    classes = np.unique(labels)
    if len(classes) < 2:
        raise DigitlabError(f"{source}: its {len(labels)} training images are all of one class "
                            f"({classes[0] if len(classes) else 'none'}); a classifier needs two or more")
    params = estimator.get_params(deep=False)
    if isinstance(params.get("architecture"), dict):
        from digitlab.nn.architecture import check_fits, validate

        check_fits(validate(params["architecture"]), n_features, len(classes))
    k = params.get("n_neighbors")
    if isinstance(k, int) and len(labels) < k:
        raise DigitlabError(f"{source}: {len(labels)} training images, fewer than the {k} neighbours "
                            f"k-NN looks at (n_neighbors={k})")


def model_engine(name: str, engine: str = "numpy") -> str:
    """The engine that builds `name`: "sklearn" for a baseline, else `engine`.

    A baseline has no torch or keras version, so asking for one is an error, not a silent k-NN
    (`make_model` itself builds a baseline whatever the engine, for comparisons that mix them).
    """
    if name in engine_module("sklearn").MODELS:
        if engine in ("torch", "keras"):
            raise DigitlabError(f"{name} is a scikit-learn baseline: the {engine} engine does not build it "
                                "(--engine applies to networks: mlp, cnn, lenet5, presets)")
        return "sklearn"
    return engine


def make_model(name: str, engine: str = "numpy", **params):
    """A fresh, unfitted estimator called `name`.

    Baselines (`knn`, `logreg`, ...) are scikit-learn's whatever the engine;
    networks (`mlp`, `cnn`, presets) are built by `engine`; a name ending in
    `.json` is an architecture file (see `digitlab.nn.architecture`), trained
    by the engine's `network`. `params` are the estimator's own keyword
    arguments; an unknown one, or a value out of range, is a clear error now, not at `fit`.
    """
    if name.endswith(".json"):
        from digitlab.nn.architecture import load

        name, params = "network", {"architecture": load(name), **params}
    baselines = engine_module("sklearn").MODELS
    factories = baselines if name in baselines else engine_module(engine).MODELS
    if name not in factories:
        home = [other for other in NETWORK_ENGINES if other != engine and name in _models_of(other)]
        if home:
            raise DigitlabError(f"model {name!r} runs on the {home[0]} engine, not {engine}: "
                                f"add --engine {home[0]} (engine={home[0]!r})")
        raise DigitlabError(
            f"unknown model {name!r} for engine {engine!r}; choose from {', '.join(model_names(engine))}"
        )
    model = factories[name]()
    valid = model.get_params(deep=False)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise DigitlabError(
            f"model {name!r} does not take {', '.join(unknown)}; its parameters: {', '.join(sorted(valid))}"
        )
    model.set_params(**params)
    _check_params(model, "sklearn" if name in baselines else engine)
    return model


def _check_params(model, engine: str) -> None:
    """Check every parameter's value up front: ours against `nn.settings`, a baseline's against
    scikit-learn's own constraints (which it otherwise checks only in `fit`)."""
    if engine != "sklearn":
        from digitlab.nn.settings import check

        check(model.get_params(deep=False), engine)
    elif hasattr(model, "_parameter_constraints"):
        from sklearn.utils._param_validation import InvalidParameterError

        try:
            model._validate_params()
        except InvalidParameterError as exc:
            raise DigitlabError(str(exc)) from None
