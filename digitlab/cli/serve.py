"""`digitlab serve`: the drawing page and JSON API under uvicorn."""

from __future__ import annotations

import os
import socket

from digitlab.cli.common import port
from digitlab.errors import DigitlabError

# One process answers HTTP on one core at a time (the GIL): a second process uses the second core
WORKERS = min(2, os.cpu_count() or 1) if hasattr(os, "fork") else 1


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("serve", help="web page to draw digits, and a JSON API (needs digitlab[serve])")
    p.add_argument("--model", default=None,
                   help="a model .npz or run folder (default: the shipped model)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 exposes it to your network)")
    p.add_argument("--port", type=port, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--trust", action="store_true",
                   help="allow a model file that holds pickled scikit-learn objects (runs code: trusted files only)")
    p.add_argument("--max-body-bytes", type=int, default=8 * 2**20,
                   help="largest request body accepted (default 8 MiB; larger -> 413)")
    p.add_argument("--max-pixels", type=int, default=24_000_000,
                   help="largest image, width x height, decoded (default 24 million; larger -> 422)")
    p.add_argument("--workers", type=int, default=WORKERS,
                   help=f"server processes sharing the port (default {WORKERS}; see BENCHMARKS.md, Serving)")
    p.add_argument("--max-batch", type=int, default=8,
                   help="most concurrent pixel requests answered by one forward pass (default 8)")
    p.add_argument("--backend", choices=("auto", "numpy", "torch"), default="auto",
                   help="what runs the model's forward pass: torch (same answers, faster), numpy, "
                        "or auto: torch when installed and the model is a network (default)")
    p.add_argument("--db", default=None, metavar="PATH",
                   help="the SQLite file that keeps the page's corrections, for `digitlab adapt` "
                        "(default: corrections.db under $DIGITLAB_DATA or ~/.cache/digitlab)")
    p.add_argument("--token", default=None,
                   help="the token reading, adding and deleting corrections need (default $DIGITLAB_TOKEN; "
                        "off loopback without one, a random token is made and printed)")
    p.set_defaults(func=run)


def run(model, host, port, trust, max_body_bytes, max_pixels, workers, max_batch, backend, db, token):
    try:
        import uvicorn  # noqa: F401 - the extra's other half, checked here for one clear message

        from digitlab.serve.app import create_app
        from digitlab.serve.corrections import default_database, server_token
        from digitlab.serve.workers import serve
    except ImportError as exc:
        raise DigitlabError(f"serve needs an optional dependency ({exc.name}): pip install 'digitlab[serve]'")
    if workers < 1 or max_batch < 1:
        raise DigitlabError("--workers and --max-batch must be 1 or more")
    token, made = server_token(host, token)
    db = db or default_database()
    app = create_app(model, trust=trust, max_body_bytes=max_body_bytes, max_pixels=max_pixels,
                     max_batch=max_batch, backend=backend, corrections_db=db, token=token)
    sock = _listen(host, port)
    print(f"digitlab: corrections kept in {db}" + (f"; they need the token {token}" if made else
                                                   "; they need the token" if token else ""), flush=True)
    serve(app, sock, workers)
    print("digitlab: stopped", flush=True)
    return 0


def _listen(host: str, port: int):
    """Bind first, so a busy port is one clear line and the printed address is the real one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on connections whose socket says TCP. Without
    # it, Nagle holds back an answer's body behind its headers until the client's delayed ACK: ~40 ms each.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # connections queue from here on, so the printed address works at once
    except OSError as exc:
        sock.close()
        raise DigitlabError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"digitlab: serving on http://{shown}:{port}  (Ctrl-C to stop)", flush=True)
    return sock
