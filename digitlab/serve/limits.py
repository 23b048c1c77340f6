"""Request-size cap as plain ASGI middleware, counting bytes as they arrive.

A `Content-Length` header can lie and a chunked body has none, so the header
only lets us refuse early; the real check wraps `receive` and counts every
chunk. Once the count passes the cap we stop reading, drop whatever the app
would have answered, and reply 413 ourselves. Nothing here imports a web
framework: it works under any ASGI server or app.
"""

from __future__ import annotations

import json

DEFAULT_MAX_BODY = 8 * 2**20  # a phone photo, base64-encoded, fits comfortably


class BodyTooLarge(Exception):
    """Raised inside the app's `receive` to stop it reading any further."""


class BodyLimit:
    """Wrap an ASGI `app` so no request body longer than `max_bytes` reaches it."""

    def __init__(self, app, max_bytes: int = DEFAULT_MAX_BODY):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if _declared_length(scope) > self.max_bytes:
            return await self._refuse(send)

        received = 0
        over = False
        started = False

        async def counting_receive():
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    over = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message):
            nonlocal started
            if over and not started:  # the app's answer to a truncated body: ours replaces it
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            pass
        if over and not started:
            await self._refuse(send)

    async def _refuse(self, send):
        body = json.dumps({"detail": f"request body is larger than {self.max_bytes} bytes"},
                          separators=(",", ":")).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _declared_length(scope) -> int:
    """The Content-Length header as a number (0 when absent; a bad one counts as too big)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 2**63
    return 0
