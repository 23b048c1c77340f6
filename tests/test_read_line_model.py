"""The line model: CTC's maths, the numpy network against PyTorch, its input, and its second opinion."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import log_softmax

from digitlab.data.idx import read_idx
from digitlab.data.ink_lines import ink_line
from digitlab.nn.ctc import best_path, best_path_columns, sequence_logprob
from digitlab.read import line_check, line_model
from digitlab.read.line_model import HEIGHT, STRIDE, LineModel, strip_input
from digitlab.read.reader import Prediction, Reader


def collapse(path, blank):
    return [s for s, _ in itertools.groupby(path) if s != blank]


@settings(max_examples=60, deadline=None)
@given(t=st.integers(1, 5), labels=st.lists(st.integers(0, 2), max_size=3), seed=st.integers(0, 2**31))
def test_sequence_logprob_sums_every_alignment(t, labels, seed):
    logp = log_softmax(np.random.default_rng(seed).normal(0, 2, (t, 4)), axis=1)  # labels 0-2, blank 3
    total = sum(np.exp(logp[np.arange(t), list(path)].sum())
                for path in itertools.product(range(4), repeat=t) if collapse(path, 3) == labels)
    assert np.exp(sequence_logprob(logp, labels, blank=3)) == pytest.approx(total, abs=1e-12)


def test_sequence_logprob_is_torch_ctc_loss():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    logp = log_softmax(rng.normal(0, 2, (30, 11)), axis=1)
    for labels in ([3], [1, 1], [0, 4, 4, 9, 2], [7] * 6):
        expected = -torch.nn.functional.ctc_loss(torch.tensor(logp)[:, None], torch.tensor([labels]), [30],
                                                 [len(labels)], blank=10, reduction="sum").item()
        assert sequence_logprob(logp, labels, blank=10) == pytest.approx(expected, rel=1e-9)


def test_best_path_collapses_repeats_and_drops_blanks():
    path = [1, 1, 3, 2, 3, 3, 2, 0]  # "1 1 _ 2 _ _ 2 0", blank 3
    logp = np.log(np.full((len(path), 4), 0.1))
    logp[np.arange(len(path)), path] = np.log(0.7)
    logp[1, 1] = np.log(0.8)  # the first "1" is surest in its second column
    assert best_path(logp, blank=3) == [1, 2, 2, 0]
    assert best_path_columns(logp, blank=3) == [1, 3, 6, 7]


def torch_line_net(torch):
    """The network of line_model.py's docstring, written again in PyTorch."""
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.convs = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                       nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                       nn.Conv2d(64, 96, 3, padding=1), nn.ReLU())
            self.column, self.context, self.out = nn.Linear(768, 128), nn.Conv1d(128, 128, 5, padding=2), nn.Linear(128, 11)

        def forward(self, x):
            f = self.convs(x)
            f = torch.relu(self.column(f.permute(0, 3, 1, 2).flatten(2)))
            return self.out(torch.relu(self.context(f.transpose(1, 2))).transpose(1, 2)).log_softmax(-1)

    return Net()


