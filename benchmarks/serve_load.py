"""Load test for `digitlab serve`: many clients, one server, 127.0.0.1 only.

    python benchmarks/serve_load.py --model M.npz --clients 50 --seconds 20 --payload pixels
    python benchmarks/serve_load.py --model M.npz --clients 50 --seconds 20 --payload canvas --pace 0.12

The server runs as its own process(es) (`python -m digitlab serve --port 0`), so
the load generator does not share its interpreter. Each client is an asyncio
task with its own raw HTTP/1.1 keep-alive connection (lean: the generator shares
the server's cores), sending one request after another (closed loop) or, with
--pace S, one every S seconds as the drawing page does while a person draws,
starting at a random point of its first interval. Latency: from writing the
request to reading the last byte of the answer. CPU: the server's processes and
the generator, per answered request, after a 2 s one-client warm-up. Payloads are real MNIST test digits: `pixels` (784 values,
already 28x28) or `canvas` (the page's request: a 140x140 PNG of dark ink on
white, decoded and preprocessed on the server). Prints one Markdown table row.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gzip
import io
import json
import os
import random
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
    """User + system CPU time of a process and its children (Linux /proc): what it cost, whatever the load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = " ".join(path.read_text() for path in Path(f"/proc/{pid}/task").glob("*/children")).split()
    return own + sum(cpu_seconds(int(child)) for child in children)


def start_server(model, workers=None, backend="auto") -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "digitlab", "serve", "--port", "0", "--host", "127.0.0.1",
               "--backend", backend]
    if model:
        command += ["--model", str(model)]
    if workers:
        command += ["--workers", str(workers)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    if not line.startswith("digitlab: serving on "):
        server.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return server, line.split()[3]


def http_requests(host: str, port: int, bodies: list[dict]) -> list[bytes]:
    """Each body as a complete HTTP/1.1 keep-alive POST, encoded once, before the clock starts."""
    out = []
    for body in bodies:
        data = json.dumps(body, separators=(",", ":")).encode()
        head = (f"POST /api/predict HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n")
        out.append(head.encode() + data)
    return out


async def exchange(reader, writer, request: bytes) -> tuple[int, bytes, bool]:
    """Send one request, read one response: (status, body, server keeps the connection)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    headers = head.lower()
    at = headers.index(b"content-length:") + 15
    body = await reader.readexactly(int(headers[at:headers.index(b"\r\n", at)]))
    return status, body, b"connection: close" not in headers


async def client(address, requests, stop_at, pace, latencies, errors, offset):
    """One user: a raw HTTP/1.1 keep-alive connection (httpx cost the shared cores ~1 ms a request).

    Paced clients start at a random point of their first interval, as people do not start
    drawing in step; each then waits for its answer and sends again `pace` s after the last
    send, as the page's throttle does.
    """
    connection = None
    i = offset
    if pace:
        await asyncio.sleep(random.Random(offset).uniform(0, pace))
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(30):
                connection = connection or await asyncio.open_connection(*address)
                status, body, keep = await exchange(*connection, requests[i % len(requests)])
            if status == 200 and body.startswith(b"{"):
                latencies.append(time.perf_counter() - started)
            else:
                errors.append(status)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError) as exc:
            errors.append(type(exc).__name__)
            keep = False
        if not keep and connection:
            connection[1].close()
            connection = None
        i += 1
        if pace:
            await asyncio.sleep(max(0.0, pace - (time.perf_counter() - started)))
    if connection:
        connection[1].close()


async def warm_up(address, requests, seconds: float = 2):
    await client(address, requests, time.perf_counter() + seconds, 0, [], [], 0)


async def load(address, requests, clients, seconds, pace):
    latencies, errors = [], []
    stop_at = time.perf_counter() + seconds
    began = time.perf_counter()
    await asyncio.gather(*(client(address, requests, stop_at, pace, latencies, errors, k * 7)
                           for k in range(clients)))
    return np.array(latencies) * 1000, errors, time.perf_counter() - began


def run_loop(coroutine):
    """uvloop when installed (the server uses it too): a leaner client on the shared cores."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def asgi_cost(model, bodies, backend="auto") -> np.ndarray:
    """Milliseconds per request inside the app (no HTTP, no client), one request at a time."""
    from digitlab.read.reader import Reader
    from digitlab.serve.app import create_app

    app = create_app(reader=Reader.load(model), backend=backend)
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

    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # as `digitlab serve` runs
        return asyncio.run(run())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model file (default: the shipped model)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--payload", choices=("pixels", "canvas"), default="pixels")
    parser.add_argument("--pace", type=float, default=0.0,
                        help="seconds between one client's requests (0: back to back)")
    parser.add_argument("--workers", type=int, default=None,
                        help="server processes (default: digitlab serve's own default)")
    parser.add_argument("--backend", choices=("auto", "numpy", "torch"), default="auto",
                        help="what runs the forward pass (digitlab serve --backend; default auto)")
    parser.add_argument("--asgi", action="store_true",
                        help="instead: time requests inside the app, one at a time, no HTTP")
    args = parser.parse_args()

    bodies = payloads(args.payload)
    if args.asgi:
        ms = asgi_cost(args.model, bodies, args.backend)
        print(f"{args.payload}: in-app cost per request over {len(ms)} requests: "
              f"p50 {np.percentile(ms, 50):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms, "
              f"mean {ms.mean():.2f} ms")
        return
    server, url = start_server(args.model, args.workers, args.backend)
    host, port = url.removeprefix("http://").rsplit(":", 1)
    requests = http_requests(host, int(port), bodies)
    try:
        run_loop(warm_up((host, int(port)), requests))  # 2 s, one client; not counted below
        cpu_before, client_before = cpu_seconds(server.pid), time.process_time()
        ms, errors, elapsed = run_loop(load((host, int(port)), requests, args.clients, args.seconds, args.pace))
        server_cpu = cpu_seconds(server.pid) - cpu_before
        client_cpu = time.process_time() - client_before
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    p50, p90, p99 = np.percentile(ms, [50, 90, 99]) if len(ms) else (float("nan"),) * 3
    pace = f"{args.pace:g} s" if args.pace else "closed loop"
    load1 = os.getloadavg()[0]
    per = max(1, len(ms))
    print("| backend | payload | clients | pace | seconds | requests | req/s | p50 ms | p90 ms | p99 ms | max ms "
          "| errors | server CPU ms/request | client CPU ms/request | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.backend} | {args.payload} | {args.clients} | {pace} | {elapsed:.1f} | {len(ms)} | {len(ms) / elapsed:.0f} "
          f"| {p50:.1f} | {p90:.1f} | {p99:.1f} | {ms.max() if len(ms) else float('nan'):.1f} "
          f"| {len(errors)} | {1000 * server_cpu / per:.2f} | {1000 * client_cpu / per:.2f} | {load1:.1f} |")


if __name__ == "__main__":
    main()
