"""Shared fixtures: where real MNIST lives, scikit-learn's digits as features, and the opt-in switch for slow tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(os.environ.get("DIGITLAB_TEST_MNIST", REPO.parent / "shared" / "data" / "mnist"))


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="also run long training tests")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The four MNIST IDX files from ../shared/data/mnist (skips when absent)."""
    if not (MNIST_DIR / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"real MNIST not found at {MNIST_DIR}")
    return MNIST_DIR


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8x8 digits as (X_train, y_train, X_test, y_test), features scaled to [0, 1]."""
    from digitlab.data import load_dataset, to_features

    data = load_dataset("digits")
    return (to_features(data.train.images), data.train.labels,
            to_features(data.test.images), data.test.labels)


@pytest.fixture(scope="module")
def torch_one_thread():
    """One torch thread while a module runs: the test machine's two cores are shared, and more threads thrash."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
