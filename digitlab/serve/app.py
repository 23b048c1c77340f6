"""The web app: a drawing page and a JSON API around one `digitlab.read.reader.Reader`.

This is the one module that imports FastAPI. `create_app` loads the model once
(so a bad `--model` fails at start-up, not on the first request) and returns
an ASGI app:

    GET  /                 the drawing page (static/index.html, app.js, style.css)
    POST /api/predict      one digit: base64 image or 784 pixel values -> Prediction
    POST /api/read         a number: base64 image -> Reading (digits with boxes)
    GET  /api/models       the model answering, and the models shipped in the package
    GET  /api/health       liveness
    POST /api/corrections  what a misread digit really is -> stored (see `corrections`)
    GET  /api/corrections  the stored ones, newest first, paged (?offset=&limit=)
    DELETE /api/corrections/{id}, DELETE /api/corrections   forget one, or all
    GET  /docs, /openapi.json   the schema, from the pydantic models in `schemas`

Every user mistake is a 4xx whose body is `{"detail": "one line"}`: 413 for a
body over the cap (`limits.BodyLimit`), 422 for anything we cannot read.
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic_core import to_json
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from digitlab import __version__
from digitlab.errors import DigitlabError
from digitlab.files import _jsonable
from digitlab.models.pretrained import list_pretrained
from digitlab.read.reader import Reader
from digitlab.serve import images, schemas
from digitlab.serve.batching import Batcher
from digitlab.serve.corrections import Corrections
from digitlab.serve.limits import DEFAULT_MAX_BODY, BodyLimit

STATIC = Path(str(resources.files("digitlab.serve") / "static"))
ERRORS = {413: {"model": schemas.Error, "description": "request body over the size cap"},
          422: {"model": schemas.Error, "description": "an image or pixel list we cannot use"}}
BACKENDS = ("auto", "numpy", "torch")  # what runs the forward pass of /api/predict (see `_batch_reader`)
ROW_ID_MAX = 2**63 - 1  # SQLite's largest integer: a row id or offset past it cannot exist
# The page loads nothing from elsewhere; saying so to the browser keeps it true.
CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'"


def create_app(model=None, *, trust: bool = False, reader=None,
               max_body_bytes: int = DEFAULT_MAX_BODY,
               max_pixels: int = images.DEFAULT_MAX_PIXELS, max_batch: int = 8, backend: str = "auto",
               corrections_db=None, token: str | None = None):
    """The FastAPI app serving `model` (None: the shipped default; a shipped name; a path).

    Parameters
    ----------
    model : str or Path, optional
        Passed to `Reader.load`; ignored when `reader` is given.
    trust : bool
        Allow a model file holding pickled scikit-learn objects (runs code).
    reader : Reader, optional
        An already-loaded reader (tests, or embedding in a bigger app).
    max_body_bytes : int
        Largest request body accepted, counted as it arrives (413 beyond it).
    max_pixels : int
        Largest image, width x height, we will decode (422 beyond it).
    max_batch : int
        Most concurrent digits answered by one forward pass (see `batching`).
    backend : "auto", "numpy" or "torch"
        What runs /api/predict's forward pass: "torch" runs the network in torch
        (same probabilities, about twice as fast), "numpy" the model as loaded,
        "auto" torch when it is installed and the model is a network. The app's
        `state.backend` says which one runs.
    corrections_db : path, optional
        The SQLite file that keeps corrections (None: the corrections API answers 503).
    token : str, optional
        Required as `Authorization: Bearer <token>` by every corrections call (401 without it).
    """
    if reader is None:
        reader = Reader.load(model=model, trust=trust)
    card = _model_card(reader, model)
    shipped = _shipped_cards()

    api = FastAPI(title="digitlab", version=__version__,
                  description="Read handwritten digits: one digit, or a number in a photo.")
    _add_error_handlers(api)

    # Inference writes nothing on the model, so /api/read's threads share it; /api/predict's
    # concurrent digits are gathered into one forward pass by the batcher.
    batch_reader, api.state.backend = _batch_reader(reader, backend)
    batcher = Batcher(_forward(batch_reader), max_batch=max_batch)

    @api.post("/api/predict", response_model=schemas.Prediction, responses=ERRORS)
    async def predict(request: schemas.PredictRequest):
        """Read one digit from an image (base64) or from 784 pixel values (0-255, white on black)."""
        if request.pixels is not None:
            image, notes = reader.pixels_image(request.pixels), []
            if blank := reader.blank_canvas(image):
                return _json(_prediction(blank))
        else:  # decoding and preprocessing take milliseconds to tens of them: a worker thread
            prepared = await run_in_threadpool(_prepare_image, reader, request.image, max_pixels)
            if not prepared.has_digit:
                return _json(_prediction(reader.no_digit(prepared.input, prepared.warnings)))
            image, notes = prepared.input, prepared.warnings
        # concurrent requests share one forward pass, run off the event loop (see `batching`)
        return _json(_prediction(await batcher.submit((image, notes))))

    @api.post("/api/read", response_model=schemas.Reading, responses=ERRORS)
    async def read(request: schemas.ReadRequest):
        """Read a number (one or more digits on a line) from an image (base64)."""
        return await run_in_threadpool(_read_number, reader, request.image, max_pixels)

    @api.get("/api/models", response_model=schemas.Models)
    async def models():
        """The model answering requests, and the models shipped with digitlab."""
        return {"active": card, "shipped": shipped}

    @api.get("/api/health", response_model=schemas.Health)
    async def health():
        kept_how = "off" if kept is None else "token" if token else "open"
        return {"status": "ok", "model": card["name"], "corrections": kept_how}

    kept = None if corrections_db is None else Corrections(reader, corrections_db, token)
    _add_correction_routes(api, kept, max_pixels)

    @api.get("/", include_in_schema=False)
    def index():
        return FileResponse(STATIC / "index.html", headers={"Content-Security-Policy": CSP})

    api.mount("/static", StaticFiles(directory=STATIC), name="static")
    api.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    return api


def _add_correction_routes(api, kept, max_pixels: int) -> None:
    """POST, GET and DELETE /api/corrections: each behind the token rule (`Corrections.allows`)."""

    def authorised(authorization: str | None = Header(None, description="Bearer <token>, off loopback")):
        if kept is None:
            raise HTTPException(503, "this server keeps no corrections (start it with `digitlab serve --db`)")
        if not kept.allows(authorization):
            raise HTTPException(401, "corrections need the server's token: Authorization: Bearer <token>",
                                headers={"WWW-Authenticate": "Bearer"})

    refusals = {**ERRORS, 401: {"model": schemas.Error, "description": "the server's token is missing or wrong"},
                503: {"model": schemas.Error, "description": "this server keeps no corrections"}}
    guarded = {"dependencies": [Depends(authorised)], "responses": refusals}

    @api.post("/api/corrections", status_code=201, response_model=schemas.Correction, **guarded)
    async def add_correction(request: schemas.CorrectionRequest):
        """Store what a digit really is; the server prepares the picture as /api/predict does."""
        return await run_in_threadpool(kept.add, request.image, request.pixels, request.label, max_pixels)

    @api.get("/api/corrections", response_model=schemas.CorrectionPage, **guarded)
    async def list_corrections(offset: int = Query(0, ge=0, le=ROW_ID_MAX), limit: int = Query(50, ge=1, le=500)):
        return await run_in_threadpool(kept.page, offset, limit)

    @api.delete("/api/corrections/{correction_id}", status_code=204, dependencies=guarded["dependencies"],
                responses={**refusals, 404: {"model": schemas.Error, "description": "no such correction"}})
    async def delete_correction(correction_id: int = PathParam(..., ge=1, le=ROW_ID_MAX)):
        if not await run_in_threadpool(kept.store.delete, correction_id):
            raise HTTPException(404, f"no correction {correction_id}")
        return Response(status_code=204)

    @api.delete("/api/corrections", response_model=schemas.Deleted, **guarded)
    async def delete_all_corrections():
        """Forget every stored correction (a person owns their data)."""
        return {"deleted": await run_in_threadpool(kept.store.delete_all)}


def _forward(reader):
    """A batch function for `Batcher`: [(uint8 (H, W) input, its warnings)] -> [Prediction]."""
    def predict(items):
        return reader.predict_inputs([image for image, _ in items], [notes for _, notes in items])
    return predict


def _batch_reader(reader, backend: str):
    """(the reader the batch thread calls, "torch" or "numpy"): `reader` with its network run by torch
    when `backend` asks for it and it can be (see `digitlab.torch_engine.inference`)."""
    if backend not in BACKENDS:
        raise DigitlabError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if backend == "numpy":
        return reader, "numpy"
    try:
        from digitlab.torch_engine.inference import TorchForward, can_run
    except ImportError:  # torch is an optional extra: the model as loaded answers
        if backend == "torch":
            raise DigitlabError("--backend torch needs torch: pip install 'digitlab[torch]'") from None
        return reader, "numpy"
    if not can_run(reader.model):
        if backend == "torch":
            raise DigitlabError(f"--backend torch runs network models only, not {type(reader.model).__name__}")
        return reader, "numpy"
    fast = copy.copy(reader)  # calibration, classes and shape shared; only the model differs
    fast.model = TorchForward(reader.model, threads=1)
    return fast, "torch"


def _prepare_image(reader, image: str, max_pixels: int):
    """A base64 picture, checked against the pixel cap, preprocessed into the model's input."""
    data = images.decode_base64(image)
    images.image_size(data, max_pixels)
    return reader.prepare(data)


