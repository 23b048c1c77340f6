"""`digitlab predict`: the digit in each image file, folder or glob."""

from __future__ import annotations

import csv as csvlib
import glob
import json as jsonlib
import sys
from pathlib import Path

from digitlab.errors import DigitlabError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("predict", help="read one digit per image (files, folders, globs)")
    p.add_argument("inputs", metavar="IMAGE_OR_FOLDER_OR_GLOB", nargs="+",
                   help="image files, folders (every image inside, recursively) or quoted globs")
    p.add_argument("--model", default=None,
                   help="a model .npz, run folder or shipped model name (default: the shipped default)")
    p.add_argument("--trust", action="store_true",
                   help="allow a model file that holds pickled scikit-learn objects (runs code: trusted files only)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print a JSON array, one object per file")
    out.add_argument("--csv", action="store_true", help="print CSV: file,digit,status,probability,top3")
    p.add_argument("--deskew", action="store_true", help="straighten slanted writing first")
    p.add_argument("--chunk-size", type=int, default=256, help="images decoded at a time (default 256)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar (it shows on a terminal when the output goes to a file or pipe)")
    p.set_defaults(func=run)


def run(inputs, model, trust, json, csv, deskew, chunk_size, quiet=False):
    from digitlab.progress import Progress
    from digitlab.read.reader import Reader

    if chunk_size < 1:
        raise DigitlabError(f"--chunk-size must be at least 1, got {chunk_size}")
    reader = Reader.load(model, trust=trust, deskew=deskew)
    writer = {True: JsonWriter, False: CsvWriter if csv else TableWriter}[json]()
    failed, paths = 0, list(expand_inputs(inputs))
    total = len(paths)
    # a bar only when the results are not on the terminal too (they would tear it); never a line per file
    shown = 0 if quiet or sys.stdout.isatty() else 1
    with Progress(total, "predicting", unit="file", verbose=shown, lines=False) as progress:
        for path, result in reader.predict_files(paths, chunk_size=chunk_size):
            if isinstance(result, DigitlabError):
                failed += 1
                print(f"digitlab: error: {result}", file=sys.stderr)
            writer.write(path, result)
            progress.step()
    writer.close()
    if total == 0:
        raise DigitlabError(f"no image files in {', '.join(inputs)} "
                            f"(looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    if failed == total:  # nothing read: a user error, each file's line already says why
        return 2
    if failed:
        print(f"digitlab: {failed} of {total} files could not be read", file=sys.stderr)
    return 1 if failed else 0


def expand_inputs(inputs):
    """Yield image paths from files, folders (recursive, sorted) and globs."""
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            yield from (str(p) for p in sorted(path.rglob("*"))
                        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        elif path.exists() or not glob.has_magic(item):
            yield item  # a missing plain name is reported like any bad file
        else:
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                raise DigitlabError(f"{item}: no files match")
            yield from matches


def _top3(p) -> str:
    return "  ".join(f"{d} {q:.3f}" for d, q in p.top3)


class TableWriter:
    def __init__(self):
        print(f"{'file':<40} {'digit':>5}  {'status':<8} {'prob':>6}  {'top-3':<36}  warnings")

    def write(self, path, p):
        if isinstance(p, DigitlabError):
            print(f"{path:<40} {'-':>5}  {'error':<8} {'':>6}  {'':<36}  {p}".rstrip())
            return
        digit = "-" if p.digit is None else str(p.digit)
        print(f"{path:<40} {digit:>5}  {p.status:<8} {p.probability:6.3f}  {_top3(p):<36}  "
              f"{'; '.join(p.warnings)}".rstrip())

    def close(self):
        sys.stdout.flush()


class CsvWriter:
    def __init__(self):
        self.out = csvlib.writer(sys.stdout, lineterminator="\n")
        self.out.writerow(["file", "digit", "status", "probability", "top3", "warnings"])

    def write(self, path, p):
        if isinstance(p, DigitlabError):
            self.out.writerow([path, "", "error", "", "", str(p)])
            return
        self.out.writerow([path, "" if p.digit is None else p.digit, p.status, f"{p.probability:.4f}",
                           " ".join(f"{d}:{q:.4f}" for d, q in p.top3), "; ".join(p.warnings)])

    def close(self):
        sys.stdout.flush()


class JsonWriter:
    """A JSON array written one element at a time (streams, never holds them all)."""

    def __init__(self):
        self.first = True
        sys.stdout.write("[")

    def write(self, path, p):
        if isinstance(p, DigitlabError):
            item = {"file": str(path), "status": "error", "error": str(p)}
        else:
            item = {"file": str(path), **p.to_dict()}
            item.pop("input")  # 784 numbers per file would drown the answer
        sys.stdout.write(("\n" if self.first else ",\n") + jsonlib.dumps(item))
        self.first = False

    def close(self):
        sys.stdout.write("\n]\n")
        sys.stdout.flush()
