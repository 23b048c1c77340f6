"""Read digits from people's pictures: the API behind `predict`, `read` and the web app.

    reader = Reader.load()                   # the shipped default model
    p = reader.predict_image("photo.jpg")    # one digit
    p.digit, p.status, p.probability, p.top3, p.input, p.warnings
    r = reader.read_number("cheque.png")     # a line of digits
    r.text, [d.box for d in r.digits]

Every answer is calibrated (see `calibration.py`) and says when it should not
be trusted: status "no digit" for blank paper or noise, "unsure" when the
model's digit score (digit-likeness joined with its own probability; see
`calibration.digit_score`) is below the threshold fitted for that model.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from digitlab.errors import DigitlabError
from digitlab.models.pretrained import HERE as PRETRAINED
from digitlab.preprocess import prepare
from digitlab.read.calibration import (
    Calibration,
    calibration_beside,
    calibration_path,
    load_calibration,
)
from digitlab.read.digitness import digitness
from digitlab.read.digitness import threshold as digitness_threshold

MIN_INK = 0.004  # share of full-white pixel mass below which a canvas is blank


@dataclass
class Prediction:
    """One digit's answer; `probabilities` are calibrated, one per class."""

    digit: int | None
    status: str  # "ok" | "unsure" | "no digit"
    probability: float
    probabilities: list
    input: np.ndarray  # uint8 (H, W): what the model saw
    warnings: list = field(default_factory=list)
    box: tuple | None = None  # (x0, y0, x1, y1) in the original picture, x1/y1 exclusive

    @property
    def top3(self) -> list[tuple[int, float]]:
        if self.digit is None:
            return []
        order = np.argsort(-np.asarray(self.probabilities), kind="stable")[:3]
        return [(int(d), float(self.probabilities[d])) for d in order]

    def to_dict(self) -> dict:
        """Plain JSON types: what `predict --json` prints and the web API answers."""
        out = {"digit": None if self.digit is None else int(self.digit), "status": self.status,
               "probability": float(self.probability),
               "probabilities": [float(v) for v in self.probabilities],
               "top3": [{"digit": d, "probability": p} for d, p in self.top3],
               "input": np.asarray(self.input, dtype=np.uint8).tolist(),
               "warnings": [str(w) for w in self.warnings]}
        if self.box is not None:
            out["box"] = [int(v) for v in self.box]
        return out

    def _repr_html_(self) -> str:  # a notebook shows the input, the answer and its top 3
        from digitlab.read.display import prediction_html

        return prediction_html(self)