def test_numpy_forward_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch_line_net(torch)
    model = LineModel({name: value.numpy() for name, value in net.state_dict().items()})
    x = np.random.default_rng(1).random((HEIGHT, 76)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)[None, None])[0].numpy()
    got = model.log_probs(x)
    assert got.shape == (76 // STRIDE, 11)
    np.testing.assert_allclose(got, expected, atol=1e-4)


@settings(max_examples=60, deadline=None)
@given(h=st.integers(8, 80), left=st.integers(0, 50), gap=st.integers(10, 150), level=st.floats(0.05, 1.0))
def test_strip_input_is_28_px_of_ink_and_maps_columns_back(h, left, gap, level):
    strokes = (left, left + gap)
    ink = np.zeros((h, left + gap + 5), np.float32)
    ink[h // 4: h - h // 4, list(strokes)] = level  # two vertical strokes, any brightness
    strip = strip_input(ink)
    assert strip.input.shape[0] == HEIGHT and strip.input.dtype == np.float32
    assert not strip.input[:2].any() and not strip.input[-2:].any()  # 28 px of ink, 2 px above and below
    np.testing.assert_allclose(strip_input(ink / level).input, strip.input, atol=1e-6)  # faint ink reads as dark
    assert strip.scale == pytest.approx(28 / (h - 2 * (h // 4)))  # regression: it was read off the resized crop
    for stroke in strokes:
        px = 4 + (stroke - strip.x0 + 0.5) * strip.scale  # where the stroke's centre lands in the strip
        assert strip.input[:, int(px) - 1:int(px) + 2].max() > 0.5  # and does (to a pixel: widths are rounded)
        assert strip.ink_x((px - STRIDE / 2) / STRIDE) == pytest.approx(stroke + 0.5, abs=1e-6)  # and maps back


def test_blank_ink_gives_an_empty_strip():
    strip = strip_input(np.zeros((20, 30), np.float32))
    assert strip.input.shape[0] == HEIGHT and not strip.input.any()


@pytest.fixture(scope="module")
def mnist_test(mnist_dir):
    return read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz"), read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz")


def test_the_shipped_line_model_reads_lines_it_was_not_trained_on(mnist_test):
    images, labels = mnist_test
    model, rng, right = line_model.shipped(), np.random.default_rng(0), 0
    assert model is not None
    for _ in range(40):
        pick = rng.choice(len(images), int(rng.integers(2, 7)), replace=False)
        right += best_path(model.log_probs(strip_input(ink_line(images[pick], rng)).input), 10) == list(labels[pick])
    assert right >= 30  # 34 of these 40: MNIST test digits, drawn as hard as training's (overlapping, faint)


def prediction(digit, probabilities):
    return Prediction(digit, "ok", probabilities[digit], probabilities, np.zeros((28, 28), np.uint8), [])


def test_a_digit_the_two_models_disagree_on_is_unsure():
    class Classes:
        @staticmethod
        def label_index(labels):
            return np.asarray(labels)

    probabilities = [0.0] * 10
    probabilities[1], probabilities[7] = 0.7, 0.3
    agreed = line_check._as_read(prediction(1, list(probabilities)), 1, Classes)
    assert (agreed.digit, agreed.status, agreed.warnings) == (1, "ok", [])
    overruled = line_check._as_read(prediction(1, list(probabilities)), 7, Classes)
    assert (overruled.digit, overruled.status, overruled.probability) == (7, "unsure", 0.3)
    assert overruled.warnings == ["the line model reads 7 here, the digit model 1"]


@pytest.fixture(scope="module")
def default_reader():
    return Reader.load()


def overlapping_line(images, indices):
    """Dark digits on white, each drawn 9 px into its neighbour (the cuts' hardest case), at twice MNIST's
    size; and each digit's columns (x0, x1) in the picture."""
    crops = [images[i][:, np.flatnonzero(images[i].max(axis=0))] for i in indices]
    canvas = np.zeros((48, 20 + sum(c.shape[1] - 9 for c in crops) + 9 + 20))
    x, spans = 20, []
    for crop in crops:
        region = canvas[10:38, x: x + crop.shape[1]]
        np.maximum(region, crop, out=region)
        spans.append((2 * x, 2 * (x + crop.shape[1])))
        x += crop.shape[1] - 9
    return np.kron(255 - canvas, np.ones((2, 2))).astype(np.uint8), spans


def test_the_line_model_overrules_cuts_it_finds_unlikely(default_reader, mnist_test):
    images, labels = mnist_test
    indices = [152, 80, 92, 189]  # "5791" drawn into each other: the cuts alone read "57"
    truth = "".join(str(labels[i]) for i in indices)
    picture, spans = overlapping_line(images, indices)
    alone = default_reader.read_number(picture, line_model=False)
    checked = default_reader.read_number(picture)
    assert alone.text != truth
    assert checked.text == truth
    for digit, (x0, x1) in zip(checked.digits, spans):  # each cut piece is centred on its own digit
        assert x0 < (digit.box[0] + digit.box[2]) / 2 < x1


def test_without_the_line_model_the_cuts_stand(default_reader, mnist_test, monkeypatch):
    images, _ = mnist_test
    picture, _ = overlapping_line(images, [152, 80, 92, 189])
    alone = default_reader.read_number(picture, line_model=False).text
    monkeypatch.setattr(line_model, "shipped", lambda: None)
    assert default_reader.read_number(picture).text == alone
