"""In a notebook, a run, a comparison, a prediction and a reading show themselves as HTML
(`_repr_html_`): the numbers in it are the result's own, its text is escaped, and the picture
is exactly the model's input."""

import base64
import io
import json
import re
from html.parser import HTMLParser

import numpy as np
from PIL import Image

from digitlab.evaluate.compare import summary
from digitlab.evaluate.comparison import run_comparison
from digitlab.evaluate.results import ComparisonResult
from digitlab.evaluate.runs import train
from digitlab.read.reader import Prediction
from digitlab.read.segment import Reading


class Page(HTMLParser):
    """Cell texts, image sources and tags of a piece of HTML; fails on nothing, records all."""

    def __init__(self, text):
        super().__init__()
        self.cells, self.images, self.tags, self._cell = [], [], [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("td", "th"):
            self._cell = ""
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def test_a_comparison_shows_its_own_numbers_and_stays_json():
    result = run_comparison(models="knn,logreg", sweeps=["knn-k"], cv=2, subsample=100, n_jobs=1)
    assert isinstance(result, ComparisonResult)
    page = Page(result._repr_html_())
    for row in result["models"] + result["sweeps"][0]["rows"]:
        s = summary(row)
        label = page.cells.index(row["label"])
        assert page.cells[label + 1] == f"{s['test_mean']:.4f} ± {s['test_std']:.4f}"
        assert page.cells[label + 2] == f"{s['train_mean']:.4f} ± {s['train_std']:.4f}"
    assert json.loads(json.dumps(result)) == json.loads(json.dumps(dict(result)))


def test_text_is_escaped():
    row = {"label": "<script>alert(1)</script>", "test_accuracy": [1.0], "train_accuracy": [1.0],
           "fit_seconds": [0.1], "predict_seconds": [0.1], "test_sizes": [5], "n_params": None}
    settings = {"dataset": "<b>x</b>", "n_images": 5, "cv": 2, "seed": 0, "n_jobs_text": "here",
                "wall_seconds": 1.0}
    html = ComparisonResult(settings=settings, models=[row], sweeps=[])._repr_html_()
    assert "<script>" not in html and "<b>x</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    reading = Reading("7", [Prediction(7, "unsure", 0.4, [0.0] * 10, np.zeros((28, 28), np.uint8),
                                       warnings=["<img src=x onerror=alert(1)>"], box=(1, 2, 3, 4))],
                      ["digit 1 (7) is unsure"])
    page = Page(reading._repr_html_())
    assert page.tags.count("img") == 1  # the picture; the warning's <img> is text


def test_a_run_shows_its_metrics(tmp_path):
    result = train(model="logreg", subsample=200, runs_dir=tmp_path, run_name="r", log=lambda m: None)
    page = Page(result._repr_html_())
    cells = dict(zip(page.cells[::2], page.cells[1::2]))
    assert cells["test accuracy"] == f"{result['metrics']['test']['accuracy']:.4f}"
    assert cells["run folder"] == str(tmp_path / "r")


def test_a_prediction_shows_exactly_what_the_model_saw():
    pixels = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    probs = [0.01] * 10
    probs[3] = 0.91
    html = Prediction(3, "ok", 0.91, probs, pixels)._repr_html_()
    page = Page(html)
    data = re.match(r"data:image/png;base64,(.*)", page.images[0]).group(1)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(base64.b64decode(data)))), pixels)
    assert ">3<" in html and "ok (91.0%)" in html and "3: 91.0%" in html
