"""Plain-English conclusions written from the measured numbers, never canned.

Every sentence is built from a comparison's or a sweep's result rows (see
`compare.summary`): who won and by how much, whether that margin is larger
than the fold-to-fold spread, and where a sweep stops gaining test accuracy
while its train accuracy keeps climbing (over-fitting).
"""

from __future__ import annotations

from digitlab.evaluate.compare import summary

FIT = 0.995  # train accuracy counted as "fits the training set"


def pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def points(x: float) -> str:
    return f"{100 * x:.2f} points"


def models(rows: list[dict]) -> list[str]:
    """Sentences about a model comparison: the winner, its margin, the MLPs, over-fitting, speed."""
    ranked = sorted((summary(r) for r in rows), key=lambda s: -s["test_mean"])
    best = ranked[0]
    folds = len(rows[0]["test_accuracy"])
    out = [(f"{best['label']} scored best: {pct(best['test_mean'])} ± {points(best['test_std'])} mean "
           f"test accuracy over {folds} folds.")]
    if len(ranked) > 1:
        second = ranked[1]
        margin = best["test_mean"] - second["test_mean"]
        spread = max(best["test_std"], second["test_std"])
        verdict = ("more than the fold-to-fold spread, so the lead is real on this data"
                   if margin > spread else
                   "within the fold-to-fold spread, so the two are effectively tied")
        out.append(f"The runner-up, {second['label']}, is {points(margin)} behind ({pct(second['test_mean'])}): "
                   f"{verdict}.")
    if len(ranked) > 2:
        worst = ranked[-1]
        out.append(f"Last is {worst['label']} at {pct(worst['test_mean'])}, "
                   f"{points(best['test_mean'] - worst['test_mean'])} below the winner.")
    out += _mlp_vs_sklearn(ranked)
    gaps = sorted(ranked, key=lambda s: -(s["train_mean"] - s["test_mean"]))
    top = gaps[0]
    out.append(f"The largest train–test gap is {top['label']}'s: {pct(top['train_mean'])} on the folds it "
               f"trained on against {pct(top['test_mean'])} on held-out folds "
               f"({points(top['train_mean'] - top['test_mean'])}).")
    fast, slow = min(ranked, key=lambda s: s["fit_mean"]), max(ranked, key=lambda s: s["fit_mean"])
    if fast is not slow:
        out.append(f"Fitting took from {fast['fit_mean']:.2f} s per fold ({fast['label']}) to "
                   f"{slow['fit_mean']:.2f} s ({slow['label']}).")
    return out


def _mlp_vs_sklearn(ranked: list[dict]) -> list[str]:
    by_label = {s["label"]: s for s in ranked}
    peer = by_label.get("sk-mlp")
    out = []
    for ours in ("mlp", "cnn"):
        if peer and ours in by_label:
            diff = by_label[ours]["test_mean"] - peer["test_mean"]
            word = "above" if diff >= 0 else "below"
            out.append(f"The NumPy {ours} is {points(abs(diff))} {word} scikit-learn's MLPClassifier "
                       f"({pct(by_label[ours]['test_mean'])} against {pct(peer['test_mean'])}).")
    return out


def sweep(result: dict) -> list[str]:
    """Sentences about one sweep: the best setting, and where test accuracy levels off."""
    stats = [summary(r) for r in result["rows"]]
    values = result["values"]
    best_i = max(range(len(stats)), key=lambda i: stats[i]["test_mean"])
    best = stats[best_i]
    out = [(f"Best test accuracy: {pct(best['test_mean'])} ± {points(best['test_std'])} at "
           f"{result['setting']} = {values[best_i]} ({result['cv']}-fold cross-validation).")]
    if result["name"] == "knn-k":
        out += _knn(stats, values)
    elif result["name"] == "width":
        out += _width(stats, values)
    else:
        out += _depth(stats, values)
    return out


def levels_off_at(stats: list[dict]) -> int:
    """The first point whose test accuracy is within the noise (the best's std, at least
    half a point) of the best: past it, the varied setting buys no more test accuracy."""
    best = max(stats, key=lambda s: s["test_mean"])
    tolerance = max(best["test_std"], 0.005)
    return next(i for i, s in enumerate(stats) if s["test_mean"] >= best["test_mean"] - tolerance)


def _width(stats, values) -> list[str]:
    plateau = levels_off_at(stats)
    fits = [i for i, s in enumerate(stats) if s["train_mean"] >= FIT]
    last = len(stats) - 1
    out = []
    if fits:
        f = fits[0]
        out.append(f"Train accuracy reaches {pct(stats[f]['train_mean'])} at width {values[f]}"
                   + (f" and {pct(stats[-1]['train_mean'])} at {values[-1]}" if f < last else "")
                   + ": the network can memorise its training folds.")
        if f < last:
            out.append(f"Over-fitting begins around width {values[f]}: from there on the network fits its "
                       f"training folds almost perfectly, with a train–test gap of {points(_gap(stats[f]))} "
                       f"at width {values[f]} and {points(_gap(stats[-1]))} at {values[-1]}, while test "
                       f"accuracy moves from {pct(stats[f]['test_mean'])} to {pct(stats[-1]['test_mean'])} "
                       f"({_signed(stats[-1]['test_mean'] - stats[f]['test_mean'])}).")
    else:
        out.append(f"Train accuracy stays below {pct(FIT)} (at most {pct(max(s['train_mean'] for s in stats))}): "
                   "these networks did not memorise the training folds.")
    if plateau < last:
        later = [s["test_mean"] for s in stats[plateau:]]
        out.append(f"Test accuracy levels off from width {values[plateau]} on (between {pct(min(later))} and "
                   f"{pct(max(later))}, within the fold-to-fold spread of the best).")
    else:
        out.append(f"Test accuracy has not quite levelled off: width {values[-1]} is still "
                   f"{points(stats[-1]['test_mean'] - stats[-2]['test_mean'])} above width {values[-2]}.")
    if plateau > 0:
        out.append(f"Width {values[0]} is too narrow: {pct(stats[0]['test_mean'])} test, "
                   f"{pct(stats[0]['train_mean'])} train (under-fitting).")
    return out


def _gap(s: dict) -> float:
    return s["train_mean"] - s["test_mean"]


def _signed(x: float) -> str:
    return f"{'+' if x >= 0 else '−'}{points(abs(x))}"


def _knn(stats, values) -> list[str]:
    first, last = stats[0], stats[-1]
    return [(f"k = {values[0]} scores {pct(first['train_mean'])} on its own training folds (each image is "
            f"its own nearest neighbour) and {pct(first['test_mean'])} on held-out folds; "
            f"k = {values[-1]} scores {pct(last['test_mean'])} held-out, "
            f"{points(abs(last['test_mean'] - first['test_mean']))} "
            f"{'lower' if last['test_mean'] < first['test_mean'] else 'higher'} than k = {values[0]}.")]


def _depth(stats, values) -> list[str]:
    ranked = sorted(range(len(stats)), key=lambda i: -stats[i]["test_mean"])
    worst = ranked[-1]
    out = [(f"Worst: {values[worst]} at {pct(stats[worst]['test_mean'])} test and "
           f"{pct(stats[worst]['train_mean'])} train.")]
    best, runner = ranked[0], ranked[1] if len(ranked) > 1 else None
    if runner is not None:
        margin = stats[best]["test_mean"] - stats[runner]["test_mean"]
        tied = margin <= max(stats[best]["test_std"], stats[runner]["test_std"])
        out.append(f"{values[best]} leads {values[runner]} by {points(margin)}"
                   + (", within the fold-to-fold spread: more layers buy little here." if tied else "."))
    return out
