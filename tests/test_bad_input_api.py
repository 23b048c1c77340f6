"""Bad requests to the JSON API: each a 4xx with a one-line `detail` naming the problem, never a 500.

A table of crafted bodies (wrong JSON, wrong shapes, bad pixels, bad images, nesting too deep), then
hypothesis throwing arbitrary JSON at both endpoints: the answer is always a checked 200 or a 4xx.
"""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client():
    """The shipped default model, run by numpy (no torch import), with a 1 MiB body cap and 4 megapixels."""
    from digitlab.serve.app import create_app

    with TestClient(create_app(max_body_bytes=2**20, max_pixels=4_000_000, backend="numpy")) as c:
        yield c


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def png(array) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.asarray(array, np.uint8)).save(out, format="PNG")
    return out.getvalue()


PIXELS = [0] * 784
NOISE_PNG = png(np.random.default_rng(0).integers(0, 256, (40, 40)))
CASES = {
    # (path, body: bytes as sent, or an object sent as JSON), status, phrase in the detail
    "empty body": ("/api/predict", b"", 422, ""),
    "not JSON": ("/api/predict", b"{pixels", 422, "not valid JSON"),
    "JSON nested too deep": ("/api/predict", b"[" * 5000 + b"]" * 5000, 422, "nested too deeply"),
    "deep inside pixels": ("/api/predict", b'{"pixels": ' + b"[" * 3000 + b"]" * 3000 + b"}", 422,
                           "nested too deeply"),
    "not UTF-8": ("/api/predict", b'{"pixels": "\xff\xfe"}', 422, ""),
    "a list": ("/api/predict", [1, 2, 3], 422, ""),
    "a number": ("/api/predict", 7, 422, ""),
    "null": ("/api/predict", None, 422, ""),
    "empty object": ("/api/predict", {}, 422, "exactly one"),
    "both fields": ("/api/predict", {"pixels": PIXELS, "image": b64(png(np.zeros((8, 8))))}, 422, "exactly one"),
    "unknown field": ("/api/predict", {"pixels": PIXELS, "model": "x"}, 422, "model"),
    "783 pixels": ("/api/predict", {"pixels": PIXELS[:-1]}, 422, "784"),
    "785 pixels": ("/api/predict", {"pixels": [*PIXELS, 0]}, 422, "784"),
    "no pixels": ("/api/predict", {"pixels": []}, 422, "784"),
    "pixel 256": ("/api/predict", {"pixels": [256, *PIXELS[1:]]}, 422, "255"),
    "pixel -1": ("/api/predict", {"pixels": [-1, *PIXELS[1:]]}, 422, "0"),
    "pixel NaN": ("/api/predict", b'{"pixels": [NaN' + b", 0" * 783 + b"]}", 422, "pixels"),
    "pixel Infinity": ("/api/predict", b'{"pixels": [Infinity' + b", 0" * 783 + b"]}", 422, "pixels"),
    "pixel a string": ("/api/predict", {"pixels": ["12", *PIXELS[1:]]}, 422, "pixels"),
    "pixel true": ("/api/predict", {"pixels": [True, *PIXELS[1:]]}, 422, "pixels"),
    "pixel null": ("/api/predict", {"pixels": [None, *PIXELS[1:]]}, 422, "pixels"),
    "pixels as rows": ("/api/predict", {"pixels": [[0] * 28] * 28}, 422, "pixels"),
    "pixels a string": ("/api/predict", {"pixels": "0" * 784}, 422, "pixels"),
    "huge pixel number": ("/api/predict", b'{"pixels": [1e400' + b", 0" * 783 + b"]}", 422, "pixels"),
    "image not base64": ("/api/predict", {"image": "not base64 at all!"}, 422, "base64"),
    "image base64 of text": ("/api/predict", {"image": b64(b"hello world")}, 422, "image"),
    "image empty": ("/api/predict", {"image": ""}, 422, "image"),
    "image a number": ("/api/predict", {"image": 5}, 422, "image"),
    "image truncated png": ("/api/predict", {"image": b64(NOISE_PNG[: len(NOISE_PNG) // 2])}, 422, "truncated"),
    "image bad data URL": ("/api/predict", {"image": "data:image/png;base64,@@@@"}, 422, "base64"),
    "image too many pixels": ("/api/predict", {"image": b64(png(np.zeros((2100, 2100))))}, 422, "pixels"),
    "read: empty object": ("/api/read", {}, 422, "image"),
    "read: pixels instead": ("/api/read", {"pixels": PIXELS}, 422, ""),
    "read: not base64": ("/api/read", {"image": "%%%"}, 422, "base64"),
    "read: empty image": ("/api/read", {"image": ""}, 422, "image"),
    "read: text file": ("/api/read", {"image": b64(b"GIF89a but not really")}, 422, "image"),
    "read: nested too deep": ("/api/read", b'{"image": ' + b"[" * 3000 + b"]" * 3000 + b"}", 422,
                              "nested too deeply"),
    "body over the cap": ("/api/predict", {"image": "A" * (2**20 + 10)}, 413, ""),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_request_is_a_one_line_4xx(case, client):
    path, body, status, phrase = CASES[case]
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.post(path, content=content, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail and "\n" not in detail and phrase in detail


def test_wrong_content_type_and_method(client):
    response = client.post("/api/predict", content=json.dumps({"pixels": PIXELS}),
                           headers={"content-type": "text/plain"})
    assert 400 <= response.status_code < 500 and "\n" not in response.json()["detail"]
    response = client.get("/api/predict")
    assert response.status_code == 405


def test_the_server_still_answers_after_the_bad_requests(client):
    assert client.get("/api/health").json()["status"] == "ok"
    assert client.post("/api/predict", json={"pixels": PIXELS}).status_code == 200


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
                    max_leaves=30)
REQUESTS = st.one_of(
    JSON,
    # a pixel list is built from a few drawn values (drawing 784 one by one is slow)
    st.fixed_dictionaries({}, optional={"pixels": st.builds(
                                            lambda n, values: (values * n)[:n], st.integers(780, 788),
                                            st.lists(st.integers(-5, 300) | st.floats(allow_nan=False),
                                                     min_size=1, max_size=4)),
                                        "image": st.text(max_size=50) | st.binary(max_size=200).map(b64)}),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=REQUESTS, path=st.sampled_from(["/api/predict", "/api/read"]))
def test_any_json_gets_a_checked_answer_or_a_one_line_4xx(client, body, path):
    response = client.post(path, content=json.dumps(body), headers={"content-type": "application/json"})
    assert response.status_code in (200, 413, 422), response.text
    if response.status_code == 200:
        answer = response.json()
        digits = answer["digits"] if path == "/api/read" else [answer]
        for d in digits:
            assert abs(sum(d["probabilities"]) - 1) < 1e-6 or d["status"] == "no digit"
    else:
        assert "\n" not in response.json()["detail"]


def test_a_field_named_with_a_newline_stays_on_one_line(client):
    """Regression (found by the hypothesis test above): an extra field called "\\n" made a two-line 422."""
    response = client.post("/api/predict", content=json.dumps({"\n": None}),
                           headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"] == "'\\n': Extra inputs are not permitted"
