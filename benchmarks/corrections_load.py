"""Many people correcting at once: `digitlab serve` on 127.0.0.1, its SQLite store counted afterwards.

    .venv/bin/python benchmarks/corrections_load.py --clients 50 --seconds 20

Starts `digitlab serve --db TMP/corrections.db` (its default two worker
processes, each with its own connections to the one file) and runs --clients
threads, each posting corrections one after another on its own keep-alive
connection for --seconds, while one more thread asks /api/predict every 0.12 s
as the drawing page does. Each correction is an MNIST test digit whose first
three pixels carry (client, sequence), so afterwards every stored row is
traced to the request that made it: a row no 201 answer promised is a
duplicate, a 201 answer with no row is a loss. Prints one Markdown table row.
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from serve_load import payloads

from digitlab.data.corrections import CorrectionStore


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()

    digits = [np.array(body["pixels"]) for body in payloads("pixels", 200)]
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "corrections.db"
        server, port = start_server(db, args.model)
        try:
            stop = time.monotonic() + args.seconds
            promised, errors, latencies = [], [], []
            lock = threading.Lock()
            clients = [threading.Thread(target=corrector, args=(c, port, digits, stop, promised, errors, lock))
                       for c in range(args.clients)]
            asker = threading.Thread(target=predictor, args=(port, digits, stop, latencies, errors, lock))
            for thread in [*clients, asker]:
                thread.start()
            for thread in [*clients, asker]:
                thread.join()
        finally:
            server.terminate()
            server.wait(timeout=30)
        stored = traced(CorrectionStore(db))
    lost = len(set(promised) - set(stored))
    duplicated = len(stored) - len(set(stored)) + len(set(stored) - set(promised))
    p99 = np.percentile(latencies, 99) * 1000 if latencies else float("nan")
    print("| clients | seconds | corrections answered 201 | rows stored | errors | lost | duplicated | "
          "predictions answered | prediction p99 ms |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {args.clients} | {args.seconds:.0f} | {len(promised)} | {len(stored)} | {len(errors)} | {lost} | "
          f"{duplicated} | {len(latencies)} | {p99:.0f} |")
    for error in errors[:5]:
        print("error:", error)


def start_server(db, model):
    command = [sys.executable, "-m", "digitlab", "serve", "--port", "0", "--db", str(db)]
    command += ["--model", model] if model else []
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    if not line.startswith("digitlab: serving on "):
        server.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return server, int(line.split()[3].rsplit(":", 1)[1])


def corrector(client, port, digits, stop, promised, errors, lock):
    """Post corrections back to back; remember each (client, sequence) the server answered 201 for."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    sequence = 0
    while time.monotonic() < stop:
        pixels = digits[(client * 7 + sequence) % len(digits)].copy()
        pixels[:3] = (client, sequence % 256, sequence // 256)  # the corner MNIST leaves black
        body = json.dumps({"pixels": pixels.tolist(), "label": int((client + sequence) % 10)})
        try:
            conn.request("POST", "/api/corrections", body, {"Content-Type": "application/json"})
            answer = conn.getresponse()
            text = answer.read()
            with lock:
                if answer.status == 201:
                    promised.append((client, sequence))
                else:
                    errors.append(f"{answer.status} {text[:200]!r}")
        except (OSError, http.client.HTTPException) as exc:
            with lock:
                errors.append(repr(exc))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        sequence += 1


def predictor(port, digits, stop, latencies, errors, lock):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    i = 0
    while time.monotonic() < stop:
        start = time.perf_counter()
        conn.request("POST", "/api/predict", json.dumps({"pixels": digits[i % len(digits)].tolist()}),
                     {"Content-Type": "application/json"})
        answer = conn.getresponse()
        answer.read()
        with lock:
            (latencies.append(time.perf_counter() - start) if answer.status == 200
             else errors.append(f"predict {answer.status}"))
        i += 1
        time.sleep(max(0.0, 0.12 - (time.perf_counter() - start)))


def traced(store) -> list[tuple[int, int]]:
    """(client, sequence) of every stored row, read back from its pixels."""
    images, _ = store.examples()
    flat = images.reshape(len(images), -1).astype(int)
    return [(int(a), int(b) + 256 * int(c)) for a, b, c in flat[:, :3]]


if __name__ == "__main__":
    main()
