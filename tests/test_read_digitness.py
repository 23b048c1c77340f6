"""The digit-likeness network: its NumPy forward pass, and what it tells apart."""

from __future__ import annotations

import numpy as np
import pytest

from digitlab.data import synth
from digitlab.read import negatives
from digitlab.read.digitness import ONE_DIGIT, digitness, score, threshold


def detector(torch, channels, hidden):
    """The detector's layers in PyTorch, as benchmarks/reading_digitness.py trains them."""
    nn = torch.nn
    a, b, c = channels
    return nn.Sequential(
        nn.Conv2d(1, a, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # (n, a, 14, 14)
        nn.Conv2d(a, b, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (n, b, 7, 7)
        nn.Conv2d(b, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (n, c, 3, 3)
        nn.Flatten(), nn.Linear(9 * c, hidden), nn.ReLU(), nn.Linear(hidden, 1))


def test_numpy_forward_matches_torch():
    """Oracle: the same layers in PyTorch, with random weights."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = detector(torch, (4, 6, 8), hidden=5)
    layers = [m for m in net if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    weights = {f"{name}_{part}": getattr(layer, part).detach().numpy()
               for name, layer in zip(["conv1", "conv2", "conv3", "dense1", "dense2"], layers)
               for part in ("weight", "bias")}
    inputs = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    with torch.no_grad():
        expected = torch.sigmoid(net(torch.tensor(inputs[:, None] / 255.0, dtype=torch.float32)))[:, 0].numpy()
    np.testing.assert_allclose(score(inputs, weights), expected, rtol=1e-5, atol=1e-6)


def test_digits_pass_and_pieces_or_pairs_of_digits_do_not(mnist_dir):
    """Oracle: the known kind of each input. Pieces and pairs of test digits, never seen in training."""
    images = synth.read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz")[:300]
    assert np.mean(digitness(images) >= threshold()) >= 0.97
    rng = np.random.default_rng(0)
    pairs = np.stack([negatives.pair(images[i], images[i + 1], rng) for i in range(0, 200, 2)])
    assert np.mean(digitness(pairs) < threshold()) >= 0.8
    pieces = [negatives.fragment(image, rng) for image in images[:200]]
    pieces = np.stack([p for p in pieces if p is not None])
    # many pieces are fair digits (the top of a 9 is a 0, a stroke of a 4 is a 1): 55% flagged when written
    assert len(pieces) >= 50 and np.mean(digitness(pieces) < threshold()) >= 0.45


def test_the_one_digit_detector_flags_touching_pairs(mnist_dir):
    """Oracle: the known kind of each input. Two test digits written ink to ink are not one digit;
    the line reader's detector flags most (88% when written), the "digit at all" one few (37%)."""
    images = synth.read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz")[:300]
    one_digit_threshold = threshold(ONE_DIGIT)
    assert np.mean(digitness(images, ONE_DIGIT) >= one_digit_threshold) >= 0.97
    rng = np.random.default_rng(0)
    pairs = np.stack([negatives.touching_pair(images[i], images[i + 1], rng) for i in range(0, 200, 2)])
    assert np.mean(digitness(pairs, ONE_DIGIT) < one_digit_threshold) >= 0.8


def test_no_detector_for_other_input_shapes():
    assert digitness(np.zeros((2, 8, 8), np.uint8)) is None
    assert digitness(np.zeros((2, 8, 8), np.uint8), ONE_DIGIT) is None
