"""Otsu's splits of a picture's grey levels: paper from ink, and ink from a lighter grey between.

For a split of the values into classes k with weights w_k and means mu_k,

    between = sum_k w_k (mu_k - mu)^2,      separability = between / total variance,

and Otsu's threshold is the cut that maximises it. The separability says how
much of the picture's variance the split explains: clean strokes on paper
about 0.9, Gaussian noise 2/pi = 0.64, whatever the cut.
"""

from __future__ import annotations

import numpy as np


def otsu_threshold(values: np.ndarray, bins: int = 256) -> tuple[float, float]:
    """Otsu's threshold of `values` and its separability in [0, 1]."""
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-6:
        return high, 0.0
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    centres = (edges[:-1] + edges[1:]) / 2
    p = counts / counts.sum()
    w0 = np.cumsum(p)  # weight of the class below each cut
    mu0 = np.cumsum(p * centres)
    mu = mu0[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mu * w0 - mu0) ** 2 / (w0 * (1 - w0))
    between = np.nan_to_num(between[:-1])
    cut = int(np.argmax(between))
    total = float(np.sum(p * (centres - mu) ** 2))
    return float(edges[cut + 1]), float(between[cut] / total) if total > 0 else 0.0


def otsu_three(values: np.ndarray, bins: int = 128) -> tuple[float, float]:
    """The two thresholds (t1 < t2) of Otsu's split into three classes (exhaustive over bin pairs).

    With cumulative weights P and first moments S over the bins, a class of bins
    [a, b) contributes (S_b - S_a)^2 / (P_b - P_a) to the between-class variance
    (up to a constant), so every pair of cuts is scored at once.
    """
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-6:
        return high, high
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    centres = (edges[:-1] + edges[1:]) / 2
    p = counts / counts.sum()
    weight = np.concatenate([[0.0], np.cumsum(p)])  # (bins + 1,) P_b
    moment = np.concatenate([[0.0], np.cumsum(p * centres)])  # (bins + 1,) S_b
    first, second = np.arange(1, bins)[:, None], np.arange(1, bins)[None, :]  # the cuts, before bin i

    def share(a, b):
        w, m = weight[b] - weight[a], moment[b] - moment[a]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(w > 0, m * m / w, 0.0)

    between = share(0, first) + share(first, second) + share(second, bins)  # (bins - 1, bins - 1)
    between = np.where(second > first, between, -np.inf)
    i, j = np.unravel_index(int(np.argmax(between)), between.shape)
    return float(edges[i + 1]), float(edges[j + 1])


def ink_apart(values: np.ndarray) -> float:
    """Otsu's separability among the pixels above the paper: how cleanly the ink splits from a lighter
    grey between it and the paper (squared paper's printed lines, a texture), 0..1.

    Such a third level holds variance that the two-way split cannot explain, so
    `otsu_threshold`'s separability falls to that of noise (MNIST digits on the
    robustness suite's squared paper, severity 3: 0.65-0.70 for half of them,
    and 53% were "no digit"). Otsu's three-way split sets the paper apart;
    above its lower cut, ink and the grey between split cleanly (0.8 or more
    for 89% of those), while noise and blank pages, which have no such levels,
    do not (at most 0.77 over 900 synthetic ones whose two-way split is under 0.7).
    """
    paper_cut, _ = otsu_three(values)
    above = values[values > paper_cut]
    return otsu_threshold(above)[1] if above.size else 0.0
