"""`mnist-lab20`, the learners' 5000 x 20x20 MNIST subset: area-averaged shrinking checked
against Pillow's box filter, exactly 500 per digit, seeded, built from the right images."""

from __future__ import annotations

import numpy as np
import pytest

from digitlab.data import load_dataset
from digitlab.data.lab20 import area_matrix, per_class_sample, shrink


def test_area_matrix_shares_each_output_pixel_fairly():
    A = area_matrix(28, 20)
    np.testing.assert_allclose(A.sum(axis=1), 1, rtol=1e-6)  # an average
    np.testing.assert_allclose(A.sum(axis=0), 20 / 28, rtol=1e-6)  # every input pixel counts the same
    np.testing.assert_array_equal(area_matrix(28, 28), np.eye(28))


def test_shrink_is_exact_area_averaging():
    """28 / 20 = 7 / 5: blow each pixel up to 5x5 and average 7x7 blocks, the area average by hand."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8)
    fine = images.repeat(5, axis=1).repeat(5, axis=2).astype(np.float64)  # (n, 140, 140)
    by_hand = fine.reshape(20, 20, 7, 20, 7).mean(axis=(2, 4))
    ours = shrink(images)
    assert ours.shape == (20, 20, 20) and ours.dtype == np.uint8
    assert np.abs(ours - by_hand).max() <= 0.5 + 1e-3  # rounding to whole grey levels only
    ink = np.einsum("ih,nhw,jw->nij", area_matrix(28, 20), images.astype(np.float64), area_matrix(28, 20))
    np.testing.assert_allclose(ink.sum(axis=(1, 2)) * (28 / 20) ** 2, images.sum(axis=(1, 2)), rtol=1e-5)


def test_per_class_sample_is_exact_and_seeded():
    labels = np.random.default_rng(1).integers(0, 10, size=3000)
    index = per_class_sample(labels, 50, seed=4)
    assert np.bincount(labels[index]).tolist() == [50] * 10
    assert np.all(np.diff(index) > 0)
    np.testing.assert_array_equal(index, per_class_sample(labels, 50, seed=4))
    assert not np.array_equal(index, per_class_sample(labels, 50, seed=5))


def test_lab_dataset_from_real_mnist(mnist_dir, monkeypatch):
    import digitlab.data

    seen = []  # the MNIST the lab set is built from, caught on the way (loading it twice is slow)
    monkeypatch.setattr(digitlab.data, "load_dataset", lambda *a, **k: seen.append(load_dataset(*a, **k)) or seen[-1])
    lab = load_dataset("mnist-lab20", data_dir=mnist_dir)
    [mnist] = seen
    assert mnist.name == "mnist" and len(mnist.train) == 60000
    assert lab.name == "mnist-lab20"
    assert lab.train.images.shape == (5000, 20, 20) and np.bincount(lab.train.labels).tolist() == [500] * 10
    assert lab.test.images.shape == (10000, 20, 20)
    index = per_class_sample(mnist.train.labels, 500, seed=0)
    np.testing.assert_array_equal(lab.train.images, shrink(mnist.train.images[index]))
    np.testing.assert_array_equal(lab.test.labels, mnist.test.labels)
    # shrinking keeps the ink: mean brightness within 1% of MNIST's
    assert lab.test.images.mean() == pytest.approx(mnist.test.images.mean(), rel=0.01)
