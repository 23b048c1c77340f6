"""Every network setting, described once: its name, default, valid values, help, and the engines that honour it.

The numpy, torch and keras estimators take their defaults from `DEFAULTS` and check their
parameters with `check` at the start of `fit` (scikit-learn's rule: `__init__` stores, `fit`
validates); `digitlab train` builds its flags from `SETTINGS` and checks them with `check_flags`
before any data is loaded. So `--lr` is `learning_rate_init` with one default and one valid range
in every engine, and an engine that cannot honour a setting says so instead of ignoring it.

    setting              flag                 default      engines
    hidden_layer_sizes   --hidden             128,64,32    all (mlp: its layers; cnn: the dense layers before the logits)
    channels             --channels           16,32        all (cnn)
    activation           --activation         relu         all
    dropout              --dropout            0            all
    init                 --init               None         all
    solver               --solver             adam         all
    learning_rate_init   --lr                 0.001        all
    schedule             --schedule           cosine       all (same curve, nn/schedules.py)
    max_iter             --epochs             auto         all (auto: ~2,000 updates, 10 to 100 epochs)
    batch_size           --batch-size         auto         all (auto: n/32 within 16..128; full: n)
    alpha                --alpha              0            all
    momentum             --momentum           0.9          all
    augment              --augment            none         all; shift everywhere, affine/elastic/robust: torch
    validation_fraction  --validation-fraction 0.1        numpy, keras
    label_smoothing      --label-smoothing    0            torch
    device, nproc, checkpoint, resume                      torch

Two near-equivalences, kept so recorded torch recipes still reproduce: torch's onecycle is its own
OneCycleLR (a 25% cosine warm-up; numpy and keras warm up linearly over 30%), and torch (and Keras'
adamw) decay every parameter by alpha where numpy decays the weights alone (not biases).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

from digitlab.errors import DigitlabError
from digitlab.nn.architecture import ACTIVATIONS, INITS
from digitlab.nn.optimizers import SOLVERS
from digitlab.nn.schedules import SCHEDULES

ENGINES = ("numpy", "torch", "keras")
AUGMENTS = ("none", "shift", "affine", "elastic", "robust")
SHIFT_PIXELS_AT_28 = 2  # "shift": up to 2 px on a 28x28 image, scaled with the side (1 px on 8x8)


def _positive_ints(v) -> bool:
    values = v if isinstance(v, (list, tuple)) else [v]
    return len(values) > 0 and all(_whole(x) and x >= 1 for x in values)


def _whole(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


def _flag_bool(v) -> bool:
    return isinstance(v, (bool, int)) and v in (0, 1)


@dataclass(frozen=True)
class Setting:
    """One setting. `ok(value)` says whether a value is valid; `valid` says which are, in words."""
    name: str  # the estimators' keyword (scikit-learn's name where it has one)
    flag: str | None  # `digitlab train`'s flag, or None when it has none
    default: object
    valid: str
    ok: object
    help: str
    engines: tuple = ENGINES
    choices: dict = field(default_factory=dict)  # engine -> the values it offers, where it offers fewer

    def problem(self, value, engine: str | None = None, label: str | None = None) -> str | None:
        """Why `value` is not valid (for `engine`), or None; `label` names the setting (a flag, say)."""
        label = label or self.name
        if not self.ok(value):
            return f"{label} must be {self.valid}, got {value!r}"
        offered = self.choices.get(engine)
        if offered is not None and value not in offered:
            able = [e for e in self.engines if value in self.choices.get(e, (value,))]
            return (f"{label} {value!r}: the {engine} engine cannot honour it ({', '.join(able)} can); "
                    f"the {engine} engine takes {' or '.join(offered)}")
        return None


def _choice(name, flag, default, options, help, engines=ENGINES, **kw) -> Setting:
    return Setting(name, flag, default, "one of " + ", ".join(map(str, options)),
                   lambda v: v in options, help, engines, **kw)


SETTINGS = {s.name: s for s in [
    Setting("hidden_layer_sizes", "hidden", (128, 64, 32), "positive whole numbers, e.g. 128,64",
            _positive_ints, "dense layer sizes: an mlp's hidden layers; a cnn's dense layers before the logits "
                            "(a cnn's own default: 128)"),
    Setting("channels", "channels", (16, 32), "positive whole numbers, e.g. 16,32", _positive_ints,
            "conv channels per stage of a cnn (two 3x3 convs and a 2x2 max-pool each)"),
    _choice("activation", "activation", "relu", ACTIVATIONS, "hidden-layer activation of an mlp"),
    Setting("dropout", "dropout", 0.0, "a rate in [0, 1)", lambda v: _number(v) and 0 <= v < 1,
            "dropout rate after each hidden layer (0 = none; a cnn's own default: 0.25)"),
    Setting("init", "init", None, "one of " + ", ".join(INITS) + " (or left unset)", lambda v: v in (None, *INITS),
            "weight initialisation of the hidden layers (None: he for relu, xavier otherwise)"),
    _choice("solver", "solver", "adam", SOLVERS, "optimiser (momentum and nesterov use --momentum)"),
    Setting("learning_rate_init", "lr", 1e-3, "a finite number > 0", lambda v: _number(v) and v > 0,
            "initial (peak) learning rate"),
    _choice("schedule", "schedule", "cosine", SCHEDULES,
            "learning-rate schedule over all steps (constant, step, cosine to 0, onecycle)"),
    Setting("max_iter", "epochs", "auto", "a whole number >= 1 or 'auto'",
            lambda v: v == "auto" or (_whole(v) and v >= 1),
            "epochs; auto: enough for ~2,000 updates, between 10 and 100"),
    Setting("batch_size", "batch-size", "auto", "a whole number >= 1, 'auto' or 'full'",
            lambda v: v in ("auto", "full") or (_whole(v) and v >= 1),
            "mini-batch size; auto: n/32 between 16 and 128; full: full-batch gradient descent"),
    Setting("alpha", "alpha", 0.0, "a finite number >= 0", lambda v: _number(v) and v >= 0,
            "L2 weight decay (decoupled with adamw)"),
    Setting("momentum", "momentum", 0.9, "a number in [0, 1)", lambda v: _number(v) and 0 <= v < 1,
            "momentum of the momentum and nesterov solvers"),
    _choice("augment", "augment", "none", AUGMENTS,
            "training augmentation: none; shift (up to 2 px of 28, a fresh draw each time); affine "
            "(rotate, shift, scale, shear), elastic, robust (affine plus pen, blur, paper, noise): torch",
            choices={"numpy": ("none", "shift"), "keras": ("none", "shift")}),
    Setting("validation_fraction", "validation-fraction", 0.1, "a fraction in [0, 1)",
            lambda v: _number(v) and 0 <= v < 1, "share of the training data held out to score each epoch",
            ("numpy", "keras")),
    Setting("early_stopping", None, False, "True or False", _flag_bool,
            "stop when the validation loss has not improved for n_iter_no_change epochs", ("numpy", "keras")),
    Setting("n_iter_no_change", None, 5, "a whole number >= 1", lambda v: _whole(v) and v >= 1,
            "patience of early stopping, in epochs", ("numpy", "keras")),
    Setting("tol", None, 1e-4, "a finite number >= 0", lambda v: _number(v) and v >= 0,
            "the improvement early stopping counts", ("numpy", "keras")),
    Setting("label_smoothing", "label-smoothing", 0.0, "a number in [0, 1)",
            lambda v: _number(v) and 0 <= v < 1, "label smoothing of the cross-entropy", ("torch",)),
    Setting("device", "device", "auto", "auto, cpu, cuda, cuda:N or mps", lambda v: isinstance(v, str),
            "where to train: auto (cuda, then mps, then cpu), cpu, cuda, cuda:N or mps", ("torch",)),
    Setting("nproc", "nproc", 1, "a whole number >= 1", lambda v: _whole(v) and v >= 1,
            "train in N processes (DistributedDataParallel)", ("torch",)),
    Setting("checkpoint", "checkpoint", None, "a file path", lambda v: v is None or isinstance(v, str),
            "write a checkpoint here after every epoch", ("torch",)),
    Setting("resume", "resume", False, "True or False", _flag_bool,
            "continue from --checkpoint (the same result as an uninterrupted run)", ("torch",)),
    Setting("verbose", None, 0, "0, 1 (progress) or more",
            lambda v: isinstance(v, numbers.Integral) and v >= 0,
            "0: silent; 1: a progress bar on a terminal, one line per epoch elsewhere"),
]}
DEFAULTS = {name: s.default for name, s in SETTINGS.items()}


def check(params: dict, engine: str, flags: bool = False) -> None:
    """Raise a one-line DigitlabError (a ValueError) for the first setting in `params` that is not valid.

    Names the table does not describe (an architecture, input_shape, ...) are left to their estimator.
    With `flags`, messages name the CLI's flags.
    """
    for name, value in params.items():
        setting = SETTINGS.get(name)
        label = f"--{setting.flag}" if setting and flags and setting.flag else name
        problem = setting and setting.problem(value, engine, label)
        if problem:
            raise DigitlabError(problem)


def check_flags(params: dict, engine: str) -> None:
    """`check` for the CLI: a setting the engine cannot honour is refused, named by its flag."""
    for name in params:
        setting = SETTINGS.get(name)
        if setting and engine not in setting.engines:
            raise DigitlabError(f"--{setting.flag or name}: the {engine} engine cannot honour it "
                                f"({', '.join(setting.engines)} can)")
    check(params, engine, flags=True)


def epochs(max_iter, n: int, batch: int) -> int:
    """max_iter as given, or "auto": about 2,000 updates, at least 10 and at most 100 epochs."""
    if max_iter == "auto":
        return min(100, max(10, math.ceil(2000 / math.ceil(n / batch))))
    return int(max_iter)


def batch_size(value, n: int) -> int:
    """The mini-batch size for n training examples: "auto" = n/32 within 16..128, "full" = n."""
    if value == "auto":  # small data gets smaller batches, hence enough updates per epoch
        return min(n, max(16, min(128, n // 32)))
    if value == "full":
        return n
    if value > n:
        raise DigitlabError(f"batch_size={value} is larger than the {n} training examples "
                            "(those left after the validation_fraction split)")
    return int(value)


def shift_pixels(augment: str, side: int) -> int:
    """The largest random shift, in pixels, that `augment` means on images `side` pixels wide."""
    if augment != "shift":
        return 0
    return max(1, round(SHIFT_PIXELS_AT_28 * side / 28))
