"""Models shipped inside the package, so predicting needs no training and no download.

Each shipped model is `<name>.npz` (a digitlab model file, see models/modelfile.py)
beside `<name>.json`, its card: test accuracy, the sha256 of the data it was
trained on, the exact command that made it, the seed, the training time and the
machine. `load_pretrained()` with no name picks the 28x28 model whose card
reports the highest test accuracy, so a better model shipped later becomes
the default with no change here.
"""

from __future__ import annotations

import json
from pathlib import Path

from digitlab.errors import DigitlabError

HERE = Path(__file__).resolve().parent


def list_pretrained() -> list[dict]:
    """Every shipped model's card (a dict with at least "name" and "test_accuracy"), best first."""
    cards = []
    for path in sorted(HERE.glob("*.json")):
        if path.name.endswith(".calibration.json") or not path.with_suffix(".npz").is_file():
            continue  # calibration files and cards without a model are not models
        card = json.loads(path.read_text(encoding="utf-8"))
        card["name"] = path.stem
        card["path"] = str(path.with_suffix(".npz"))
        cards.append(card)
    return sorted(cards, key=lambda card: -float(card.get("test_accuracy", 0.0)))


def default_name() -> str:
    """The name of the best shipped model for 28x28 images."""
    cards = [card for card in list_pretrained() if list(card.get("input_shape", [])) == [28, 28]]
    if not cards:
        raise DigitlabError(f"no pretrained 28x28 model is shipped in {HERE}")
    return cards[0]["name"]


def load_pretrained(name: str | None = None):
    """(model, card) for the shipped model `name`, or the best 28x28 one when `name` is None."""
    from digitlab.models import load_model

    name = name or default_name()
    cards = {card["name"]: card for card in list_pretrained()}
    if name not in cards:
        raise DigitlabError(f"no pretrained model {name!r}; shipped: {', '.join(cards) or 'none'}")
    model, _ = load_model(cards[name]["path"])
    return model, cards[name]
