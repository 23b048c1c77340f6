"""The run report: every figure rendered and embedded, every number equal to one recomputed
from the run's predictions.npz with scikit-learn or numpy."""

import base64
import io
import json
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image
from sklearn.metrics import precision_recall_fscore_support

from digitlab.cli import main
from digitlab.evaluate.runs import train
from digitlab.report import figures, write_run_report
from digitlab.report.run_report import confident_mistakes


class Page(HTMLParser):
    """Tables (id -> rows of cell text) and figures (id -> PNG bytes) of a report."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.figures, self._table, self._row, self._cell, self._figure = {}, {}, None, None, None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""
        elif tag == "figure":
            self._figure = attrs["id"]
        elif tag == "img" and self._figure:
            head, data = attrs["src"].split(",", 1)
            assert head == "data:image/png;base64"
            self.figures[self._figure] = base64.b64decode(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "figure":
            self._figure = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def quiet(_):
    pass


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A k-NN run (no history, no weights) and a tiny numpy MLP (history and first-layer weights)."""
    root = tmp_path_factory.mktemp("runs")
    train(model="knn", runs_dir=root, run_name="knn", subsample=400, log=quiet)
    train(model="mlp", runs_dir=root, run_name="mlp", subsample=400, log=quiet,
          params={"hidden_layer_sizes": (16,), "max_iter": 3})
    return root


def predictions(run):
    with np.load(run / "predictions.npz") as p:
        return {k: p[k] for k in p.files}


@pytest.mark.parametrize("name", ["knn", "mlp"])
def test_every_figure_is_an_embedded_png(runs, name):
    page = Page((runs / name / "report.html").read_text())
    expected = {"fig-samples", "fig-balance", "fig-confusion", "fig-mistakes"}
    expected |= {"knn": set(), "mlp": {"fig-weights", "fig-curves"}}[name]
    assert set(page.figures) == expected
    for png in page.figures.values():
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.width > 200 and image.height > 100


@pytest.mark.parametrize("name", ["knn", "mlp"])
def test_report_numbers_equal_those_recomputed_from_predictions(runs, name):
    p = predictions(runs / name)
    page = Page((runs / name / "report.html").read_text())
    predicted = p["classes"][p["proba"].argmax(1)]

    confusion = np.zeros((10, 10), int)
    np.add.at(confusion, (p["labels"], predicted), 1)
    assert [[int(v) for v in row[1:]] for row in page.tables["confusion"][1:]] == confusion.tolist()

    precision, recall, f1, support = precision_recall_fscore_support(p["labels"], predicted, zero_division=0)
    shown = np.array([[float(v) for v in row[1:]] for row in page.tables["per-class"][1:]])
    np.testing.assert_allclose(shown, np.c_[precision, recall, f1, support], atol=5e-5)

    # mistakes: wrong answers, most confident first, with the top 3 classes by probability
    rows = page.tables["mistakes"][1:]
    wrong = np.flatnonzero(predicted != p["labels"])
    assert len(rows) == min(18, len(wrong))
    confidence = [p["proba"][int(r[0])].max() for r in rows]
    assert confidence == sorted(confidence, reverse=True)
    assert confidence[0] == p["proba"][wrong].max()
    for row in rows:
        i = int(row[0])
        assert predicted[i] != p["labels"][i] and int(row[1]) == p["labels"][i]
        top3 = np.argsort(-p["proba"][i], kind="stable")[:3]
        assert row[2:] == [f"{p['classes'][j]} ({p['proba'][i, j]:.4f})" for j in top3]

    test_counts = np.bincount(p["labels"], minlength=10)
    assert [int(r[2]) for r in page.tables["balance"][1:]] == test_counts.tolist()
    # the train split is reloaded from the settings: a 400-image stratified subsample
    assert sum(int(r[1]) for r in page.tables["balance"][1:]) == 400


