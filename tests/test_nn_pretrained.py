"""Shipped models: the default pick, the cards, and the card's accuracy recomputed on real MNIST."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from digitlab.errors import DigitlabError
from digitlab.models import pretrained, save_model
from digitlab.nn.estimators import from_weights

CARD_KEYS = {"test_accuracy", "data_sha256", "command", "seed", "train_seconds", "machine", "input_shape"}


def tiny_model(side: int):
    arch = {"input_shape": [1, side, side], "layers": [{"type": "flatten"}, {"type": "dense", "units": 10}]}
    weights = {"1.weight": np.zeros((side * side, 10), np.float32), "1.bias": np.arange(10, dtype=np.float32)}
    return from_weights(arch, weights, np.arange(10))


def ship(folder, name, side, accuracy):
    save_model(tiny_model(side), folder / f"{name}.npz")
    (folder / f"{name}.json").write_text(json.dumps({"test_accuracy": accuracy, "input_shape": [side, side]}))


def test_default_is_the_most_accurate_28x28_model(tmp_path, monkeypatch):
    monkeypatch.setattr(pretrained, "HERE", tmp_path)
    ship(tmp_path, "good", 28, 0.98)
    ship(tmp_path, "better", 28, 0.99)
    ship(tmp_path, "small-but-best", 8, 0.999)  # not 28x28: never the default
    (tmp_path / "better.calibration.json").write_text(json.dumps({"test_accuracy": 1.0}))
    (tmp_path / "card-without-model.json").write_text(json.dumps({"test_accuracy": 1.0, "input_shape": [28, 28]}))
    assert [c["name"] for c in pretrained.list_pretrained()] == ["small-but-best", "better", "good"]
    model, card = pretrained.load_pretrained()
    assert card["name"] == "better"
    assert model.predict(np.zeros((1, 784), np.float32))[0] == 9  # bias 0..9: class 9 wins
    with pytest.raises(DigitlabError, match="no pretrained model 'nope'; shipped: small-but-best, better, good"):
        pretrained.load_pretrained("nope")


def test_no_28x28_model_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(pretrained, "HERE", tmp_path)
    with pytest.raises(DigitlabError, match="no pretrained 28x28 model"):
        pretrained.load_pretrained()


def _shipped_cards():
    """Every shipped numpy-engine card; a CNN's full test pass takes minutes on 2 cores, so those are slow."""
    from digitlab.models.modelfile import read_model_info

    params = []
    for card in pretrained.list_pretrained():
        if card.get("engine") != "numpy":
            continue
        layers = read_model_info(card["path"])["params"]["__architecture__"]["layers"]
        is_cnn = any(layer["type"] == "conv2d" for layer in layers)
        params.append(pytest.param(card, id=card["name"], marks=[pytest.mark.slow] if is_cnn else []))
    return params


@pytest.mark.parametrize("card", _shipped_cards())
def test_shipped_card_is_true(card, mnist_dir):
    """The card's checksums match the data, and its test accuracy is recomputed exactly."""
    from digitlab.data import load_dataset, to_features

    assert CARD_KEYS <= set(card)
    for name, digest in card["data_sha256"].items():
        assert hashlib.sha256((mnist_dir / name).read_bytes()).hexdigest() == digest
    model, _ = pretrained.load_pretrained(card["name"])
    test = load_dataset("mnist", data_dir=mnist_dir).test
    assert model.score(to_features(test.images), test.labels) == pytest.approx(card["test_accuracy"], abs=1e-9)

