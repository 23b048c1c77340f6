"""The training loop's targets: class labels, or another network's probabilities (distillation)."""

from __future__ import annotations

import numpy as np

from digitlab.nn.network import Network
from digitlab.nn.training import TrainSettings, evaluate, predict_proba, train

ARCH = {"input_shape": [6], "layers": [{"type": "dense", "units": 3}, {"type": "softmax"}]}


def _fit(targets, x):
    student = Network(ARCH, rng=np.random.default_rng(2))
    settings = TrainSettings(learning_rate_init=0.05, max_iter=60, batch_size=50)
    return student, train(student, x, targets, None, settings, np.random.default_rng(0))


def test_a_network_learns_a_teachers_probabilities_where_labels_teach_only_its_answers():
    x = np.random.default_rng(0).standard_normal((400, 6)).astype(np.float32)
    soft = predict_proba(Network(ARCH, rng=np.random.default_rng(1)), x)  # a teacher of the same shape
    assert 0.3 < soft.max(axis=1).mean() < 0.9  # unsure often enough that its probabilities say more than its answers

    student, history = _fit(soft, x)
    np.testing.assert_allclose(predict_proba(student, x), soft, atol=0.03)
    loss, accuracy = evaluate(student, x, soft, "cross_entropy")
    assert history[-1]["accuracy"] > 0.95 and accuracy > 0.95  # both against the teacher's likeliest class
    entropy = -(soft * np.log(soft)).sum(axis=1).mean()
    assert entropy < loss < entropy + 0.01  # cross-entropy against soft rows bottoms out at their entropy

    from_labels, _ = _fit(soft.argmax(axis=1), x)
    assert np.abs(predict_proba(from_labels, x) - soft).max() > 0.1  # labels alone make it surer than the teacher
