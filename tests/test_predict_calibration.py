"""Temperature scaling and ECE against hand-worked numbers and a known miscalibration."""

from __future__ import annotations

import numpy as np
import pytest

from digitlab.calibration import (
    Calibration,
    expected_calibration_error,
    fit_calibration,
    fit_temperature,
    load_calibration,
    save_calibration,
    scale_temperature,
)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_scaling_is_softmax_of_logits_over_t():
    logits = np.array([[2.0, 1.0, -1.0], [0.5, 0.5, 3.0]])
    for t in (0.5, 1.0, 2.5):
        assert np.allclose(scale_temperature(softmax(logits), t), softmax(logits / t))


def test_ece_hand_worked():
    # two predictions at 0.9 (one right, one wrong) and two at 0.6 (both right), 10 bins:
    # bin 0.9: |0.5 - 0.9| = 0.4, half the data; bin 0.6: |1.0 - 0.6| = 0.4, half -> ECE 0.4
    proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    labels = np.array([0, 1, 0, 0])
    assert expected_calibration_error(proba, labels, bins=10) == pytest.approx(0.4)
    assert expected_calibration_error(np.array([[1.0, 0.0]]), np.array([0])) == 0.0  # top bin holds 1.0


def test_fit_recovers_a_known_overconfidence():
    """Labels drawn from softmax(z); the model reports softmax(2z): T should come out near 2."""
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2.0, (20000, 10))
    true = softmax(logits)
    labels = np.array([rng.choice(10, p=p) for p in true])
    overconfident = softmax(2.0 * logits)
    assert fit_temperature(overconfident, labels) == pytest.approx(2.0, rel=0.05)
    fitted = fit_calibration(overconfident, labels, "synthetic")
    assert fitted.ece_after < 0.02 < fitted.ece_before
    # the threshold leaves 99% of held-out answers confident
    calibrated = scale_temperature(overconfident, fitted.temperature).max(axis=1)
    assert np.mean(calibrated >= fitted.unsure_below) == pytest.approx(0.99, abs=0.005) or \
        fitted.unsure_below in (0.3, 0.9)


def test_calibration_file_round_trip(tmp_path):
    original = Calibration(1.5, 0.55, 0.03, 0.01, "held out")
    save_calibration(original, tmp_path / "m.calibration.json")
    assert load_calibration(tmp_path / "m.calibration.json") == original
    assert load_calibration(tmp_path / "none.json") == Calibration()  # missing: temperature 1
