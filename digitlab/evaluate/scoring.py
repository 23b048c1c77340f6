"""Score a saved model on any labelled split of any dataset."""

from __future__ import annotations

import time

from digitlab.data import load_dataset, to_features
from digitlab.errors import DigitlabError
from digitlab.evaluate.metrics import classification_metrics
from digitlab.models import load_model


def evaluate(model_path, dataset: str = "digits", data_dir=None, split: str = "test",
             trust: bool = False) -> dict:
    """Load a model (file, run folder or weights folder) and score it on `dataset`'s `split`."""
    model, info = load_model(model_path, trust=trust)
    data = load_dataset(dataset, data_dir=data_dir)
    chosen = data.train if split == "train" else data.test
    if chosen is None or chosen.labels is None:
        raise DigitlabError(f"{dataset}: has no labelled {split} split")
    expected = tuple(info.get("input_shape", chosen.shape))
    if tuple(chosen.shape) != expected:
        raise DigitlabError(
            f"the model was trained on {expected[0]}x{expected[1]} images but {data.name} has "
            f"{chosen.shape[0]}x{chosen.shape[1]}"
        )
    start = time.perf_counter()
    proba = model.predict_proba(to_features(chosen.images))
    seconds = time.perf_counter() - start
    metrics = classification_metrics(chosen.labels, proba, model.classes_)
    return {"model": str(model_path), "dataset": data.name, "split": split,
            "predict_seconds": seconds, **metrics}
