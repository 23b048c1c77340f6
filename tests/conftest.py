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


@pytest.fixture
def cli_error(capsys):
    """`cli_error(argv)` runs `digitlab ARGV` in this process and checks it is a user error as README promises:
    exit status 2, exactly one line on stderr naming the error, no traceback. Returns that line.

    In-process (not a subprocess per case), so a corpus of hundreds of bad inputs stays fast.
    """
    from digitlab.cli import main

    def run(argv) -> str:
        capsys.readouterr()
        try:
            status = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse's usage errors
            status = exc.code
        out, err = capsys.readouterr()
        lines = err.strip().splitlines()
        assert status == 2, f"exit {status}; stdout {out[-500:]!r}; stderr {err[-500:]!r}"
        assert len(lines) == 1 and ": error: " in lines[0], f"stderr is not one error line: {err!r}"
        assert "Traceback" not in err
        return lines[0]

    return run


@pytest.fixture(scope="session")
def tiny_model_file(tmp_path_factory) -> Path:
    """A small numpy MLP fitted on 8x8 digits, saved as a model file (for commands that take --model)."""
    from digitlab.data import load_dataset, to_features
    from digitlab.models import save_model
    from digitlab.nn.estimators import MLPClassifier

    data = load_dataset("digits")
    model = MLPClassifier((16,), max_iter=30, random_state=0).fit(to_features(data.train.images), data.train.labels)
    path = tmp_path_factory.mktemp("tiny-model") / "tiny.npz"
    save_model(model, path, info={"input_shape": [8, 8], "classes": list(range(10)), "dataset": "digits"})
    return path


@pytest.fixture(scope="session")
def digit_png(tmp_path_factory) -> Path:
    """A picture of one handwritten digit (an MNIST-like 7 drawn as black ink on white)."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (56, 56), 255)
    ImageDraw.Draw(image).line([(12, 10), (44, 10), (24, 48)], fill=0, width=5)
    path = tmp_path_factory.mktemp("digit") / "seven.png"
    image.save(path)
    return path