def test_settings_speed_and_seed_are_shown(runs):
    page = Page((runs / "mlp" / "report.html").read_text())
    settings = dict(page.tables["settings"][1:])
    metrics = json.loads((runs / "mlp" / "metrics.json").read_text())
    assert settings["seed"] == "0" and settings["model"] == "mlp" and settings["subsample"] == "400"
    assert json.loads(settings["params.hidden_layer_sizes"]) == [16]
    speed = dict(page.tables["speed"][1:])
    assert speed["parameters (learned numbers)"] == f"{metrics['n_params']:,}" == f"{64 * 16 + 16 + 16 * 10 + 10:,}"


def test_confusion_figure_and_curves_hold_the_data(runs):
    p = predictions(runs / "mlp")
    matrix = np.random.default_rng(0).integers(0, 30, (10, 10))
    fig = figures.confusion_matrix(matrix, list(range(10)))
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), matrix)
    history = json.loads((runs / "mlp" / "history.json").read_text())
    loss, _ = figures.learning_curves(history).axes
    plotted = {line.get_label(): line.get_ydata() for line in loss.lines}
    np.testing.assert_allclose(plotted["train"], [h["loss"] for h in history])
    np.testing.assert_allclose(plotted["validation"], [h["val_loss"] for h in history])
    bars = figures.class_balance(list(range(10)), np.arange(10), np.bincount(p["labels"], minlength=10)).axes[0]
    heights = [b.get_height() for b in bars.patches]
    assert heights == list(range(10)) + np.bincount(p["labels"], minlength=10).tolist()


def test_confident_mistakes_hand_worked():
    proba = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.1, 0.3, 0.6], [0.05, 0.15, 0.8]])
    labels = np.array([1, 1, 0, 2])  # wrong: 0 (says 0 at 0.9) and 2 (says 2 at 0.6)
    found = confident_mistakes(labels, proba, np.array([0, 1, 2]))
    assert [m["index"] for m in found] == [0, 2]
    assert found[1]["guesses"] == [(2, 0.6), (1, 0.3), (0, 0.1)]


def test_first_layer_weights_are_the_models_own(runs):
    from digitlab.models import load_model
    from digitlab.report.weights import first_layer

    model, _ = load_model(runs / "mlp")
    kind, tiles, _ = first_layer(model, (8, 8))
    w = model.get_weights()[next(k for k in model.get_weights() if k.endswith(".weight"))]
    assert kind == "dense" and tiles.shape == (16, 8, 8)
    np.testing.assert_array_equal(tiles[3], w[:, 3].reshape(8, 8))


def test_logistic_regression_weights_are_one_template_per_class():
    from sklearn.linear_model import LogisticRegression

    from digitlab.report.weights import first_layer

    rng = np.random.default_rng(0)
    model = LogisticRegression(max_iter=50).fit(rng.random((60, 64)), np.arange(60) % 3)
    kind, tiles, titles = first_layer(model, (8, 8))
    assert kind == "templates" and titles == ["0", "1", "2"]
    np.testing.assert_array_equal(tiles[2], model.coef_[2].reshape(8, 8))
    fig = figures.weight_images(tiles, titles)
    np.testing.assert_allclose(np.nanmax(np.abs(fig.axes[0].images[0].get_array())), 1.0)  # each tile scaled


def test_report_command_rebuilds_without_retraining(runs, capsys):
    run = runs / "knn"
    before, model_time = (run / "report.html").read_text(), (run / "model.npz").stat().st_mtime_ns
    (run / "report.html").unlink()
    assert main(["report", str(run)]) == 0
    assert (run / "report.html").read_text() == before
    assert (run / "model.npz").stat().st_mtime_ns == model_time
    assert "report.html" in capsys.readouterr().out


def test_unloadable_dataset_falls_back_to_test_images_and_says_so(runs, tmp_path):
    import shutil

    run = tmp_path / "moved"
    shutil.copytree(runs / "knn", run)
    settings = json.loads((run / "settings.json").read_text())
    (run / "settings.json").write_text(json.dumps({**settings, "dataset": str(tmp_path / "gone.npz")}))
    text = write_run_report(run).read_text()
    assert "could not be reloaded" in text
    page = Page(text)
    assert [r[1] for r in page.tables["balance"][1:]] == [r[2] for r in page.tables["balance"][1:]]


def test_report_errors_are_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "no such run folder" in err[0] and "not a run folder" in err[1]
