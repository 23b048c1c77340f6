"""The page in a real browser: Playwright drives Debian's Chromium against uvicorn.

It draws a 7, a 0 and a 1 with mouse strokes and checks the page shows each
digit; it uploads a photo of a number and checks the page shows the reading
the reader gives for the same picture. Screenshots go to
$TMPDIR/digitlab-serve-screens (outside the repository) for a person to look at.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from PIL import Image
from playwright.sync_api import expect
from test_serve_api import mnist, number_photo, serve_reader

from digitlab.serve.app import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SCREENS = Path(tempfile.gettempdir()) / "digitlab-serve-screens"
VIEWPORTS = {"desktop": {"width": 1100, "height": 800}, "phone": {"width": 390, "height": 844}}

# The page's Content-Security-Policy forbids eval, so waits use `expect` (no
# page-side string evaluation) rather than `wait_for_function`.

# Strokes as points in the unit square of the canvas, the way a person draws them.
STROKES = {
    7: [[(0.25, 0.2), (0.75, 0.2), (0.62, 0.45), (0.45, 0.82)]],
    0: [[(0.5 + 0.22 * math.sin(t * math.pi / 12), 0.5 - 0.32 * math.cos(t * math.pi / 12))
         for t in range(25)]],
    1: [[(0.48, 0.15), (0.52, 0.85)]],
}

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None,
                                reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture(scope="module")
def server(mnist_dir):
    """uvicorn serving the app on a free 127.0.0.1 port, in a thread."""
    reader = serve_reader(mnist_dir)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(reader=reader)
    running = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", reader
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def draw(page, strokes) -> None:
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=4)
        page.mouse.up()


def open_page(browser, url, viewport, errors):
    page = browser.new_page(viewport=viewport)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    expect(page.locator("#model-name")).not_to_have_text("…")
    return page


@pytest.mark.parametrize("view", VIEWPORTS)
def test_drawn_digits_are_recognised(server, browser, view):
    url, _ = server
    SCREENS.mkdir(exist_ok=True)
    errors = []
    page = open_page(browser, url, VIEWPORTS[view], errors)
    assert page.inner_text("#answer-digit") == "?"
    for digit, strokes in STROKES.items():
        if page.is_enabled("#clear"):
            page.click("#clear")
        draw(page, strokes)
        expect(page.locator("#answer-digit")).to_have_text(str(digit), timeout=10_000)
        words = page.inner_text("#answer-words")
        assert str(digit) in words and ("sure" in words)  # "It's a 7 (98% sure)" or "Unsure: ..."
        best = page.locator("#bars li.best .label").inner_text()
        assert best == str(digit)
        seen = page.evaluate("""() => { const c = document.getElementById('seen').getContext('2d');
            return Array.from(c.getImageData(0, 0, 28, 28).data).filter((v, i) => i % 4 === 0); }""")
        assert max(seen) > 200 and np.mean(seen) < 80  # white strokes on black, as MNIST
        page.screenshot(path=SCREENS / f"{view}-drew-{digit}.png", full_page=True)
    page.click("#undo")  # the 1 was one stroke: undo leaves a blank canvas
    expect(page.locator("#answer-digit")).to_have_text("?")
    assert page.is_disabled("#undo") and page.is_disabled("#clear")
    assert errors == []
    page.close()


def test_keyboard_reaches_the_controls(server, browser):
    url, _ = server
    page = open_page(browser, url, VIEWPORTS["desktop"], [])
    draw(page, STROKES[1])
    expect(page.locator("#answer-digit")).to_have_text("1", timeout=10_000)
    focused = []
    for _ in range(8):  # once round the page, whatever had focus after drawing
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    assert {"pad", "undo", "clear", "file"} <= set(focused)
    page.keyboard.press("Escape")  # Esc clears
    expect(page.locator("#answer-digit")).to_have_text("?")
    labels = page.evaluate("""() => Array.from(document.querySelectorAll('button, input, canvas'))
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
        .map(e => e.id)""")
    assert labels == []  # every control says what it is
    page.close()


@pytest.mark.parametrize("view", VIEWPORTS)
def test_photo_of_a_number_is_read(server, browser, view, mnist_dir, tmp_path):
    url, reader = server
    images, labels = mnist(mnist_dir, "test")
    picks = [int(np.flatnonzero(labels[:100] == d)[0]) for d in (4, 0, 7, 2)]
    photo, _ = number_photo(images[picks])
    path = tmp_path / "number.png"
    Image.fromarray(photo).save(path)
    expected = reader.read_number(photo).text
    assert len(expected) == 4

    errors = []
    page = open_page(browser, url, VIEWPORTS[view], errors)
    page.set_input_files("#file", str(path))
    page.wait_for_selector("#reading-text", timeout=10_000)
    assert page.inner_text("#reading-text") == expected
    assert page.locator("#read-digits li").count() == len(expected)
    assert page.is_visible("#photo-view")
    shown = page.evaluate("[document.getElementById('photo-view').width, document.getElementById('photo-view').height]")
    assert shown == [photo.shape[1], photo.shape[0]]  # small photos go up unshrunk, boxes in its pixels
    page.screenshot(path=SCREENS / f"{view}-read-number.png", full_page=True)
    assert errors == []
    page.close()


def test_a_dropped_photo_is_read(server, browser, mnist_dir):
    url, reader = server
    images, labels = mnist(mnist_dir, "test")
    photo, _ = number_photo(images[[int(np.flatnonzero(labels[:100] == d)[0]) for d in (1, 7)]])
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="PNG")
    page = open_page(browser, url, VIEWPORTS["desktop"], [])
    dropped = page.evaluate_handle("""(b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const data = new DataTransfer();
        data.items.add(new File([bytes], "dropped.png", {type: "image/png"}));
        return data; }""", base64.b64encode(buffer.getvalue()).decode())
    page.dispatch_event("#drop", "dragover", {"dataTransfer": dropped})
    expect(page.locator("#drop")).to_have_class(re.compile("over"))
    page.dispatch_event("#drop", "drop", {"dataTransfer": dropped})
    expect(page.locator("#reading-text")).to_have_text(reader.read_number(photo).text, timeout=10_000)
    expect(page.locator("#drop")).not_to_have_class(re.compile("over"))
    page.close()


def test_a_file_that_is_not_a_picture_says_so(server, browser, tmp_path):
    url, _ = server
    path = tmp_path / "notes.png"
    path.write_bytes(b"this is text, not a PNG")
    page = open_page(browser, url, VIEWPORTS["desktop"], [])
    page.set_input_files("#file", str(path))
    expect(page.locator("#reading")).to_have_class(re.compile("error"))
    assert "not a picture" in page.inner_text("#reading")
    page.close()


def canned(status, digit, probabilities, warnings=()):
    top3 = sorted(range(10), key=lambda d: -probabilities[d])[:3] if digit is not None else []
    return {"digit": digit, "status": status, "probability": max(probabilities),
            "probabilities": probabilities, "top3": [{"digit": d, "probability": probabilities[d]} for d in top3],
            "input": [[0] * 28 for _ in range(28)], "warnings": list(warnings)}


@pytest.mark.parametrize("answer, shown, words", [
    (canned("unsure", 4, [0.02, 0.02, 0.02, 0.02, 0.45, 0.02, 0.02, 0.02, 0.01, 0.40]), "4",
     "Unsure: maybe 4 (45%), or 9 (40%)"),
    (canned("no digit", None, [0.0] * 10, ["no ink found (blank or nearly blank image)"]), "–",
     "No digit"),
])
def test_unsure_and_no_digit_are_said_plainly(server, browser, answer, shown, words):
    """Whatever model is loaded, the page must word the API's doubt honestly: the
    API's answer is replaced here (Playwright routing) to show each case."""
    url, _ = server
    page = open_page(browser, url, VIEWPORTS["phone"], [])
    page.route("**/api/predict", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(answer)))
    draw(page, STROKES[7])
    expect(page.locator("#answer-digit")).to_have_text(shown)
    assert page.inner_text("#answer-words").startswith(words)
    assert page.inner_text("#answer-note") == "; ".join(answer["warnings"])
    status = answer["status"].replace(" ", "-")
    expect(page.locator("#answer")).to_have_class(re.compile(status))
    page.screenshot(path=SCREENS / f"phone-{status}.png", full_page=True)
    page.close()


