"""How well the reading path reads labelled pictures: what `digitlab predict` answers, scored."""

from __future__ import annotations

from collections import Counter

import numpy as np

from digitlab.errors import DigitlabError

STATUSES = ("ok", "unsure", "no digit", "error")


def score_files(reader, files: list[tuple[str, int]], name: str = "", top: int = 3) -> dict:
    """Figures for `reader` on (path, label) pairs, read by `Reader.predict_files`.

    accuracy counts a "no digit" answer, or a file that cannot be read, as wrong and
    an "unsure" one by its digit; ok_accuracy is accuracy on the confident answers;
    confusions are the `top` most common "true->read n".
    """
    labels = np.array([label for _, label in files])
    read, status = [], []
    for _, p in reader.predict_files([path for path, _ in files]):
        failed = isinstance(p, DigitlabError)
        read.append(-1 if failed or p.digit is None else p.digit)
        status.append("error" if failed else p.status)
    return summarise(labels, np.array(read), np.array(status), name, top)


def summarise(labels, read, status, name: str = "", top: int = 3) -> dict:
    """The figures of `score_files` from labels (n,), digits read (n,; -1 for none) and statuses (n,)."""
    labels, read, status = np.asarray(labels), np.asarray(read), np.asarray(status)
    right, ok = read == labels, status == "ok"
    confusions = Counter((int(t), int(r)) for t, r in zip(labels, read) if r >= 0 and r != t)
    n = len(labels)
    return {"folder": name, "n": n, "accuracy": float(right.mean()),
            "unsure": float(np.mean(status == "unsure")), "no_digit": float(np.mean(status == "no digit")),
            "unreadable": float(np.mean(status == "error")),
            "ok_accuracy": float(right[ok].mean()) if ok.any() else float("nan"),
            "confusions": [f"{t}->{r} {k}" for (t, r), k in confusions.most_common(top)]}
