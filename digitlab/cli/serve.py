"""`digitlab serve`: the drawing page and JSON API under uvicorn."""

from __future__ import annotations

import socket

from digitlab.errors import DigitlabError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("serve", help="web page to draw digits, and a JSON API (needs digitlab[serve])")
    p.add_argument("--model", default=None,
                   help="a model .npz or run folder (default: the shipped model)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 exposes it to your network)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--trust", action="store_true",
                   help="allow a model file that holds pickled scikit-learn objects (runs code: trusted files only)")
    p.add_argument("--max-body-bytes", type=int, default=8 * 2**20,
                   help="largest request body accepted (default 8 MiB; larger -> 413)")
    p.add_argument("--max-pixels", type=int, default=24_000_000,
                   help="largest image, width x height, decoded (default 24 million; larger -> 422)")
    p.set_defaults(func=run)


def run(model, host, port, trust, max_body_bytes, max_pixels):
    try:
        import uvicorn

        from digitlab.serve.app import create_app
    except ImportError as exc:
        raise DigitlabError(f"serve needs an optional dependency ({exc.name}): pip install 'digitlab[serve]'")
    from threadpoolctl import threadpool_limits

    app = create_app(model, trust=trust, max_body_bytes=max_body_bytes, max_pixels=max_pixels)
    sock = _listen(host, port)
    # One image per request is too small to split across BLAS threads; extra threads only spin
    # and take CPU from the other requests (measured: 5.9 -> 3.3 ms of server CPU per request).
    try:
        with threadpool_limits(1):
            uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after a clean shutdown; stopping is the plan
        pass
    print("digitlab: stopped", flush=True)
    return 0


def _listen(host: str, port: int):
    """Bind first, so a busy port is one clear line and the printed address is the real one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
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
