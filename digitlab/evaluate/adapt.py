"""Adapt a digit network to one person's handwriting from a few labelled examples.

    result = adapt(model, images, labels, replay=(mnist_x, mnist_y), scored={"mnist test": (x, y)})
    result.model                      # a fine-tuned copy; `model` is left as it was
    result.scores["mnist test"]       # (accuracy before, accuracy after)

The recipe, measured on the handwriting-dev sets (benchmarks/adapt.py, BENCHMARKS.md):
- only the dense head learns, on features of the frozen convolutional body
  (`digitlab.nn.finetune`): forgetting stays small and every image crosses the
  costly body once;
- each example is seen as itself and as warped copies (rotation, shear, scale:
  `warps.affine` at severity 1), so a handful of digits does not teach one exact drawing;
- MNIST training digits are replayed beside them, each taught the unadapted head's own
  probabilities for it rather than its label (distillation, as in "learning without
  forgetting"), so the head keeps its answers on everyone else's digits: re-fitting a thousand
  labelled digits moved it enough to cost usps-train 0.1 point with one example a digit;
- a few epochs of Adam with a cosine schedule from a small learning rate.

Images everywhere are uint8 (n, H, W), white on black, already prepared as
`digitlab predict` prepares them (`Reader.prepare`).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from digitlab.errors import DigitlabError
from digitlab.evaluate.warps import affine
from digitlab.nn.estimators import NetworkClassifier, from_weights
from digitlab.nn.finetune import body_features, head_network, head_start, put_head
from digitlab.nn.training import TrainSettings, predict_proba, target_rows, train


@dataclass(frozen=True)
class AdaptSettings:
    """How to fine-tune (defaults chosen on the handwriting-dev sets; see BENCHMARKS.md)."""

    epochs: int = 10
    learning_rate: float = 1e-3
    batch_size: int = 64
    views: int = 5  # each example itself plus views - 1 warped copies...
    example_rows: int = 500  # ...or more copies, until the examples give at least this many rows
    replay: int = 1000  # MNIST training digits mixed in (at most; fewer when fewer are given)


@dataclass
class AdaptResult:
    model: NetworkClassifier
    history: list
    scores: dict = field(default_factory=dict)  # name -> (accuracy before, accuracy after)
    n_rows: int = 0  # training rows: example views plus replayed digits
    seconds: float = 0.0  # fine-tuning alone, scoring left out
    settings: dict = field(default_factory=dict)


def can_adapt(model) -> bool:
    return as_numpy_network(model) is not None


def as_numpy_network(model) -> NetworkClassifier | None:
    """`model` in the numpy engine: itself, or a torch or Keras network's weights in a numpy network
    (the same answers to float32 rounding); None for a model that is not a fitted network."""
    if isinstance(model, NetworkClassifier):
        return model if hasattr(model, "network_") else None
    if all(hasattr(model, name) for name in ("architecture_", "get_weights", "classes_")):
        return from_weights(model.architecture_, model.get_weights(), model.classes_)
    return None


def adapt(model, images, labels, replay=None, scored=None, settings: AdaptSettings = AdaptSettings(),
          seed: int = 0, engine: str = "numpy") -> AdaptResult:
    """A copy of `model` (any fitted network of ours) fine-tuned on `images` (n, H, W) uint8 with digit
    `labels` (n,); the copy is a numpy-engine network.

    replay : (images, labels) of other digits to mix in (MNIST training digits), or None.
    scored : {name: (images, labels)} to score before and after, e.g. held-out examples, MNIST test.
    engine : what runs the frozen body's pass, the costly part: "numpy", or "torch" (the same
        features to float32 rounding, faster). The head always learns in the numpy engine.
    """
    numpy_model = as_numpy_network(model)
    if numpy_model is None:
        raise DigitlabError(f"cannot adapt a {type(model).__name__}: only networks (numpy, torch or Keras "
                            "trained) can be fine-tuned, not the scikit-learn baselines")
    model = numpy_model
    images, labels = np.asarray(images, dtype=np.uint8), np.asarray(labels)
    if len(images) == 0:
        raise DigitlabError("no examples to adapt on")
    # one BLAS thread, as the training loop has: these products are small, and the cores are shared
    body = _body(model, engine)
    with threadpool_limits(limits=1, user_api="blas"):
        return _adapt(model, images, labels, replay, scored or {}, settings, seed, body)


def _adapt(model, images, labels, replay, scored, settings, seed, body) -> AdaptResult:
    rng = np.random.default_rng(seed)
    start_time = time.perf_counter()
    net = model.network_
    start = head_start(net.arch)
    x, y, replayed = training_rows(images, labels, replay, settings, rng)
    feats = body(_inputs(x, model), start)
    head = head_network(net, start)
    targets = target_rows(head, _class_index(model, y))  # (n, classes), one-hot
    if replayed.any():
        targets[replayed] = predict_proba(head, feats[replayed])  # the unadapted head's answers (distillation)
    train_settings = TrainSettings(solver="adam", learning_rate_init=settings.learning_rate, schedule="cosine",
                                   max_iter=settings.epochs, batch_size=min(settings.batch_size, len(x)))
    history = train(head, feats, targets, None, train_settings, rng)
    adapted = from_weights(model.architecture_, model.get_weights(), model.classes_)
    put_head(adapted.network_, head, start)
    seconds = time.perf_counter() - start_time
    scores = {name: _before_after(model, adapted, start, body, *data) for name, data in scored.items()}
    return AdaptResult(adapted, history, scores, len(x), seconds, asdict(settings))


def training_rows(images, labels, replay, settings: AdaptSettings, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The examples with their warped copies, then a random draw of replayed digits: (x, y, replayed),
    `replayed` (n,) True on the replayed rows."""
    views = max(settings.views, math.ceil(settings.example_rows / len(images)))
    if images.shape[1:] != (28, 28):  # the warps are drawn on 28x28; other sizes learn from the originals
        views = 1
    xs = [images] + [affine(images, 1, rng) for _ in range(views - 1)]
    ys = [labels] * views
    if replay is not None and settings.replay > 0 and len(replay[0]):
        pick = rng.choice(len(replay[0]), min(settings.replay, len(replay[0])), replace=False)
        xs.append(np.asarray(replay[0], dtype=np.uint8)[pick])
        ys.append(np.asarray(replay[1])[pick])
    x, y = np.concatenate(xs), np.concatenate(ys)
    replayed = np.arange(len(x)) >= len(images) * views
    return x, y, replayed