def _read_number(reader, image: str, max_pixels: int) -> dict:
    data = images.decode_base64(image)
    width, height = images.image_size(data, max_pixels)
    r = reader.read_number(data)
    digits = [{**d.to_dict(), "box": dict(zip(("x0", "y0", "x1", "y1"), map(int, d.box)))}
              for d in r.digits]
    return {"text": r.text, "digits": digits, "width": width, "height": height,
            "warnings": [str(w) for w in r.warnings]}


def _prediction(p) -> dict:
    """A prediction as `schemas.Prediction`'s fields (one digit has no box)."""
    out = p.to_dict()
    out.pop("box", None)
    return out


def _json(payload: dict) -> Response:
    """Our own answer, already in the schema's shape: skips FastAPI re-validating it per request."""
    return Response(to_json(payload), media_type="application/json")


def _add_error_handlers(api) -> None:
    """Every error body is `{"detail": "one line"}`, matching `schemas.Error`."""

    @api.exception_handler(DigitlabError)
    def user_error(request: Request, exc: DigitlabError):
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @api.exception_handler(RequestValidationError)
    def invalid_request(request: Request, exc: RequestValidationError):
        return JSONResponse({"detail": _one_line(exc.errors())}, status_code=422)

    @api.exception_handler(HTTPException)
    def http_error(request: Request, exc: HTTPException):
        if exc.status_code == 400:  # FastAPI's answer to a body its JSON parser could not take
            return JSONResponse({"detail": _unparsed_body(exc.__cause__)}, status_code=422)
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code,
                            headers=exc.headers)


