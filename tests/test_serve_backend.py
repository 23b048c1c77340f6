"""Which engine runs /api/predict's forward pass: torch when it can, numpy otherwise.

Oracles: the numpy engine's answers (the served probabilities of the two
backends agree to float32 rounding, the digit and status exactly); with torch
blocked from importing, the app still serves, from the numpy engine.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient
from test_serve_api import mnist

from digitlab.errors import DigitlabError
from digitlab.read.reader import Reader
from digitlab.serve.app import create_app


@pytest.fixture(scope="module")
def network_reader():
    try:
        return Reader.load()  # the shipped default: a numpy-engine network
    except DigitlabError:
        pytest.skip("no shipped model in this install")


def served(app, images) -> list[dict]:
    client = TestClient(app)
    answers = [client.post("/api/predict", json={"pixels": image.ravel().tolist()}) for image in images]
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    return [a.json() for a in answers]


def test_torch_and_numpy_backends_serve_the_same_probabilities(network_reader, mnist_dir):
    pytest.importorskip("torch")
    images = mnist(mnist_dir, "test")[0][:12]
    numpy_app, torch_app = (create_app(reader=network_reader, backend=b) for b in ("numpy", "torch"))
    assert (numpy_app.state.backend, torch_app.state.backend) == ("numpy", "torch")
    assert create_app(reader=network_reader).state.backend == "torch"  # auto, torch installed
    for by_numpy, by_torch in zip(served(numpy_app, images), served(torch_app, images)):
        assert (by_torch["digit"], by_torch["status"]) == (by_numpy["digit"], by_numpy["status"])
        np.testing.assert_allclose(by_torch["probabilities"], by_numpy["probabilities"], atol=1e-5)


def test_a_model_torch_cannot_run_stays_with_numpy_or_is_a_clear_error():
    pytest.importorskip("torch")
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(0)
    knn = KNeighborsClassifier(n_neighbors=1).fit(rng.random((20, 784), dtype=np.float32), np.arange(20) % 10)
    reader = Reader(knn, {"name": "knn", "input_shape": [28, 28]})
    assert create_app(reader=reader).state.backend == "numpy"
    with pytest.raises(DigitlabError, match="network models only"):
        create_app(reader=reader, backend="torch")
    with pytest.raises(DigitlabError, match="unknown backend 'gpu'"):
        create_app(reader=reader, backend="gpu")


BLOCK_TORCH = """
import sys

class BlockTorch:  # as if torch were not installed (fastapi is)
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, BlockTorch())
"""


def test_serve_works_without_torch(network_reader):
    code = textwrap.dedent("""
        from fastapi.testclient import TestClient
        from digitlab.errors import DigitlabError
        from digitlab.serve.app import create_app
        app = create_app()
        one = [0] * 784
        for row in range(6, 22):
            one[row * 28 + 13] = one[row * 28 + 14] = 255
        answer = TestClient(app).post("/api/predict", json={"pixels": one})
        print(app.state.backend, answer.status_code, answer.json()["status"] != "no digit")
        try:
            create_app(backend="torch")
        except DigitlabError as exc:
            print(exc)
        print("torch" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", BLOCK_TORCH + code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["numpy 200 True",
                                          "--backend torch needs torch: pip install 'digitlab[torch]'", "False"]


def test_torch_runs_one_thread_in_a_forked_workers_batch_thread(network_reader):
    """As `digitlab serve --workers 2` runs it: model built before the fork, called in a thread after it."""
    pytest.importorskip("torch")
    code = textwrap.dedent("""
        import os
        from concurrent.futures import ThreadPoolExecutor
        import numpy as np, torch
        from digitlab.read.reader import Reader
        from digitlab.torch_engine.inference import TorchForward
        reader = Reader.load()
        fast = TorchForward(reader.model)
        X = np.random.default_rng(0).random((3, 784), dtype=np.float32)
        torch.set_num_threads(2)  # whatever the parent had
        read, write = os.pipe()
        if os.fork() == 0:
            def forward():
                diff = np.abs(fast.predict_proba(X) - reader.model.predict_proba(X)).max()
                return f"{torch.get_num_threads()} {diff < 1e-5}"
            os.write(write, ThreadPoolExecutor(1).submit(forward).result().encode())
            os._exit(0)
        os.close(write)
        print(os.read(read, 100).decode())
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1 True"
