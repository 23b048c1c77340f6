"""The JSON shapes of the API, as pydantic models (they become the OpenAPI schema).

Requests are validated here, before any model runs: a pixel list of the wrong
length, a NaN, a value outside 0-255 or a malformed base64 string is a 422
with a message naming the field. Responses mirror `digitlab.read.reader`'s
predictions, plus the 28x28 picture the model saw, so a client can show it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SIDE = 28
N_PIXELS = SIDE * SIDE

# strict: JSON numbers only; lax mode would take true/false and "12" as pixel values
Pixel = Annotated[float, Field(ge=0, le=255, allow_inf_nan=False, strict=True)]
Probability = Annotated[float, Field(ge=0, le=1)]
Status = Literal["ok", "unsure", "no digit"]


class PredictRequest(BaseModel):
    """One digit: either an encoded image or 784 pixel values, not both."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"pixels": [0] * N_PIXELS}, {"image": "iVBORw0KGgo...(base64 PNG)"}]})

    image: str | None = Field(
        None, max_length=64 * 2**20,
        description="a PNG/JPEG/GIF/BMP/WebP/TIFF file as base64 (a data: URL is fine too)")
    pixels: list[Pixel] | None = Field(
        None, min_length=N_PIXELS, max_length=N_PIXELS,
        description="784 values 0-255, row by row, white ink on black (MNIST's way round)")

    @model_validator(mode="after")
    def _exactly_one(self):
        if (self.image is None) == (self.pixels is None):
            raise ValueError("give exactly one of 'image' (base64) or 'pixels' (784 values)")
        return self


class ReadRequest(BaseModel):
    """A photo or scan of a number, one or more digits on a line."""

    model_config = ConfigDict(extra="forbid")

    image: str = Field(..., max_length=64 * 2**20,
                       description="a PNG/JPEG/GIF/BMP/WebP/TIFF file as base64 (a data: URL is fine too)")


class Guess(BaseModel):
    digit: int = Field(..., ge=0, le=9)
    probability: Probability


class Prediction(BaseModel):
    """What the model made of one digit."""

    digit: int | None = Field(..., ge=0, le=9,
                              description="the answer; null when status is 'no digit'")
    status: Status = Field(..., description="'ok', 'unsure' (low confidence) or 'no digit' (blank)")
    probability: Probability = Field(..., description="the model's probability for `digit`")
    probabilities: list[Probability] = Field(..., min_length=10, max_length=10,
                                             description="one per digit 0-9")
    top3: list[Guess] = Field(..., max_length=3, description="the three likeliest digits")
    input: list[list[Annotated[int, Field(ge=0, le=255)]]] = Field(
        ..., min_length=SIDE, max_length=SIDE,
        description="the 28x28 grey picture (rows of 0-255, white on black) the model saw")
    warnings: list[str] = Field(default_factory=list)


class Box(BaseModel):
    """A digit's place in the original image, in pixels: [x0, y0) to [x1, y1)."""

    x0: int
    y0: int
    x1: int
    y1: int


class ReadDigit(Prediction):
    box: Box


class Reading(BaseModel):
    """A number read left to right; `text` uses '?' for a place that is not a digit."""

    text: str
    digits: list[ReadDigit]
    width: int = Field(..., ge=1, description="the image's width in pixels")
    height: int = Field(..., ge=1, description="the image's height in pixels")
    warnings: list[str] = Field(default_factory=list)


class ModelCard(BaseModel):
    name: str
    source: str = Field(..., description="'shipped' or the path it was loaded from")
    info: dict = Field(default_factory=dict, description="the model file's metadata")


class ShippedModel(BaseModel):
    name: str = Field(..., description="pass as `digitlab serve --model NAME`")
    test_accuracy: float | None = Field(None, description="on its dataset's test split, from its card")
    card: dict = Field(default_factory=dict, description="how it was made: data, command, seed, machine")


class Models(BaseModel):
    active: ModelCard = Field(..., description="the model answering requests")
    shipped: list[ShippedModel] = Field(..., description="models inside the package, best first")


class Health(BaseModel):
    status: Literal["ok"]
    model: str
    corrections: Literal["off", "open", "token"] = Field(
        "off", description="whether corrections are kept, and whether they need the server's token")


class CorrectionRequest(BaseModel):
    """What a misread digit really is: the picture (as sent to /api/predict) and its label."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"image": "iVBORw0KGgo...(base64 PNG)", "label": 7}]})

    image: str | None = Field(None, max_length=64 * 2**20, description="the picture as base64, as for /api/predict")
    pixels: list[Pixel] | None = Field(None, min_length=N_PIXELS, max_length=N_PIXELS,
                                       description="or 784 values 0-255, white ink on black")
    label: int = Field(..., ge=0, le=9, strict=True, description="the digit it really is")

    @model_validator(mode="after")
    def _exactly_one(self):
        return PredictRequest._exactly_one(self)


class Correction(BaseModel):
    """One stored correction (its pictures stay in the database)."""

    id: int
    label: int = Field(..., ge=0, le=9)
    predicted: int | None = Field(..., description="the model's answer when it was stored; null for 'no digit'")
    height: int
    width: int
    has_upload: bool = Field(..., description="whether the raw upload is kept beside the model's input")
    model: str | None
    created: str = Field(..., description="UTC, ISO 8601")


class CorrectionPage(BaseModel):
    items: list[Correction] = Field(..., description="newest first")
    total: int
    offset: int
    limit: int


class Deleted(BaseModel):
    deleted: int


class Error(BaseModel):
    """Every 4xx answer: one line saying what was wrong."""

    detail: str
