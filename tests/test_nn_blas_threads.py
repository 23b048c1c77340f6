"""The training loop runs with one BLAS thread (a batch's products are too small to share, and beside
other jobs a thread pool stalls every product), restores the caller's setting, and learns the same weights."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from digitlab.nn import architecture as A
from digitlab.nn import training
from digitlab.nn.network import Network

# 784 inputs and batch 128: the first layer's products are large enough for OpenBLAS to split them
# over threads when it may (its cut-off is m n k > 262,144), so the limit changes what BLAS does
ARCH = A.mlp((128, 64), "relu")


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def train_recording(blas, monkeypatch) -> tuple[np.ndarray, list[int]]:
    """Weights after one epoch on 512 random images (seed 0), and the BLAS threads seen at the first loss."""
    seen = []

    def loss_function(loss, head, _original=training.loss_function):
        fn, fused = _original(loss, head)

        def recording(out, target):
            if not seen:
                seen.extend(blas_threads())
            return fn(out, target)
        return recording, fused

    monkeypatch.setattr(training, "loss_function", loss_function)
    rng = np.random.default_rng(0)
    X = rng.random((512, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 512)
    net = Network(ARCH, rng=np.random.default_rng(0))
    settings = training.TrainSettings(max_iter=1, batch_size=128, blas_threads=blas)
    training.train(net, X, y, None, settings, np.random.default_rng(0))
    return net.params.copy(), seen


def test_training_limits_blas_to_one_thread_and_restores_the_callers_setting(monkeypatch):
    if not blas_threads():
        pytest.skip("threadpoolctl finds no BLAS library")
    with threadpool_limits(limits=2, user_api="blas"):  # as OpenBLAS's default on a 2-core machine
        outside = blas_threads()
        _, inside = train_recording(1, monkeypatch)
        assert set(inside) == {1}
        assert blas_threads() == outside
        _, untouched = train_recording(None, monkeypatch)  # None leaves BLAS as the caller set it
        assert untouched == outside


def test_one_blas_thread_learns_the_same_weights(monkeypatch):
    with threadpool_limits(limits=2, user_api="blas"):
        limited, _ = train_recording(1, monkeypatch)
        free, _ = train_recording(None, monkeypatch)
    # only the summation order inside BLAS may differ: float32 rounding over 4 Adam steps
    np.testing.assert_allclose(limited, free, rtol=1e-4, atol=1e-6)
