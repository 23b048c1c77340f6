"""Load test for `digitlab serve`: many clients, one server, 127.0.0.1 only.

    python benchmarks/serve_load.py --model M.npz --clients 50 --seconds 20 --payload pixels
    python benchmarks/serve_load.py --model M.npz --clients 50 --seconds 20 --payload canvas --pace 0.12

The server runs as its own process (`python -m digitlab serve --port 0`), so the
load generator does not share its interpreter. Each client is an asyncio task
with its own keep-alive connection, sending one request after another
(closed loop) or, with --pace S, one every S seconds as the drawing page does
while a person draws. Payloads are real MNIST test digits: `pixels` (784 values,
already 28x28) or `canvas` (the page's request: a 140x140 PNG of dark ink on
white, decoded and preprocessed on the server). Prints one Markdown table row.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gzip
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

MNIST = Path(os.environ.get("DIGITLAB_TEST_MNIST", Path(__file__).resolve().parents[2] / "shared/data/mnist"))


def payloads(kind: str, n: int = 200) -> list[dict]:
    """n request bodies built from MNIST test digits."""
    from PIL import Image

    with gzip.open(MNIST / "t10k-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:n]
    if kind == "pixels":
        return [{"pixels": image.ravel().tolist()} for image in images]
    bodies = []
    for image in images:  # as the page sends its drawing: 140x140 PNG, black strokes on white
        canvas = Image.fromarray(255 - image).resize((140, 140), Image.BILINEAR)
        buffer = io.BytesIO()
        canvas.save(buffer, format="PNG")
        bodies.append({"image": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()})
    return bodies


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (Linux /proc): what it cost, whatever the load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(model) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "digitlab", "serve", "--port", "0", "--host", "127.0.0.1"]
    if model:
        command += ["--model", str(model)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    if not line.startswith("digitlab: serving on "):
        server.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return server, line.split()[3]


async def client(url, bodies, stop_at, pace, latencies, errors, offset):
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        i = offset
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                answer = await http.post("/api/predict", json=bodies[i % len(bodies)])
                if answer.status_code == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors.append(answer.status_code)
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
            i += 1
            if pace:
                await asyncio.sleep(max(0.0, pace - (time.perf_counter() - started)))


async def load(url, bodies, clients, seconds, pace):
    latencies, errors = [], []
    await client(url, bodies, time.perf_counter() + 2, pace, [], [], 0)  # warm-up: 2 s, one client
    stop_at = time.perf_counter() + seconds
    began = time.perf_counter()
    await asyncio.gather(*(client(url, bodies, stop_at, pace, latencies, errors, k * 7)
                           for k in range(clients)))
    return np.array(latencies) * 1000, errors, time.perf_counter() - began


def asgi_cost(model, bodies) -> np.ndarray:
    """Milliseconds per request inside the app (no HTTP, no client), one request at a time."""
    import json

    from digitlab.predict import Reader
    from digitlab.serve.app import create_app

    app = create_app(reader=Reader.load(model))
    encoded = [json.dumps(body).encode() for body in bodies]

    async def call(body):
        scope = {"type": "http", "method": "POST", "path": "/api/predict", "raw_path": b"/api/predict",
                 "query_string": b"", "root_path": "", "http_version": "1.1", "scheme": "http",
                 "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1),
                 "headers": [(b"content-type", b"application/json"),
                             (b"content-length", str(len(body)).encode())]}
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        statuses = []

        async def receive():
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app(scope, receive, send)
        assert statuses == [200], statuses

    async def run():
        for body in encoded[:20]:
            await call(body)  # warm-up
        times = []
        for body in encoded:
            started = time.perf_counter()
            await call(body)
            times.append(time.perf_counter() - started)
        return np.array(times) * 1000

    return asyncio.run(run())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model file (default: the shipped model)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--payload", choices=("pixels", "canvas"), default="pixels")
    parser.add_argument("--pace", type=float, default=0.0,
                        help="seconds between one client's requests (0: back to back)")
    parser.add_argument("--asgi", action="store_true",
                        help="instead: time requests inside the app, one at a time, no HTTP")
    args = parser.parse_args()

    bodies = payloads(args.payload)
    if args.asgi:
        ms = asgi_cost(args.model, bodies)
        print(f"{args.payload}: in-app cost per request over {len(ms)} requests: "
              f"p50 {np.percentile(ms, 50):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms, "
              f"mean {ms.mean():.2f} ms")
        return
    server, url = start_server(args.model)
    try:
        cpu_before = cpu_seconds(server.pid)
        ms, errors, elapsed = asyncio.run(load(url, bodies, args.clients, args.seconds, args.pace))
        # includes the 2 s one-client warm-up, so it slightly overstates the cost per request
        server_cpu = cpu_seconds(server.pid) - cpu_before
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    p50, p90, p99 = np.percentile(ms, [50, 90, 99]) if len(ms) else (float("nan"),) * 3
    pace = f"{args.pace:g} s" if args.pace else "closed loop"
    load1 = os.getloadavg()[0]
    print("| payload | clients | pace | seconds | requests | req/s | p50 ms | p90 ms | p99 ms | max ms "
          "| errors | server CPU ms/request | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.payload} | {args.clients} | {pace} | {elapsed:.1f} | {len(ms)} | {len(ms) / elapsed:.0f} "
          f"| {p50:.1f} | {p90:.1f} | {p99:.1f} | {ms.max() if len(ms) else float('nan'):.1f} "
          f"| {len(errors)} | {1000 * server_cpu / max(1, len(ms)):.2f} | {load1:.1f} |")


if __name__ == "__main__":
    main()
