"""`digitlab serve` as a user runs it: a real process, a real port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
from test_serve_api import mnist

from digitlab.models.modelfile import save_model
from digitlab.models.registry import make_model


@pytest.fixture(scope="module")
def model_file(mnist_dir, tmp_path_factory):
    images, labels = mnist(mnist_dir, "train")
    X = images[:2000].reshape(2000, -1).astype(np.float32) / 255
    model = make_model("knn", n_neighbors=5, n_jobs=1).fit(X, labels[:2000])
    return save_model(model, tmp_path_factory.mktemp("serve") / "knn.npz",
                      {"name": "cli-knn", "input_shape": [28, 28]})


def digitlab(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "digitlab", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def test_serve_prints_its_address_and_answers(model_file):
    server = digitlab("serve", "--model", str(model_file), "--port", "0")
    try:
        line = server.stdout.readline()
        assert line.startswith("digitlab: serving on http://127.0.0.1:"), line + server.stderr.read()
        url = line.split()[3]
        with urllib.request.urlopen(f"{url}/api/health", timeout=30) as answer:
            assert json.load(answer) == {"status": "ok", "model": "cli-knn"}
        with urllib.request.urlopen(f"{url}/api/models", timeout=30) as answer:
            assert json.load(answer)["active"]["source"] == str(model_file)
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C: uvicorn shuts down cleanly
        assert server.wait(timeout=30) == 0
        assert server.stdout.read() == "digitlab: stopped\n"
        assert "Traceback" not in server.stderr.read()


def test_missing_model_is_one_line_exit_2(tmp_path):
    result = digitlab("serve", "--model", str(tmp_path / "nope.npz"))
    out, err = result.communicate(timeout=60)
    assert result.returncode == 2 and err.count("\n") == 1 and "nope.npz" in err and out == ""


def test_busy_port_is_one_line_exit_2(model_file):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = digitlab("serve", "--model", str(model_file), "--port", str(port),
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
        _, err = result.communicate(timeout=60)
    assert result.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in err
    assert err.count("\n") == 1, err
