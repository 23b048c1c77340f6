"""Connectionist temporal classification (Graves et al., 2006): reading a sequence off columns.

A network reads a line column by column and gives, per column t, log-
probabilities logp (T, C) over the labels plus a blank. An alignment is
one symbol per column; collapsing it (merge repeats, then drop blanks) gives
the text: "1 1 _ 7 _ _ 7" -> "177". P(text) is the sum over every alignment
that collapses to it, each the product of its columns' probabilities.
"""

from __future__ import annotations

import numpy as np


def best_path(logp: np.ndarray, blank: int) -> list[int]:
    """The text of the most likely alignment (greedy: each column's best symbol), collapsed."""
    best = np.argmax(logp, axis=1)  # (T,)
    starts = np.flatnonzero(np.diff(best, prepend=-1))  # first column of each run of one symbol
    return [int(s) for s in best[starts] if s != blank]


def best_path_columns(logp: np.ndarray, blank: int) -> list[int]:
    """For each label `best_path` reads, the column where its run is most likely."""
    best = np.argmax(logp, axis=1)
    runs = np.split(np.arange(len(best)), np.flatnonzero(np.diff(best)) + 1)  # columns of each run
    return [int(run[np.argmax(logp[run, best[run[0]]])]) for run in runs if len(run) and best[run[0]] != blank]


def sequence_logprob(logp: np.ndarray, labels, blank: int) -> float:
    """log P(labels | logp): every alignment of `labels` to the T columns, summed (the forward algorithm).

    The alignment walks the extended sequence z = blank, l1, blank, l2, ...,
    blank (S = 2L + 1): at each column it stays, moves one step, or skips a
    blank between two different labels.

        alpha_t(s) = (alpha_{t-1}(s) + alpha_{t-1}(s-1) + [skip] alpha_{t-1}(s-2)) * p_t(z_s)
        P(labels) = alpha_T(S) + alpha_T(S-1)       (ending on the last label or the blank after it)

    computed in log space, one column at a time over all s at once.
    """
    z = np.full(2 * len(labels) + 1, blank)
    z[1::2] = labels  # (S,)
    if len(logp) == 0:
        return 0.0 if len(labels) == 0 else -np.inf
    can_skip = np.zeros(len(z), dtype=bool)
    can_skip[2:] = (z[2:] != blank) & (z[2:] != z[:-2])
    alpha = np.full(len(z), -np.inf)
    alpha[:2] = logp[0, z[:2]]  # start on the first blank or the first label
    for column in logp[1:]:
        before = np.concatenate(([-np.inf, -np.inf], alpha))  # alpha_{t-1}(s - 2) for s = 0 at index 0
        skip = np.where(can_skip, before[:-2], -np.inf)
        alpha = np.logaddexp(np.logaddexp(alpha, before[1:-1]), skip) + column[z]
    return float(np.logaddexp.reduce(alpha[-2:]))
