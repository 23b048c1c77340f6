"""The torch-trained models shipped in digitlab/models/pretrained: numpy-engine files whose cards tell the truth."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from digitlab.models import load_model, read_model_info

PRETRAINED = Path(__file__).resolve().parents[1] / "digitlab" / "models" / "pretrained"
SHIPPED = sorted(PRETRAINED.glob("torch-*.npz"))



def _check(path, mnist_dir, n):
    from digitlab.data import load_dataset, to_features

    assert read_model_info(path)["engine"] == "numpy"  # predict/serve run it without torch
    card = json.loads(path.with_suffix(".json").read_text())
    for name, digest in card["data_sha256"].items():
        assert hashlib.sha256((mnist_dir / name).read_bytes()).hexdigest() == digest
    model, info = load_model(path)
    assert info["test_accuracy"] == card["test_accuracy"]
    test = load_dataset("mnist", data_dir=mnist_dir).test
    return float(np.mean(model.predict(to_features(test.images[:n])) == test.labels[:n])), card


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_model_needs_no_torch_and_reads_mnist(path, mnist_dir):
    accuracy, card = _check(path, mnist_dir, 1000)
    assert accuracy >= card["test_accuracy"] - 0.02  # 1,000 of the 10,000 test images: a floor, quickly


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_model_scores_exactly_what_its_card_says(path, mnist_dir):
    accuracy, card = _check(path, mnist_dir, 10_000)
    assert accuracy == pytest.approx(card["test_accuracy"], abs=1e-9)