def _unparsed_body(cause) -> str:
    """Why FastAPI could not parse a body (it raises its 400 from the parser's own exception)."""
    if isinstance(cause, RecursionError):
        return "body is JSON nested too deeply to read (requests here nest at most a few levels)"
    if isinstance(cause, UnicodeDecodeError):
        return "body is not UTF-8 text, so not JSON"
    return "body is not valid JSON (UTF-8 text)"


def _one_line(errors) -> str:
    """pydantic's error list as one line: the first problem, and how many more there are."""
    if not errors:
        return "invalid request"
    first = errors[0]
    # a field name may hold any character, a newline too: one that is not a plain name is quoted
    where = ".".join(str(part) if str(part).isidentifier() or isinstance(part, int) else repr(str(part))
                     for part in first.get("loc", ()) if part != "body") or "body"
    line = f"{where}: {first.get('msg', 'invalid')}"
    if first.get("type") == "json_invalid":
        line = f"body is not valid JSON ({first.get('ctx', {}).get('error', 'parse error')})"
    if len(errors) > 1:
        line += f" (and {len(errors) - 1} more problem{'s' * (len(errors) > 2)})"
    return line


def _model_card(reader, model) -> dict:
    return {"name": str(reader.name), "source": str(model) if model else "shipped",
            "info": json.loads(json.dumps(reader.info, default=_jsonable))}


def _shipped_cards() -> list[dict]:
    """The package's models, best first; their file paths stay on the server."""
    cards = []
    for card in list_pretrained():
        card = {key: value for key, value in card.items() if key != "path"}
        cards.append({"name": card["name"], "test_accuracy": card.get("test_accuracy"),
                      "card": json.loads(json.dumps(card, default=_jsonable))})
    return cards
