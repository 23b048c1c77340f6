"""The JSON API through Starlette's TestClient: every endpoint, every refusal.

Oracles: the API's answers are recomputed by calling `Reader` directly on the
same input; MNIST test digits must come back as their labels; a number built
from known MNIST digits at known places must read as those digits, each box
around its own digit.
"""

from __future__ import annotations

import base64
import functools
import gzip
import io
import struct
import zlib

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient
from PIL import Image

from digitlab.errors import DigitlabError
from digitlab.read.reader import Reader
from digitlab.serve.app import create_app

FIRST_OF_EACH = slice(0, 30)  # the MNIST test images scored below (nine of the ten digits)


# ---- shared with test_serve_browser / test_serve_load ------------------------

def mnist(mnist_dir, split: str):
    """(images uint8 (n, 28, 28), labels int64 (n,)) straight from the IDX .gz files."""
    prefix = "train" if split == "train" else "t10k"
    with gzip.open(mnist_dir / f"{prefix}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(mnist_dir / f"{prefix}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return images, labels


@functools.cache
def serve_reader(mnist_dir) -> Reader:
    """The shipped default model when this install has one, else a small k-NN.

    The fallback (k-NN over 5,000 MNIST images: no training, so no wait)
    keeps these tests about the web layer, not about which model has landed.
    """
    try:
        return Reader.load()
    except DigitlabError:
        from sklearn.neighbors import KNeighborsClassifier

        images, labels = mnist(mnist_dir, "train")
        X = images[:5000].reshape(5000, -1).astype(np.float32) / 255
        model = KNeighborsClassifier(n_neighbors=10, weights="distance").fit(X, labels[:5000])
        return Reader(model, {"name": "test-knn", "input_shape": [28, 28]})


def png_base64(pixels: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(pixels, np.uint8)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def number_photo(images: np.ndarray, scale: int = 3, gap: int = 40):
    """Dark digits on light paper, side by side: (uint8 picture, their boxes (x0, y0, x1, y1))."""
    side = 28 * scale
    paper = np.full((side + 2 * gap, gap + len(images) * (side + gap)), 235.0)
    boxes = []
    for i, digit in enumerate(images):
        big = np.asarray(Image.fromarray(digit).resize((side, side), Image.BILINEAR), float)
        x0 = gap + i * (side + gap)
        paper[gap:gap + side, x0:x0 + side] -= 0.85 * big
        boxes.append((x0, gap, x0 + side, gap + side))
    noise = np.random.default_rng(0).normal(0, 4, paper.shape)
    return np.clip(paper + noise, 0, 255).astype(np.uint8), boxes


# ---- fixtures ------------------------------------------------------------------

@pytest.fixture(scope="module")
def reader(mnist_dir):
    return serve_reader(mnist_dir)


@pytest.fixture(scope="module")
def client(reader):
    return TestClient(create_app(reader=reader, max_body_bytes=2**20, max_pixels=4_000_000))


@pytest.fixture(scope="module")
def test_digits(mnist_dir):
    images, labels = mnist(mnist_dir, "test")
    return images[FIRST_OF_EACH], labels[FIRST_OF_EACH]


# ---- answers -----------------------------------------------------------------

def test_predict_pixels_matches_reader_and_labels(client, reader, test_digits):
    images, labels = test_digits
    right = 0
    for image, label in zip(images, labels):
        answer = client.post("/api/predict", json={"pixels": image.ravel().tolist()})
        assert answer.status_code == 200
        body = answer.json()
        direct = reader.predict_pixels(image.ravel())
        assert body["digit"] == direct.digit and body["status"] == direct.status
        # the app runs a network in torch when it can (test_serve_backend): float32 rounding apart
        np.testing.assert_allclose(body["probabilities"], direct.probabilities, rtol=1e-4, atol=1e-6)
        assert body["input"] == direct.input.tolist()  # pixels are already model space
        assert sum(body["probabilities"]) == pytest.approx(1, abs=1e-6)
        assert body["top3"][0]["digit"] == body["digit"]
        assert [g["probability"] for g in body["top3"]] == sorted(
            [g["probability"] for g in body["top3"]], reverse=True)
        right += body["digit"] == label
    assert right >= 0.85 * len(labels), f"{right}/{len(labels)} MNIST test digits right"


def test_predict_image_matches_reader(client, reader, test_digits):
    images, labels = test_digits
    right = 0
    for image, label in zip(images[:15], labels[:15]):
        encoded = png_base64(255 - image)  # dark ink on white paper, as a photo or canvas is
        body = client.post("/api/predict", json={"image": encoded}).json()
        direct = reader.predict_image(base64.b64decode(encoded))
        assert body["digit"] == direct.digit
        assert body["input"] == direct.input.tolist()
        assert np.asarray(body["input"]).shape == (28, 28)
        right += body["digit"] == label
    assert right >= 12, f"{right}/15 right after preprocessing"


def test_predict_accepts_a_data_url(client, test_digits):
    images, labels = test_digits
    url = "data:image/png;base64," + png_base64(255 - images[0])
    assert client.post("/api/predict", json={"image": url}).json()["digit"] == labels[0]


def test_blank_canvas_is_no_digit(client):
    body = client.post("/api/predict", json={"image": png_base64(np.full((280, 280), 255))}).json()
    assert (body["status"], body["digit"], body["top3"]) == ("no digit", None, [])
    body = client.post("/api/predict", json={"pixels": [0] * 784}).json()
    assert (body["status"], body["digit"]) == ("no digit", None)


def test_read_number_matches_reader_and_boxes_stay_on_their_digits(client, reader, test_digits):
    images, labels = test_digits
    picks = [int(np.flatnonzero(labels == d)[0]) for d in (3, 1, 4, 1, 5)]
    photo, frames = number_photo(images[picks])
    body = client.post("/api/read", json={"image": png_base64(photo)}).json()
    direct = reader.read_number(photo)
    assert body["text"] == direct.text and len(body["text"]) >= len(picks)
    assert body["text"] == "".join(str(d["digit"]) for d in body["digits"])
    assert [tuple(d["box"].values()) for d in body["digits"]] == [tuple(d.box) for d in direct.digits]
    assert (body["width"], body["height"]) == (photo.shape[1], photo.shape[0])
    # every box lies on one pasted digit (in original pixels, left to right)
    homes = [next(i for i, (x0, y0, x1, y1) in enumerate(frames)
                  if x0 - 3 <= d["box"]["x0"] < d["box"]["x1"] <= x1 + 3
                  and y0 - 3 <= d["box"]["y0"] < d["box"]["y1"] <= y1 + 3) for d in body["digits"]]
    assert homes == sorted(homes) and set(homes) == set(range(len(picks)))


def test_read_blank_paper_reads_nothing(client):
    body = client.post("/api/read", json={"image": png_base64(np.full((60, 200), 240))}).json()
    assert body["text"] == "" and body["digits"] == []


def test_models_and_health(client, reader):
    models = client.get("/api/models").json()
    assert models["active"]["name"] == reader.name
    from digitlab.models.pretrained import list_pretrained

    assert [m["name"] for m in models["shipped"]] == [c["name"] for c in list_pretrained()]
    assert all("path" not in m["card"] for m in models["shipped"])  # server paths stay private
    assert client.get("/api/health").json() == {"status": "ok", "model": reader.name, "corrections": "off"}


def test_page_and_static_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "<canvas" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for name, kind in (("app.js", "javascript"), ("style.css", "css")):
        answer = client.get(f"/static/{name}")
        assert answer.status_code == 200 and kind in answer.headers["content-type"]
    # offline: nothing on the page is fetched from another host
    for text in (page.text, client.get("/static/app.js").text, client.get("/static/style.css").text):
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


def test_openapi_schema_describes_the_api(client):
    schema = client.get("/openapi.json").json()
    assert {"/api/predict", "/api/read", "/api/models", "/api/health"} <= set(schema["paths"])
    predict = schema["paths"]["/api/predict"]["post"]
    assert {"200", "413", "422"} <= set(predict["responses"])
    assert "Prediction" in schema["components"]["schemas"]


# ---- refusals: 422 with one clear line -----------------------------------------

def tiny_png_claiming(width: int, height: int) -> bytes:
    """A valid-looking PNG header that declares width x height over a few bytes of data."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("body, words", [
    ({"pixels": [0] * 783}, "784"),
    ({"pixels": [0] * 785}, "784"),
    ({"pixels": [0] * 783 + [256]}, "less than or equal to 255"),
    ({"pixels": [-1] + [0] * 783}, "greater than or equal to 0"),
    ({"pixels": ["x"] * 784}, "number"),
    ({"pixels": [True] * 784}, "number"),  # JSON numbers only: no true/false, no "12"
    ({"pixels": ["12"] * 784}, "number"),
    ({"image": "not base64!"}, "base64"),
    ({"image": ""}, "empty"),
    ({"image": base64.b64encode(b"GIF89a but not really").decode()}, "not a picture"),
    ({"image": base64.b64encode(tiny_png_claiming(100_000, 100_000)).decode()}, "pixels"),
    ({"image": "data:image/png;base64"}, "comma"),
    ({}, "exactly one"),
    ({"image": "AAAA", "pixels": [0] * 784}, "exactly one"),
    ({"pixel": [0] * 784}, "pixel"),
    ([1, 2, 3], "object"),
])
def test_bad_predict_requests_are_422(client, body, words):
    answer = client.post("/api/predict", json=body)
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and words in detail


@pytest.mark.parametrize("raw", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_non_finite_pixels_are_422(client, raw):
    body = b'{"pixels": [' + b",".join([raw] + [b"0"] * 783) + b"]}"
    answer = client.post("/api/predict", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422 and "finite" in answer.json()["detail"]


def test_malformed_json_is_422(client):
    answer = client.post("/api/predict", content=b'{"pixels": [', headers={"content-type": "application/json"})
    assert answer.status_code == 422 and "JSON" in answer.json()["detail"]


def test_body_that_is_not_utf8_is_422(client):
    answer = client.post("/api/predict", content=b"\xff\xfe{", headers={"content-type": "application/json"})
    assert answer.status_code == 422 and "JSON" in answer.json()["detail"]


def test_image_over_pixel_cap_is_422(reader):
    small = TestClient(create_app(reader=reader, max_pixels=50 * 50))
    answer = small.post("/api/read", json={"image": png_base64(np.zeros((60, 60)))})
    assert answer.status_code == 422 and "3,600 pixels" in answer.json()["detail"]
    assert small.post("/api/read", json={"image": png_base64(np.zeros((50, 50)))}).status_code == 200


def test_read_needs_an_image(client):
    assert client.post("/api/read", json={"pixels": [0] * 784}).status_code == 422
    assert client.post("/api/read", json={"image": "%%%"}).json()["detail"].startswith("image:")


def test_unknown_route_and_method_are_json_4xx(client):
    assert client.get("/api/nothing").json() == {"detail": "Not Found"}
    assert client.get("/api/predict").status_code == 405


# ---- refusals: 413, counted as the bytes arrive --------------------------------

def test_declared_length_over_cap_is_413(client):
    answer = client.post("/api/predict", content=b" " * (2**20 + 1),
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413 and "1048576 bytes" in answer.json()["detail"]


def test_chunked_body_over_cap_is_413(client):
    def chunks():  # no Content-Length: the only way to know is to count
        for _ in range(5):
            yield b" " * 300_000
    answer = client.post("/api/predict", content=chunks(), headers={"content-type": "application/json"})
    assert answer.status_code == 413


def test_body_at_the_cap_is_read(client):
    body = b'{"pixels": [' + b",".join([b"0"] * 784) + b"]}"
    padded = body + b" " * (2**20 - len(body))  # exactly the cap; JSON allows trailing spaces
    answer = client.post("/api/predict", content=padded, headers={"content-type": "application/json"})
    assert answer.status_code == 200
