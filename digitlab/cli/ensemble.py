"""`digitlab ensemble`: join trained models (and test-time augmentation) into one model file."""

from __future__ import annotations

from digitlab.errors import DigitlabError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "ensemble", help="average several models (and/or warped views) into one model file",
        description="Write one model file that averages the probabilities of its members (model files, run "
                    "folders or shipped names), optionally over shifted/rotated/scaled views of each image "
                    "(test-time augmentation). evaluate, predict, read and serve take the file as any model.")
    p.add_argument("models", metavar="MODEL", nargs="+", help="model .npz files, run folders or shipped names")
    p.add_argument("-o", "--output", required=True, help="the ensemble model file (.npz) to write")
    p.add_argument("--weights", type=_floats, default=None, help="one weight per model, e.g. 2,1,1")
    p.add_argument("--tta", action="store_true", help="also average over warped views (see --shifts ...)")
    p.add_argument("--shifts", type=_floats, default=[1.0], help="pixel shifts, 4 views each (default 1)")
    p.add_argument("--angles", type=_floats, default=[], help="rotations in degrees, 1 view each, e.g. -8,8")
    p.add_argument("--scales", type=_floats, default=[], help="zoom factors, 1 view each, e.g. 0.9,1.1")
    p.add_argument("--trust", action="store_true", help="allow member files holding pickled objects")
    p.set_defaults(func=run)


def run(models, output, weights, tta, shifts, angles, scales, trust):
    from digitlab.cli.export import load_any
    from digitlab.models import save_model
    from digitlab.models.ensemble import EnsembleClassifier
    from digitlab.models.tta import TTAClassifier

    loaded = [load_any(name, trust) for name in models]
    # a file that does not record its image size (older cards) takes whatever the others take
    shapes = {tuple(info["input_shape"]) for _, info, _ in loaded if info.get("input_shape")}
    if len(shapes) > 1:
        raise DigitlabError(f"the models take different image sizes: {sorted(shapes)}")
    fitted = [model for model, _, _ in loaded]
    model = fitted[0] if len(fitted) == 1 else EnsembleClassifier.from_fitted(fitted, weights=weights)
    if tta:
        model = TTAClassifier.from_fitted(model, shifts=tuple(shifts), angles=tuple(angles), scales=tuple(scales))
    elif len(fitted) == 1:
        raise DigitlabError("one model and no --tta: nothing to combine")
    info = {"classes": model.classes_.tolist(), "members": [name for _, _, name in loaded]}
    if shapes:  # evaluate checks the data against it
        info["input_shape"] = list(shapes.pop())
    path = save_model(model, output, info=info)
    print(f"wrote {path}: {len(fitted)} model(s){', test-time augmentation' if tta else ''}")
    return 0


def _floats(text: str) -> list[float]:
    """'-8,8' -> [-8.0, 8.0]"""
    import argparse

    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}")
