"""The web app's corrections: what a person says a misread digit really is, kept for `digitlab adapt`.

    kept = Corrections(reader, "corrections.db", token=None)
    kept.allows("Bearer ...")                    # the token rule (always true without a token)
    kept.add(image=b64, pixels=None, label=7)    # -> the stored row
    kept.page(offset, limit)                     # -> {"items", "total", "offset", "limit"}

The server prepares the picture itself, exactly as `/api/predict` does, and
stores that 28x28 input, the raw upload, the label, the model's own answer and
the time (`digitlab.data.corrections`). FastAPI stays in app.py; this module is
plain Python, so the rules are tested without a server.

Stored handwriting is personal data. A server listening beyond loopback gets a
token (`digitlab serve --token`, or `DIGITLAB_TOKEN`), and every corrections
call must bring it as `Authorization: Bearer <token>`; predictions stay open.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets

from digitlab.data.corrections import CorrectionStore
from digitlab.data.download import data_root
from digitlab.errors import DigitlabError
from digitlab.serve.images import decode_base64, image_size

TOKEN_ENV = "DIGITLAB_TOKEN"
DEFAULT_NAME = "corrections.db"


def default_database(data_dir=None):
    """Where corrections live unless `--db` says: beside digitlab's data ($DIGITLAB_DATA or ~/.cache/digitlab)."""
    return data_root(data_dir) / DEFAULT_NAME


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it could resolve to anything
        return False


def server_token(host: str, given: str | None) -> tuple[str | None, bool]:
    """(the token corrections need or None, whether it was made up here) for a server on `host`.

    A token given (flag, else environment) is always enforced; beyond loopback
    with none given, a random one is made, for the server to print.
    """
    token = given or os.environ.get(TOKEN_ENV) or None
    if token is not None or is_loopback(host):
        return token, False
    return secrets.token_urlsafe(24), True


class Corrections:
    """A store of corrections behind the token rule, fed by `reader`'s own preprocessing and answers."""

    def __init__(self, reader, path, token: str | None = None):
        self.reader = reader
        self.store = CorrectionStore(path)
        self.token = token

    def allows(self, authorization: str | None) -> bool:
        """Whether an `Authorization` header value carries the token (compared in constant time)."""
        if self.token is None:
            return True
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(given.strip().encode(), self.token.encode())

    def add(self, image: str | None, pixels, label: int, max_pixels: int) -> dict:
        """Store one correction from a base64 picture or 784 pixel values; the row as stored."""
        upload = None
        if pixels is not None:
            seen = self.reader.pixels_image(pixels)
            if self.reader.blank_canvas(seen):
                raise DigitlabError("pixels: the canvas is blank: nothing to learn from")
        else:
            upload = decode_base64(image)
            image_size(upload, max_pixels)
            prepared = self.reader.prepare(upload)
            if not prepared.has_digit:
                raise DigitlabError("image: no digit found in it: nothing to learn from ("
                                    + ("; ".join(prepared.warnings) or "no ink") + ")")
            seen = prepared.input
        answer = self.reader.predict_inputs([seen])[0].digit
        return self.store.add(seen, label, predicted=answer, upload=upload, model=str(self.reader.name))

    def page(self, offset: int, limit: int) -> dict:
        items, total = self.store.list(offset, limit)
        return {"items": items, "total": total, "offset": offset, "limit": limit}