@pytest.fixture(scope="module")
def server_keeping(mnist_dir, tmp_path_factory):
    """uvicorn serving the app with a corrections database, in a thread: (url, reader, database path)."""
    db = tmp_path_factory.mktemp("browser") / "corrections.db"
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    app = create_app(reader=serve_reader(mnist_dir), corrections_db=db)
    running = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", db
    running.should_exit = True
    thread.join(timeout=10)


def test_a_correction_button_and_a_typed_digit_are_kept(server_keeping, browser):
    from digitlab.data.corrections import CorrectionStore

    url, db = server_keeping
    errors = []
    page = open_page(browser, url, VIEWPORTS["desktop"], errors)
    expect(page.locator("#correct")).to_be_visible()
    draw(page, STROKES[7])
    expect(page.locator("#answer-digit")).to_have_text("7", timeout=10_000)
    page.click("#correct-digits button[aria-label='It is a 1']")
    expect(page.locator("#correct-status")).to_have_text(re.compile(r"Kept as a 1 \(the model said a 7\)"),
                                                         timeout=10_000)
    page.keyboard.press("4")
    expect(page.locator("#correct-status")).to_have_text(re.compile(r"Kept as a 4"), timeout=10_000)
    rows, total = CorrectionStore(db).list()
    assert total == 2 and [(r["label"], r["predicted"], r["has_upload"]) for r in rows] == [(4, 7, True), (1, 7, True)]
    assert errors == []
    page.close()
