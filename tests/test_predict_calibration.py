"""Temperature scaling and ECE against hand-worked numbers and a known miscalibration."""

from __future__ import annotations

import numpy as np
import pytest

from digitlab.errors import DigitlabError
from digitlab.read.calibration import (
    Calibration,
    calibration_beside,
    digit_score,
    expected_calibration_error,
    fit_calibration,
    fit_reject_rule,
    fit_temperature,
    load_calibration,
    load_validation,
    recalibrate,
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


def test_digit_score_hand_worked():
    # likeness 0.5 -> logit 0; likeness 0.9 -> log 9; max probabilities 0.5 and 1.0
    proba = np.array([[0.5, 0.3, 0.2], [1.0, 0.0, 0.0]])
    score = digit_score(np.array([0.5, 0.9]), proba, weight=2.0)
    assert score == pytest.approx([2 * np.log(0.5), np.log(9.0)])
    assert np.isfinite(digit_score(np.array([0.0, 1.0]), np.array([[0.0, 0.0], [1.0, 0.0]]), 1.0)).all()


def test_reject_rule_keeps_its_share_of_digits_and_picks_the_useful_weight():
    """Others look like digits but the model cannot read them: only a weight > 0 rejects them."""
    rng = np.random.default_rng(0)
    sure, spread = np.tile([0.99] + [0.01 / 9] * 9, (400, 1)), np.full((200, 10), 0.1)
    digits = (rng.uniform(0.6, 1.0, 400), sure)
    others = (rng.uniform(0.6, 1.0, 200), spread)
    weight, below, rejected = fit_reject_rule(digits, others, keep=0.95, weights=(0.0, 10.0))
    assert weight == 10.0 and rejected == 1.0
    assert np.mean(digit_score(*digits, weight) >= below) == pytest.approx(0.95, abs=0.01)


def test_confident_uses_the_digit_score_when_fitted():
    raw = np.array([[0.9, 0.1], [0.6, 0.4]])
    likeness = np.array([0.5, 0.99])
    fitted = Calibration(unsure_below=0.5, reject_weight=1.0, reject_below=-0.5)
    assert list(fitted.confident(raw, likeness)) == list(digit_score(likeness, raw, 1.0) >= -0.5) == [True, True]
    # without a fitted score: calibrated probability and digit-likeness must each pass their own line
    assert list(Calibration(unsure_below=0.7).confident(raw, likeness, likeness_below=0.6)) == [False, False]
    assert list(Calibration(unsure_below=0.7).confident(raw, None)) == [True, False]  # no detector (8x8)


def test_reject_rule_round_trips_and_bad_validation_files_are_clear_errors(tmp_path):
    original = Calibration(0.5, 0.9, reject_weight=4.0, reject_below=-2.25, reject_held_out="val")
    save_calibration(original, tmp_path / "m.calibration.json")
    assert load_calibration(tmp_path / "m.calibration.json") == original
    np.savez(tmp_path / "v.npz", digits=np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(DigitlabError, match="others"):
        load_validation(tmp_path / "v.npz")
    np.savez(tmp_path / "v.npz", digits=np.zeros((3, 28, 28)), others=np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(DigitlabError, match="uint8"):
        load_validation(tmp_path / "v.npz")
    (tmp_path / "t.npz").write_bytes(b"not a zip")
    with pytest.raises(DigitlabError, match="not a validation file"):
        load_validation(tmp_path / "t.npz")


def test_a_fine_tuned_copy_keeps_the_originals_share_of_digits_confident():
    """A copy sharper than the original would let more through as "ok" at the old threshold: it moves up."""
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 10, 2000)
    logits = rng.normal(0, 1, (2000, 10)) + 3 * np.eye(10)[labels]
    before, after = softmax(logits), softmax(2 * logits)  # the copy: same answers, more sure of them
    likeness = rng.uniform(0.3, 1.0, 2000)
    base = Calibration(0.5, 0.9, reject_weight=3.0, reject_below=-1.0, reject_held_out="val")
    copy = recalibrate(base, before, after, labels, likeness, "held-out digits")
    kept_before = np.mean(digit_score(likeness, before, 3.0) >= -1.0)
    assert np.mean(copy.confident(after, likeness)) == pytest.approx(kept_before, abs=0.002)
    assert copy.reject_weight == 3.0 and copy.reject_below > base.reject_below
    assert copy.temperature > 1.5 * fit_temperature(before, labels)  # twice the logits: about twice the T
    assert "held-out digits" in copy.reject_held_out and copy.held_out == "held-out digits"
    # an original without a digit score, or no digit-likeness: temperature and "unsure" line alone
    assert recalibrate(Calibration(), before, after, labels, likeness, "h").reject_below is None
    assert recalibrate(base, before, after, labels, None, "h").reject_below is None


def test_a_model_files_calibration_lives_beside_it_and_a_run_folders_inside_it(tmp_path):
    """Regression: `calibrate --model RUN_FOLDER` wrote RUN_FOLDER.calibration.json, which the reader never read."""
    (tmp_path / "run").mkdir()
    assert calibration_beside(tmp_path / "run") == tmp_path / "run" / "model.calibration.json"
    assert calibration_beside(tmp_path / "mine.npz") == tmp_path / "mine.calibration.json"
