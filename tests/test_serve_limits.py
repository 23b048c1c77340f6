"""The body cap on its own (plain ASGI, no framework), and property tests that no
upload, however odd, gets a 5xx."""

from __future__ import annotations

import asyncio
import base64
import io

import numpy as np
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image
from test_serve_api import serve_reader

from digitlab.serve.app import create_app
from digitlab.serve.limits import BodyLimit


def run_asgi(chunks, headers=()):
    """Send `chunks` through `BodyLimit(max_bytes=100)` to an app that reads everything.

    Returns the response statuses sent and the bytes the app got to read.
    """
    seen, sent = [], []

    async def inner(scope, receive, send):  # reads the whole body, then answers 200
        while True:
            message = await receive()
            seen.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                for i, c in enumerate(chunks)]

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": list(headers)}
    asyncio.run(BodyLimit(inner, max_bytes=100)(scope, receive, send))
    statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
    return statuses, b"".join(seen)


@pytest.mark.parametrize("sizes, status", [
    ([100], 200), ([50, 50], 200), ([0, 100, 0], 200),
    ([101], 413), ([60, 41], 413), ([10] * 11, 413),
])
def test_counts_chunks_as_they_arrive(sizes, status):
    statuses, read = run_asgi([b"x" * n for n in sizes])
    assert statuses == [status]  # one answer, never the app's and ours both
    assert len(read) <= 100 + max(sizes)  # reading stopped at the chunk that crossed the cap


def test_declared_length_refused_before_reading():
    statuses, read = run_asgi([b"x" * 10], headers=[(b"content-length", b"5000")])
    assert statuses == [413] and read == b""


@pytest.fixture(scope="module")
def client(mnist_dir):
    app = create_app(reader=serve_reader(mnist_dir), max_body_bytes=2**20)
    return TestClient(app, raise_server_exceptions=False)


@given(data=st.binary(max_size=2000))
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_bytes_as_an_image_is_answered_or_refused(client, data):
    for endpoint in ("/api/predict", "/api/read"):
        answer = client.post(endpoint, json={"image": base64.b64encode(data).decode()})
        assert answer.status_code in (200, 422), answer.text


@given(picture=arrays(np.uint8, st.tuples(st.integers(1, 60), st.integers(1, 60))),
       fmt=st.sampled_from(["PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF"]))
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_small_picture_gets_an_answer(client, picture, fmt):
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format=fmt)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    one = client.post("/api/predict", json={"image": encoded})
    assert one.status_code == 200, one.text
    assert one.json()["status"] in ("ok", "unsure", "no digit")
    line = client.post("/api/read", json={"image": encoded})
    assert line.status_code == 200, line.text
    assert all(0 <= d["box"]["x0"] < d["box"]["x1"] <= picture.shape[1] for d in line.json()["digits"])
