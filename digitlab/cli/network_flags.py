"""The network flags of `digitlab train`, built from the one table of settings (`digitlab.nn.settings`).

Each flag is a setting's name in words (`--lr` is `learning_rate_init`); its help gives the valid
values and the default every engine uses, and names the engines that honour it. A flag left out
is not passed on, so the model keeps its own value.
"""

from __future__ import annotations

import argparse

from digitlab.cli.common import int_list
from digitlab.nn.settings import ENGINES, SETTINGS, check_flags

FLOATS = {"learning_rate_init", "alpha", "dropout", "momentum", "label_smoothing", "validation_fraction"}
INTS = {"nproc"}
LISTS = {"hidden_layer_sizes", "channels"}
WORDS = {"max_iter": ("auto",), "batch_size": ("auto", "full")}


def add_network_flags(parser: argparse.ArgumentParser) -> None:
    """Every setting that has a flag, in two groups: the ones all engines honour, and the rest."""
    shared = parser.add_argument_group("network settings (every engine)")
    only = parser.add_argument_group("settings some engines cannot honour")
    for setting in SETTINGS.values():
        if setting.flag is None:
            continue
        group = shared if setting.engines == ENGINES else only
        engines = "" if setting.engines == ENGINES else f"; {', '.join(setting.engines)} only"
        default = setting.default if not isinstance(setting.default, tuple) else \
            ",".join(map(str, setting.default))
        help = f"{setting.help} ({setting.valid}; default {default}{engines})".replace("%", "%%")
        if setting.name == "resume":
            group.add_argument("--resume", action="store_true", default=None, help=help)
            continue
        group.add_argument(f"--{setting.flag}", dest=setting.name, type=_parser(setting.name),
                           default=None, metavar=setting.flag.upper().replace("-", "_"), help=help)


def _parser(name: str):
    if name in LISTS:
        return int_list
    if name in FLOATS:
        return float
    if name in INTS:
        return int
    if name in WORDS:
        return _int_or(WORDS[name])
    return str


def _int_or(words: tuple):
    def parse(text: str):
        if text in words:
            return text
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number or {' or '.join(words)}, got {text!r}")
    return parse


def network_params(flags: dict, engine: str) -> dict:
    """The estimator parameters of the flags given, checked for `engine` before any work starts."""
    params = {name: value for name, value in flags.items() if name in SETTINGS and value is not None}
    check_flags(params, engine)
    return params
