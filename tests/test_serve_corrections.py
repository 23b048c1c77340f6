"""The corrections API: stored as the model saw it, paged, deleted, refused when wrong, behind the token off loopback.

Oracles: the stored 28x28 is what `Reader.prepare` makes of the same upload,
the stored answer is what `/api/predict` answers for it, and the rows in the
database are counted against the requests that were answered 201.
"""

from __future__ import annotations

import base64
import threading

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient
from test_serve_api import mnist, png_base64, serve_reader

from digitlab.data.corrections import CorrectionStore
from digitlab.serve.app import create_app
from digitlab.serve.corrections import is_loopback, server_token

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def reader(mnist_dir):
    return serve_reader(mnist_dir)


@pytest.fixture(scope="module")
def digits(mnist_dir):
    images, labels = mnist(mnist_dir, "test")
    return images[:20], labels[:20]


@pytest.fixture
def db(tmp_path):
    return tmp_path / "corrections.db"


@pytest.fixture
def client(reader, db):
    return TestClient(create_app(reader=reader, corrections_db=db))


def _paper(digit: np.ndarray) -> str:
    """An MNIST digit as a user's upload: dark ink on light paper, 3x bigger, base64 PNG."""
    from PIL import Image

    big = Image.fromarray(255 - digit).resize((84, 84), Image.BILINEAR)
    return png_base64(np.asarray(big))


def test_a_correction_stores_what_the_model_saw_and_said(client, reader, digits, db):
    image = _paper(digits[0][0])
    answer = client.post("/api/predict", json={"image": image}).json()
    made = client.post("/api/corrections", json={"image": image, "label": 3})
    assert made.status_code == 201, made.text
    row = made.json()
    assert row["label"] == 3 and row["predicted"] == answer["digit"] and row["has_upload"]
    assert (row["height"], row["width"]) == (28, 28) and row["model"] == reader.name
    store = CorrectionStore(db)
    np.testing.assert_array_equal(store.pixels(row["id"]), reader.prepare(base64.b64decode(image)).input)
    np.testing.assert_array_equal(store.pixels(row["id"]), np.array(answer["input"]))
    assert store.upload(row["id"]) == base64.b64decode(image)


def test_pixels_are_stored_too_without_an_upload(client, digits, db):
    row = client.post("/api/corrections", json={"pixels": digits[0][1].ravel().tolist(), "label": 2}).json()
    assert not row["has_upload"]
    np.testing.assert_array_equal(CorrectionStore(db).pixels(row["id"]), digits[0][1])


def test_paging_and_deleting(client, digits):
    ids = [client.post("/api/corrections", json={"pixels": d.ravel().tolist(), "label": int(y)}).json()["id"]
           for d, y in zip(*digits)][:6]
    page = client.get("/api/corrections", params={"offset": 1, "limit": 2}).json()
    assert page["total"] == 20 and [r["id"] for r in page["items"]] == sorted(ids + list(range(7, 21)))[::-1][1:3]
    assert client.delete(f"/api/corrections/{ids[0]}").status_code == 204
    assert client.delete(f"/api/corrections/{ids[0]}").status_code == 404
    assert client.get("/api/corrections").json()["total"] == 19
    assert client.delete("/api/corrections").json() == {"deleted": 19}
    assert client.get("/api/corrections").json() == {"items": [], "total": 0, "offset": 0, "limit": 50}


@pytest.mark.parametrize("body", [{"label": 3}, {"image": None, "label": 3}, {"pixels": [0] * 784, "label": 10},
                                  {"pixels": [0] * 784, "label": -1}, {"pixels": [0] * 784, "label": "7"},
                                  {"pixels": [0] * 784, "label": 7}, {"image": "bm90IGFuIGltYWdl", "label": 1},
                                  {"image": png_base64(np.full((40, 40), 255)), "label": 1}])
def test_refusals_are_422_and_store_nothing(client, db, body):
    answer = client.post("/api/corrections", json=body)
    assert answer.status_code == 422 and isinstance(answer.json()["detail"], str), answer.text
    assert CorrectionStore(db).count() == 0