def per_class(labels, classes=range(10)) -> dict[int, int]:
    """How many examples of each class, zeros included."""
    labels = np.asarray(labels)
    return {int(c): int((labels == c).sum()) for c in classes}


def hold_out(labels, share: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """(train index, held-out index): floor(share * n_c) of each class held out, none of a class of one."""
    train_index, held = [], []
    for c in np.unique(labels):
        index = rng.permutation(np.flatnonzero(labels == c))
        n_held = math.floor(share * len(index)) if len(index) > 1 else 0
        held += list(index[:n_held])
        train_index += list(index[n_held:])
    return np.sort(np.array(train_index, dtype=np.int64)), np.sort(np.array(held, dtype=np.int64))


def _body(model, engine: str):
    """body(x, start) -> the features after layers [0, start), run by `engine`."""
    if engine == "numpy":
        return lambda x, start: body_features(model.network_, x, start)
    if engine == "torch":
        from digitlab.torch_engine.inference import body_features as torch_body

        return lambda x, start: torch_body(model, x, start)
    raise DigitlabError(f"unknown engine {engine!r}: numpy or torch")


def _before_after(before, after, start: int, body, images, labels) -> tuple[float, float]:
    """Accuracy of both models on the same images; the body is shared, so its features are computed once."""
    if len(images) == 0:
        return (float("nan"), float("nan"))
    feats = body(_inputs(images, before), start)
    truth = _class_index(before, labels)
    return tuple(float((predict_proba(head_network(m.network_, start), feats).argmax(1) == truth).mean())
                 for m in (before, after))


def _inputs(images, model) -> np.ndarray:
    """uint8 (n, H, W) -> float32 (n, *input_shape) in [0, 1], the features the estimator would make."""
    x = np.asarray(images, dtype=np.float32) / np.float32(255.0)
    return x.reshape(len(x), *model.input_shape_)


def _class_index(model, labels) -> np.ndarray:
    lookup = {int(c): i for i, c in enumerate(model.classes_)}
    unknown = sorted({int(v) for v in labels} - set(lookup))
    if unknown:
        raise DigitlabError(f"this model has no class {unknown[0]} (classes: {sorted(lookup)})")
    return np.array([lookup[int(v)] for v in labels], dtype=np.int64)
