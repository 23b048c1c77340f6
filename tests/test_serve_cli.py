"""`digitlab serve` as a user runs it: a real process, a real port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
from test_serve_api import mnist

from digitlab.models.modelfile import save_model
from digitlab.models.registry import make_model

SCRATCH = tempfile.mkdtemp(prefix="digitlab-serve-cli-")


@pytest.fixture(scope="module")
def model_file(mnist_dir, tmp_path_factory):
    images, labels = mnist(mnist_dir, "train")
    X = images[:2000].reshape(2000, -1).astype(np.float32) / 255
    model = make_model("knn", n_neighbors=5, n_jobs=1).fit(X, labels[:2000])
    return save_model(model, tmp_path_factory.mktemp("serve") / "knn.npz",
                      {"name": "cli-knn", "input_shape": [28, 28]})


def digitlab(*args, **kwargs):
    # the corrections database defaults to $DIGITLAB_DATA: a scratch folder here, never the user's
    kwargs["env"] = {**kwargs.get("env", os.environ), "DIGITLAB_DATA": SCRATCH}
    return subprocess.Popen([sys.executable, "-m", "digitlab", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def test_serve_prints_its_address_and_answers(model_file, tmp_path):
    server = digitlab("serve", "--model", str(model_file), "--port", "0", "--db", str(tmp_path / "c.db"))
    try:
        line = server.stdout.readline()
        assert line.startswith("digitlab: serving on http://127.0.0.1:"), line + server.stderr.read()
        url = line.split()[3]
        with urllib.request.urlopen(f"{url}/api/health", timeout=30) as answer:
            assert json.load(answer) == {"status": "ok", "model": "cli-knn", "corrections": "open"}
        with urllib.request.urlopen(f"{url}/api/models", timeout=30) as answer:
            assert json.load(answer)["active"]["source"] == str(model_file)
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C: uvicorn shuts down cleanly
        assert server.wait(timeout=30) == 0
        assert server.stdout.read() == f"digitlab: corrections kept in {tmp_path / 'c.db'}\ndigitlab: stopped\n"
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


def children_of(pid: int) -> list[int]:
    return [int(c) for path in Path(f"/proc/{pid}/task").glob("*/children") for c in path.read_text().split()]


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc to see the worker")
# SIGTERM: uvicorn re-raises it after its clean shutdown, and the CLI turns that into exit 143
# (128 + SIGTERM, as a shell reports a process it ended), stopping the worker on the way out
@pytest.mark.parametrize("stop, code", [(signal.SIGINT, 0), (signal.SIGTERM, 128 + signal.SIGTERM)])
def test_two_workers_answer_and_stop_together(model_file, mnist_dir, stop, code):
    server = digitlab("serve", "--model", str(model_file), "--port", "0", "--workers", "2")
    try:
        line = server.stdout.readline()
        url = line.split()[3]
        deadline = time.monotonic() + 30
        while not children_of(server.pid) and time.monotonic() < deadline:  # forks after printing
            time.sleep(0.05)
        (worker,) = children_of(server.pid)
        image = mnist(mnist_dir, "test")[0][0]
        body = json.dumps({"pixels": image.ravel().tolist()}).encode()
        for _ in range(6):  # a new connection each time: either process may take it
            ask = urllib.request.Request(f"{url}/api/predict", body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(ask, timeout=30) as answer:
                assert json.load(answer)["digit"] == 7  # the first MNIST test digit
    finally:
        server.send_signal(stop)  # to the first process only, as a supervisor would
        assert server.wait(timeout=30) == code
        assert "Traceback" not in server.stderr.read()
    time.sleep(1)  # the worker's own clean shutdown
    assert not Path(f"/proc/{worker}").exists() or "Z" in Path(f"/proc/{worker}/stat").read_text().split()[2]


def test_connections_are_sent_without_nagle_delay():
    """Regression: the listening socket said proto 0, so asyncio (uvicorn without uvloop) left Nagle on
    and each answer's body waited ~40 ms for the client's delayed ACK (p50 60 ms at 4 clients)."""
    import asyncio

    from digitlab.cli.serve import _listen

    sock = _listen("127.0.0.1", 0)

    async def accepted_nodelay():
        seen = asyncio.get_running_loop().create_future()

        class Record(asyncio.Protocol):
            def connection_made(self, transport):
                option = transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                seen.set_result(option)
                transport.close()

        server = await asyncio.get_running_loop().create_server(Record, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
            option = await asyncio.wait_for(seen, 10)
            writer.close()
            return option

    assert asyncio.run(accepted_nodelay()) != 0


def test_off_loopback_corrections_need_the_printed_token(model_file, tmp_path):
    import urllib.error

    server = digitlab("serve", "--model", str(model_file), "--host", "0.0.0.0", "--port", "0",
                      "--workers", "1", "--db", str(tmp_path / "c.db"), env={**os.environ, "DIGITLAB_TOKEN": ""})
    try:
        port = server.stdout.readline().strip().rsplit(":", 1)[1].split()[0]
        kept = server.stdout.readline()
        assert kept.startswith(f"digitlab: corrections kept in {tmp_path / 'c.db'}; they need the token "), kept
        token = kept.split()[-1]
        url = f"http://127.0.0.1:{port}/api/corrections"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=30)
        assert refused.value.code == 401
        asked = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(asked, timeout=30) as answer:
            assert json.load(answer)["total"] == 0
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