class Reader:
    """A fitted digit model plus its calibration and input shape.

    Parameters
    ----------
    model : estimator with `predict_proba` on float32 (n, H*W) in [0, 1].
    info : the model file's info (`input_shape`, `classes`, `name`...).
    calibration : `Calibration`, temperature 1 and "unsure" below 0.5 when None.
    deskew : straighten slanted writing before predicting.
    check_digitness : judge "unsure" by the digit score, which also catches
        inputs that do not look like digits (letters, scribbles) however
        sure the model is (28x28 models only; otherwise the calibrated
        probability alone).
    """

    def __init__(self, model, info=None, calibration: Calibration | None = None, name=None,
                 deskew: bool = False, check_digitness: bool = True):
        self.model = model
        self.info = dict(info or {})
        self.calibration = calibration or Calibration()
        self.name = name or self.info.get("name") or "model"
        self.deskew = deskew
        self.check_digitness = check_digitness
        self.shape = tuple(self.info.get("input_shape") or (28, 28))
        classes = self.info.get("classes") or getattr(model, "classes_", range(10))
        self.classes = [int(c) for c in classes]

    @classmethod
    def load(cls, model=None, trust: bool = False, calibration=None, deskew: bool = False) -> Reader:
        """A reader for `model`: None (the shipped default), a shipped model's name, or a path.

        `calibration`: None finds the model's own file (shipped: in
        digitlab/models/pretrained; a path: `<model>.calibration.json` beside it),
        False uses none, a path reads that file.
        """
        fitted, info, name, own = _load_model(model, trust)
        if calibration is False:
            found = Calibration()
        else:
            found = load_calibration(own if calibration is None else calibration)
        return cls(fitted, info, found, name, deskew)

    # -- one digit --------------------------------------------------------------

    def prepare(self, image):
        """The preprocessing this reader applies (see `digitlab.preprocess.prepare`).

        A picture near half dark (a thick digit cropped to its box: `Ink.doubtful`)
        does not say which side is ink, so it is prepared both ways and the
        input that looks more like a digit to this reader is kept. A picture
        already at the model's size may also be read as it stands (`_or_as_given`).
        """
        prepared = prepare(image, self.shape, deskew=self.deskew)
        if prepared.ink is not None and prepared.ink.doubtful:
            flipped = prepare(prepared.grey, self.shape, deskew=self.deskew, dark_ink=not prepared.ink.inverted)
            prepared = self._more_digit_like(prepared, flipped)
        if prepared.grey is not None and prepared.grey.shape == self.shape and self._has_digit_score:
            return self._or_as_given(prepared)
        return prepared

    @property
    def _has_digit_score(self) -> bool:
        """Whether `digit_scores` is the fitted digit score (digit-likeness and the model's own
        probability), not the bare top probability, which a weak model gives a negative as readily."""
        return self.check_digitness and self.calibration.reject_below is not None

    def _or_as_given(self, prepared):
        """`prepared`, or the picture itself when it is already this model's input and reads better.

        A picture at the model's own size (a dataset's digit saved as a file: MNIST-C, a Kaggle
        row) was made for the model; preprocessing can only lose what it got right, and damage
        misleads it: columns of inverted paper were taken for the page, a line drawn across
        for a stroke. The picture as given is kept when it looks more like a digit. Where
        preprocessing found no digit at all, it must be read confidently to overrule that,
        so noise at 28x28 stays "no digit". Only with a fitted digit score to judge.
        """
        height, width = self.shape
        as_given = replace(prepared, input=np.round(prepared.grey * 255).astype(np.uint8), has_digit=True,
                           warnings=prepared.warnings if prepared.has_digit else [], box=(0, 0, width, height),
                           as_given=True)
        if prepared.has_digit:
            return self._more_digit_like(prepared, as_given)
        return as_given if self.predict_inputs([as_given.input])[0].status == "ok" else prepared

    def _more_digit_like(self, *candidates):
        """The candidate `Prepared` whose input has the higher digit score (one with a digit beats none)."""
        found = [c for c in candidates if c.has_digit]
        if len(found) < 2:
            return (found or candidates)[0]
        scores = self.digit_scores(np.stack([c.input for c in found]))
        return found[int(np.argmax(scores))]

    def digit_scores(self, inputs) -> np.ndarray:
        """How digit-like each uint8 input (n, H, W) is, (n,): the calibrated digit score
        (`calibration.digit_score`) where this reader has one, else its log top probability."""
        raw = self.raw_proba(np.asarray(inputs, dtype=np.uint8))
        score = self.calibration.digit_score(raw, digitness(inputs) if self.check_digitness else None)
        return np.log(np.clip(raw.max(axis=1), 1e-12, None)) if score is None else score

    def predict_image(self, image) -> Prediction:
        """One digit from bytes, a path, a PIL image or an (H, W[, 3|4]) array."""
        prepared = self.prepare(image)
        if not prepared.has_digit:
            return self.no_digit(prepared.input, prepared.warnings)
        return self.predict_inputs([prepared.input], [prepared.warnings], [prepared.box])[0]

    def predict_pixels(self, pixels) -> Prediction:
        """One digit from H*W values (or (H, W)) already in model space: 0-255, white on black."""
        image = self.pixels_image(pixels)
        return self.blank_canvas(image) or self.predict_inputs([image])[0]

    def pixels_image(self, pixels) -> np.ndarray:
        """uint8 (H, W) model input from H*W values (or (H, W)) 0-255; a clear error for anything else."""
        values = np.asarray(pixels, dtype=np.float64)
        size = self.shape[0] * self.shape[1]
        if values.size != size:
            raise DigitlabError(f"this model reads {self.shape[0]}x{self.shape[1]} images: expected {size} "
                                f"pixel values, got {values.size}")
        if not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > 255:
            raise DigitlabError("pixel values must be numbers from 0 to 255")
        return np.round(values.reshape(self.shape)).astype(np.uint8)

    def blank_canvas(self, image) -> Prediction | None:
        """The "no digit" answer when a model-space canvas has (almost) no ink, else None."""
        if image.sum() < MIN_INK * 255 * image.size:
            return self.no_digit(image, ["no ink found (blank or nearly blank canvas)"])
        return None

    def predict_inputs(self, inputs, warnings=None, boxes=None) -> list[Prediction]:
        """Predictions for prepared uint8 inputs (n, H, W) in one model call."""
        inputs = np.asarray(inputs, dtype=np.uint8)
        raw = self.raw_proba(inputs)
        proba = self.calibration.apply(raw)
        looks_like = digitness(inputs) if self.check_digitness else None
        like_below = digitness_threshold()
        confident = self.calibration.confident(raw, looks_like, like_below)
        out = []
        for i, row in enumerate(proba):
            best = int(np.argmax(row))
            notes = list(warnings[i]) if warnings else []
            if not confident[i] and looks_like is not None and looks_like[i] < like_below:
                notes.append(f"does not look like a handwritten digit (digit-likeness {looks_like[i]:.3f})")
            out.append(Prediction(self.classes[best], "ok" if confident[i] else "unsure", float(row[best]),
                                  [float(v) for v in row], inputs[i], notes, boxes[i] if boxes else None))
        return out

    def predict_files(self, paths, chunk_size: int = 256):
        """Yield `(path, Prediction or DigitlabError)` for each path, in order.

        Files are decoded and predicted `chunk_size` at a time, so a folder of
        any size runs in bounded memory; a bad file yields its error and the
        rest are still read.
        """
        chunk = []
        for path in paths:
            chunk.append(path)
            if len(chunk) == chunk_size:
                yield from self._predict_chunk(chunk)
                chunk = []
        yield from self._predict_chunk(chunk)

    def _predict_chunk(self, paths):
        results, ready = {}, []
        for path in paths:
            try:
                prepared = self.prepare(path)
            except DigitlabError as exc:
                results[path] = exc
                continue
            if prepared.has_digit:
                ready.append((path, prepared))
            else:
                results[path] = self.no_digit(prepared.input, prepared.warnings)
        if ready:
            found = self.predict_inputs([p.input for _, p in ready], [p.warnings for _, p in ready],
                                        [p.box for _, p in ready])
            results.update(zip([path for path, _ in ready], found))
        return [(path, results[path]) for path in paths]

    def no_digit(self, image, warnings) -> Prediction:
        return Prediction(None, "no digit", 0.0, [0.0] * len(self.classes), np.asarray(image, np.uint8),
                          list(warnings))

    def raw_proba(self, inputs: np.ndarray) -> np.ndarray:
        """Uncalibrated class probabilities (n, k) for uint8 inputs (n, H, W)."""
        features = inputs.reshape(len(inputs), -1).astype(np.float32) / np.float32(255.0)
        return np.asarray(self.model.predict_proba(features), dtype=np.float64)

    def label_index(self, labels) -> np.ndarray:
        """Digit labels -> column indices of `raw_proba`."""
        lookup = {c: i for i, c in enumerate(self.classes)}
        return np.array([lookup[int(y)] for y in labels])

    # -- a number -----------------------------------------------------------------

    def read_number(self, image, line_model: bool = True):
        """A line of digits, read left to right (see `digitlab.read.segment`); `line_model=False` trusts the
        cuts alone (see `digitlab.read.line_check`)."""
        from digitlab.read.segment import read_line

        return read_line(self, image, line_model)


