"""A person's labelled digits, prepared as the reader prepares what it predicts.

    found = load_examples(reader, ["my-digits/", "corrections.db"])
    found.images, found.labels, found.skipped

A source is a folder with sub-folders 0-9 or a `labels.csv` (`file,label`;
see `digitlab.data.labelled`), or a corrections database from the web app
(`digitlab.data.corrections`), whose images are already what the model saw.
A picture that cannot be decoded, or holds no digit, is skipped and named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitlab.data.corrections import CorrectionStore, is_database
from digitlab.data.labelled import labelled_files
from digitlab.errors import DigitlabError


@dataclass
class Examples:
    images: np.ndarray  # uint8 (n, H, W), model input
    labels: np.ndarray  # int64 (n,)
    skipped: list = field(default_factory=list)  # "path: why" for each picture left out


def load_examples(reader, sources) -> Examples:
    """Every labelled digit in `sources` (folders or corrections databases), through `reader.prepare`."""
    images, labels, skipped = [], [], []
    for source in sources:
        found = _from_database(reader, source) if is_database(source) else _from_folder(reader, source, skipped)
        images += list(found[0])
        labels += list(found[1])
    if not images:
        raise DigitlabError(f"no usable examples in {', '.join(map(str, sources))}"
                            + (f" ({len(skipped)} skipped)" if skipped else ""))
    return Examples(np.stack(images).astype(np.uint8), np.array(labels, dtype=np.int64), skipped)


def _from_folder(reader, folder, skipped: list):
    path = Path(folder)
    if path.is_file():
        raise DigitlabError(f"{path}: expected a folder of labelled images or a corrections database")
    images, labels = [], []
    for file, label in labelled_files(path):
        try:
            prepared = reader.prepare(file)
        except (DigitlabError, OSError) as exc:
            skipped.append(f"{file}: {exc}")
            continue
        if not prepared.has_digit:
            skipped.append(f"{file}: no digit found ({'; '.join(prepared.warnings) or 'no ink'})")
            continue
        images.append(prepared.input)
        labels.append(label)
    return images, labels


def _from_database(reader, path):
    store = CorrectionStore(path, create=False)
    if store.count() == 0:
        raise DigitlabError(f"{path}: the corrections database is empty")
    images, labels = store.examples(shape=reader.shape)
    if len(images) == 0:
        raise DigitlabError(f"{path}: no corrections of {reader.shape[0]}x{reader.shape[1]} images, "
                            "the size this model reads")
    return images, labels
