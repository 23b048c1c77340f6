"""Model comparison: the cross-validated numbers equal a hand-written fold loop, the table,
report and conclusions show exactly those numbers, and bad input is a one-line error."""

import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from digitlab.cli import main
from digitlab.errors import DigitlabError
from digitlab.evaluate import conclusions
from digitlab.evaluate.compare import (
    Candidate,
    cross_validate_candidates,
    load_cv_data,
    parse_models,
    summary,
)
from digitlab.models import make_model


class Tables(HTMLParser):
    """id -> rows of cell text, and the ids of every <figure>."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.figures, self._rows, self._row, self._cell = {}, set(), None, None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._rows = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._rows is not None:
            self._row = []
            self._rows.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""
        elif tag == "figure":
            self.figures.add(attrs["id"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "table":
            self._rows = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


@pytest.fixture(scope="module")
def data():
    X, y, _ = load_cv_data("digits", subsample=300, seed=0)
    return X, y


def test_scores_equal_a_hand_written_fold_loop(data):
    X, y = data
    candidates = [Candidate("knn", "knn", {"n_neighbors": 3, "weights": "uniform"}), Candidate("logreg", "logreg")]
    rows = cross_validate_candidates(candidates, X, y, cv=3, seed=1, n_jobs=1)
    folds = StratifiedKFold(3, shuffle=True, random_state=1)
    for candidate, row in zip(candidates, rows):
        model = make_model(candidate.model, **candidate.params)
        test, train = [], []
        for fit, held in folds.split(X, y):
            fitted = clone(model).fit(X[fit], y[fit])
            test.append(np.mean(fitted.predict(X[held]) == y[held]))
            train.append(np.mean(fitted.predict(X[fit]) == y[fit]))
        np.testing.assert_allclose(row["test_accuracy"], test)
        np.testing.assert_allclose(row["train_accuracy"], train)
        assert row["test_sizes"] == [100, 100, 100]
    assert rows[0]["n_params"] == 200 * 64  # k-NN stores its training pixels
    assert rows[1]["n_params"] == 64 * 10 + 10
    s = summary(rows[1])
    assert s["test_mean"] == pytest.approx(np.mean(rows[1]["test_accuracy"]))
    assert s["test_std"] == pytest.approx(np.std(rows[1]["test_accuracy"]))


def test_parallel_folds_give_the_same_scores(data):
    X, y = data
    one = cross_validate_candidates([Candidate("logreg", "logreg")], X, y, cv=3, n_jobs=1)
    two = cross_validate_candidates([Candidate("logreg", "logreg")], X, y, cv=3, n_jobs=2)
    assert one[0]["test_accuracy"] == two[0]["test_accuracy"]


def test_compare_cli_table_report_and_conclusions_agree(tmp_path, capsys):
    out = tmp_path / "c.html"
    assert main(["compare", "--models", "knn,logreg", "--cv", "3", "--subsample", "300", "--n-jobs", "1",
                 "--json", "-o", str(out)]) == 0
    result = json.loads(capsys.readouterr().out)
    rows = {r["label"]: summary(r) for r in result["models"]}
    page = Tables(out.read_text())
    shown = {r[0]: r for r in page.tables["models"][1:]}
    for label, s in rows.items():
        assert shown[label][1:5] == [f"{s['test_mean']:.4f}", f"{s['test_std']:.4f}",
                                     f"{s['train_mean']:.4f}", f"{s['train_std']:.4f}"]
    best = max(rows, key=lambda k: rows[k]["test_mean"])
    assert page.tables["models"][1][0] == best  # best first
    assert {"fig-models", "fig-times"} <= page.figures
    first = result["conclusions"]["models"][0]
    assert first.startswith(best) and f"{100 * rows[best]['test_mean']:.2f}%" in first
    assert result["settings"]["n_images"] == 300 and result["settings"]["cv"] == 3


def test_conclusions_hand_worked():
    def row(label, test, train, fit=1.0):
        return {"label": label, "test_accuracy": test, "train_accuracy": train, "fit_seconds": [fit] * len(test),
                "predict_seconds": [0.1] * len(test), "test_sizes": [10] * len(test), "n_params": 1}

    rows = [row("a", [0.90, 0.92], [1.0, 1.0], 0.5), row("b", [0.95, 0.97], [0.96, 0.98], 2.0),
            row("sk-mlp", [0.80, 0.80], [0.8, 0.8]), row("mlp", [0.85, 0.87], [0.9, 0.9])]
    text = conclusions.models(rows)
    assert text[0] == "b scored best: 96.00% ± 1.00 points mean test accuracy over 2 folds."
    assert "a, is 5.00 points behind (91.00%)" in text[1] and "lead is real" in text[1]
    assert "NumPy mlp is 6.00 points above scikit-learn's MLPClassifier (86.00% against 80.00%)" in " ".join(text)
    assert any("largest train–test gap is a's" in t and "9.00 points" in t for t in text)


def test_width_conclusion_finds_where_test_accuracy_levels_off():
    def row(test, train):
        return {"label": "", "test_accuracy": [test] * 2, "train_accuracy": [train] * 2, "fit_seconds": [1, 1],
                "predict_seconds": [1, 1], "test_sizes": [1, 1], "n_params": 1}

    tests, trains = [0.80, 0.90, 0.95, 0.957, 0.96, 0.958], [0.85, 0.95, 0.99, 0.996, 1.0, 1.0]
    result = {"name": "width", "setting": "hidden units", "cv": 4, "values": ["8", "16", "32", "64", "128", "256"],
              "rows": [row(a, b) for a, b in zip(tests, trains)]}
    text = " ".join(conclusions.sweep(result))
    assert "Best test accuracy: 96.00% ± 0.00 points at hidden units = 128" in text
    assert "reaches 99.60% at width 64 and 100.00% at 256" in text
    assert ("Over-fitting begins around width 64: from there on the network fits its training folds almost "
            "perfectly, with a train–test gap of 3.90 points at width 64 and 4.20 points at 256, while test "
            "accuracy moves from 95.70% to 95.80% (+0.10 points).") in text
    # within half a point of the best 96.0: 95.7 at 64 is the first
    assert "levels off from width 64 on (between 95.70% and 96.00%" in text
    assert "Width 8 is too narrow: 80.00% test, 85.00% train" in text

    rising = {**result, "rows": [row(a, b) for a, b in zip([0.8, 0.9, 0.93, 0.95, 0.96, 0.975], trains)]}
    assert "has not quite levelled off: width 256 is still 1.50 points above width 128" in " ".join(
        conclusions.sweep(rising))


@pytest.mark.parametrize("argv, message", [
    (["--cv", "1"], "at least 2 folds"),
    (["--models", "knn,nope"], "unknown model(s) nope"),
    (["--sweep", "height"], "unknown sweep(s) height"),
    (["--subsample", "30", "--cv", "5"], "smallest class has only 3 images"),
    (["--models", "knn", "--param", "knn.bogus=1"], "does not take bogus"),
    (["--models", "knn", "--param", "svm.C=1"], "svm is not among the compared models"),
    (["--dataset", "no/such.npz"], "no/such.npz"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "c.html"
    assert main(["compare", "--models", "knn", *argv, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_parse_models_applies_comparison_settings_and_overrides():
    mlp, knn = parse_models("mlp,knn", params={"mlp": {"max_iter": 3}})
    assert mlp.params["max_iter"] == 3 and mlp.params["batch_size"] == 32 and knn.params == {}
    with pytest.raises(DigitlabError, match=re.escape("--models: give at least one")):
        parse_models(" , ")


def test_comparison_figures_plot_the_table_numbers():
    from digitlab.report import compare_figures

    stats = [{"label": f"m{i}", "test_mean": t, "test_std": 0.01, "train_mean": min(1.0, t + 0.02),
              "train_std": 0.0, "fit_mean": 0.1 * (i + 1), "predict_mean": 0.01, "n_params": 10}
             for i, t in enumerate([0.91, 0.97, 0.94])]
    ax = compare_figures.model_accuracy(stats).axes[0]
    bars = sorted((p.get_y(), p.get_width()) for p in ax.patches)
    np.testing.assert_allclose([w for _, w in bars], [91, 94, 97])  # sorted: worst at the bottom
    assert [t.get_text() for t in ax.get_yticklabels()] == ["m0", "m2", "m1"]
    curve = compare_figures.sweep_curve(stats, ["a", "b", "c"], "k", "t").axes[0]
    train, test = (line.get_ydata() for line in curve.lines)
    np.testing.assert_allclose(test, [91, 97, 94])
    np.testing.assert_allclose(train, [93, 99, 96])