def shipped_model_names() -> list[str]:
    """Names of the models inside the package (digitlab/models/pretrained/<name>.npz)."""
    return sorted(path.stem for path in PRETRAINED.glob("*.npz"))


def _load_model(model, trust: bool):
    """(model, info, name, calibration file) for None, a shipped name, or a path."""
    from digitlab.models.modelfile import load_model

    if model is None:
        return _load_default()
    path = Path(model)
    if not path.exists() and (PRETRAINED / f"{model}.npz").is_file():
        from digitlab.models.pretrained import load_pretrained

        fitted, card = load_pretrained(str(model))
        return fitted, card, str(model), calibration_path(str(model))
    if not path.exists():
        raise DigitlabError(f"{model}: no such model file, run folder or shipped model "
                            f"(shipped: {', '.join(shipped_model_names()) or 'none'})")
    fitted, info = load_model(path, trust=trust)
    return fitted, info, info.get("name") or path.stem, calibration_beside(path)


def _load_default():
    try:
        from digitlab.models.pretrained import load_pretrained
    except ImportError as exc:
        raise DigitlabError("no shipped model in this install; pass a model file with --model") from exc
    loaded = load_pretrained()
    fitted, info = loaded if isinstance(loaded, tuple) else (loaded, {})
    name = (info or {}).get("name") or "default"
    return fitted, info, name, calibration_path(name)
