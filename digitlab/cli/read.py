"""`digitlab read`: the number written on a line (several digits, some touching)."""

from __future__ import annotations

from digitlab.cli.common import print_json


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("read", help="read a multi-digit number from one image")
    p.add_argument("image", metavar="IMAGE", help="an image file")
    p.add_argument("--model", default=None,
                   help="a model .npz, run folder or shipped model name (default: the shipped default)")
    p.add_argument("--trust", action="store_true",
                   help="allow a model file that holds pickled scikit-learn objects (runs code: trusted files only)")
    p.add_argument("--deskew", action="store_true", help="straighten slanted writing first")
    p.add_argument("--no-line-model", dest="line_model", action="store_false",
                   help="read only the digits the cuts find; the line model does not check them")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(image, model, trust, deskew, line_model, json):
    from digitlab.read.reader import Reader

    reader = Reader.load(model, trust=trust, deskew=deskew)
    reading = reader.read_number(image, line_model)
    if json:
        out = reading.to_dict()
        for digit in out["digits"]:
            digit.pop("input")
        print_json({"file": str(image), **out})
        return 0
    print(reading.text if reading.text else "(no digits found)")
    for d in reading.digits:
        x0, y0, x1, y1 = d.box
        # an unsure digit may have a high p: the model is sure, but the input does not look like a digit
        why = f"  {d.warnings[-1]}" if d.status == "unsure" and d.warnings else ""
        print(f"  {d.digit}  p={d.probability:.3f}  {d.status:<6}  box=({x0}, {y0}, {x1}, {y1}){why}")
    for warning in reading.warnings:
        print(f"warning: {warning}")
    return 0
