"""`digitlab inspect`: show every preprocessing stage of one image, and why it may be misread."""

from __future__ import annotations

from pathlib import Path

from digitlab.errors import DigitlabError

FORMATS = {".png", ".pdf", ".svg", ".jpg", ".jpeg"}


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("inspect", help="draw the preprocessing stages of one image")
    p.add_argument("image", metavar="IMAGE", help="an image file")
    p.add_argument("-o", "--output", default="stages.png", help="where to write the figure (default stages.png)")
    p.add_argument("--model", default=None,
                   help="a model .npz, run folder or shipped model name (default: the shipped default)")
    p.add_argument("--trust", action="store_true",
                   help="allow a model file that holds pickled scikit-learn objects (runs code: trusted files only)")
    p.add_argument("--deskew", action="store_true", help="straighten slanted writing first")
    p.set_defaults(func=run)


def run(image, output, model, trust, deskew):
    from digitlab.preprocess import prepare
    from digitlab.preprocess.inspect import draw_stages
    from digitlab.read.reader import Reader

    if Path(output).suffix.lower() not in FORMATS:
        raise DigitlabError(f"{output}: choose a .png, .pdf, .svg or .jpg file name")
    try:
        reader = Reader.load(model, trust=trust, deskew=deskew)
    except DigitlabError:
        if model is not None:
            raise
        reader = None  # no shipped model: the stages alone still explain a misread
    prepared = reader.prepare(image) if reader else prepare(image, deskew=deskew)
    warnings = list(prepared.warnings)
    if reader is None:
        verdict = "no digit" if not prepared.has_digit else "(no model to read it)"
    elif prepared.has_digit:
        p = reader.predict_inputs([prepared.input])[0]
        warnings = p.warnings  # the reader adds its own (e.g. "does not look like a digit")
        verdict = f"{p.digit} ({p.status}, p={p.probability:.3f}); top-3: " + \
            ", ".join(f"{d} {q:.3f}" for d, q in p.top3)
    else:
        verdict = "no digit"
    draw_stages(prepared, output, title=f"{image}: {verdict}")
    print(f"{image}: {verdict}")
    for warning in warnings:
        print(f"warning: {warning}")
    print(f"stages written to {output}")
    return 0