def test_paging_limits_are_checked(client):
    assert client.get("/api/corrections", params={"limit": 0}).status_code == 422
    assert client.get("/api/corrections", params={"offset": -1}).status_code == 422


def test_without_a_database_corrections_are_503_and_predictions_work(reader, digits):
    client = TestClient(create_app(reader=reader))
    assert client.post("/api/corrections", json={"pixels": [0] * 784, "label": 1}).status_code == 503
    assert client.post("/api/predict", json={"pixels": digits[0][0].ravel().tolist()}).status_code == 200


def test_the_token_guards_every_corrections_call_and_not_predictions(reader, digits, db):
    client = TestClient(create_app(reader=reader, corrections_db=db, token=TOKEN))
    body = {"pixels": digits[0][0].ravel().tolist(), "label": 7}
    calls = [("post", "/api/corrections", {"json": body}), ("get", "/api/corrections", {}),
             ("delete", "/api/corrections/1", {}), ("delete", "/api/corrections", {})]
    for header in (None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "):
        headers = {} if header is None else {"Authorization": header}
        for method, url, kwargs in calls:
            answer = getattr(client, method)(url, headers=headers, **kwargs)
            assert answer.status_code == 401, (header, method, url, answer.text)
    assert CorrectionStore(db).count() == 0
    good = {"Authorization": f"Bearer {TOKEN}"}
    assert client.post("/api/corrections", json=body, headers=good).status_code == 201
    assert client.get("/api/corrections", headers=good).json()["total"] == 1
    assert client.post("/api/predict", json={"pixels": body["pixels"]}).status_code == 200
    assert client.get("/api/health").json()["corrections"] == "token"


def test_which_hosts_need_a_token(monkeypatch):
    monkeypatch.delenv("DIGITLAB_TOKEN", raising=False)
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert is_loopback(host) and server_token(host, None) == (None, False)
    for host in ("0.0.0.0", "::", "192.168.1.5", "example.org"):
        token, made = server_token(host, None)
        assert not is_loopback(host) and made and len(token) >= 24
    assert server_token("0.0.0.0", "given") == ("given", False)
    monkeypatch.setenv("DIGITLAB_TOKEN", "from-env")
    assert server_token("0.0.0.0", None) == ("from-env", False)
    assert server_token("127.0.0.1", None) == ("from-env", False)  # given is always enforced


def test_concurrent_posts_lose_and_duplicate_nothing(reader, digits, db):
    client = TestClient(create_app(reader=reader, corrections_db=db))
    statuses, ids, lock = [], [], threading.Lock()

    def poster(worker):
        for i in range(10):
            answer = client.post("/api/corrections", json={"pixels": digits[0][i].ravel().tolist(),
                                                           "label": (worker + i) % 10})
            with lock:
                statuses.append(answer.status_code)
                ids.append(answer.json().get("id"))

    threads = [threading.Thread(target=poster, args=(w,)) for w in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 100 and len(set(ids)) == 100
    _, labels = CorrectionStore(db).examples()
    assert len(labels) == 100 and sorted(labels.tolist()) == sorted((w + i) % 10 for w in range(10) for i in range(10))


def test_corrections_made_on_the_page_adapt_a_model_that_then_serves(reader, digits, db, tmp_path):
    """The whole loop: correct through the API, `digitlab adapt` on the database, serve the result.

    (The smallest shipped network is the one adapted, to keep the test quick.)
    """
    from digitlab.cli import main

    client = TestClient(create_app(reader=reader, corrections_db=db))
    for image, label in zip(*digits):
        assert client.post("/api/corrections", json={"image": _paper(image), "label": int(label)}).status_code == 201
    out = tmp_path / "mine.npz"
    assert main(["adapt", "numpy-cnn-16-32-3ep", "--examples", str(db), "-o", str(out), "--epochs", "1", "--replay", "0",
                 "--mnist-test", "0", "--engine", "numpy"]) == 0
    served = TestClient(create_app(model=str(out)))
    assert served.get("/api/health").json()["model"] == "mine"
    answer = served.post("/api/predict", json={"pixels": digits[0][0].ravel().tolist()})
    assert answer.status_code == 200 and answer.json()["digit"] == digits[1][0]
