"""`digitlab data info|show|download`: look at a dataset before training on it."""

from __future__ import annotations

from pathlib import Path

from digitlab.cli.common import DATASETS_HELP, print_json
from digitlab.data import DATASET_NAMES, DOWNLOADABLE
from digitlab.errors import DigitlabError

MAX_SHOW = 400  # beyond this the grid's cells are too small to read


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "data",
        help="download a dataset, summarise it, or show samples",
        description=f"Datasets: {', '.join(DATASET_NAMES)}, or a path: a Kaggle .csv, an .npz, "
        "a folder of the four IDX files or a folder of images with one sub-folder per class.",
    )
    actions = p.add_subparsers(metavar="ACTION", required=True)

    info_p = actions.add_parser(
        "info", help="sizes, image shape, class balance, mean pixel, location"
    )
    _add_name(info_p)
    info_p.add_argument("--json", action="store_true", help="print one JSON object")
    info_p.set_defaults(func=info)

    show_p = actions.add_parser("show", help="save a labelled grid of sample images")
    _add_name(show_p)
    show_p.add_argument("--n", type=int, default=36, help="how many images (default 36)")
    show_p.add_argument(
        "-o",
        "--output",
        default="grid.png",
        help="image to write: .png, .svg, .pdf or .jpg (default grid.png)",
    )
    show_p.add_argument(
        "--split",
        choices=("train", "test"),
        default="train",
        help="which split to sample (default train)",
    )
    show_p.add_argument("--seed", type=int, default=0, help="which random sample (default 0)")
    show_p.set_defaults(func=show)

    down_p = actions.add_parser("download", help=f"download and verify {', '.join(DOWNLOADABLE)}")
    down_p.add_argument(
        "name",
        metavar="NAME",
        choices=DOWNLOADABLE,
        help=", ".join(DOWNLOADABLE),
    )
    down_p.add_argument(
        "--data-dir",
        default=None,
        help="where to keep the files (default $DIGITLAB_DATA or ~/.cache/digitlab)",
    )
    down_p.add_argument(
        "--mirror",
        action="append",
        default=None,
        metavar="URL",
        help="base URL to try instead of the built-in mirrors (repeatable, in order)",
    )
    down_p.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds without data before a mirror counts as down (default 30)",
    )
    down_p.set_defaults(func=download)


def _add_name(parser) -> None:
    parser.add_argument(
        "name", metavar="NAME", help=DATASETS_HELP
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="where MNIST files are cached or kept (default $DIGITLAB_DATA or ~/.cache/digitlab)",
    )


def info(name, data_dir, json) -> int:
    from digitlab.data.summary import summarise

    data, source = load_with_source(name, data_dir)
    summary = summarise(data, source)
    if json:
        print_json(summary)
    else:
        print(format_summary(summary))
    return 0


def show(name, data_dir, n, output, split, seed) -> int:
    from digitlab.data.summary import sample_grid

    if not 1 <= n <= MAX_SHOW:
        raise DigitlabError(f"--n {n}: show between 1 and {MAX_SHOW} images")
    data, _ = load_with_source(name, data_dir)
    chosen = data.train if split == "train" else data.test
    if chosen is None:
        raise DigitlabError(f"{name}: has no {split} split")
    path = sample_grid(chosen, Path(output), n=n, seed=seed, title=f"{data.name} ({split})")
    print(f"wrote {path}: {min(n, len(chosen))} {split} images of {data.name}")
    return 0


def download(name, data_dir, mirror, timeout) -> int:
    from digitlab.data.download import prepare_idx_dataset

    if name == "emnist-digits":
        from digitlab.data.emnist import prepare_emnist_digits

        folder = prepare_emnist_digits(data_dir, mirrors=mirror, timeout=timeout)
        print(f"{name} is ready in {folder}")
        return 0
    folder, variants = prepare_idx_dataset(name, data_dir=data_dir, mirrors=mirror, timeout=timeout)
    for file, variant in variants.items():
        print(f"{file:<28} MD5 ok ({variant})")
    print(f"{name} is ready in {folder}")
    return 0


def load_with_source(name: str, data_dir):
    """The dataset, and where it came from (a folder, a file, or 'embedded')."""
    from digitlab.data import load_dataset

    if name in ("mnist", "fashion-mnist"):
        from digitlab.data.download import prepare_idx_dataset
        from digitlab.data.idx import load_idx_folder

        folder, variants = prepare_idx_dataset(name, data_dir=data_dir)
        kinds = ", ".join(sorted(set(variants.values())))
        return load_idx_folder(folder, name=name), f"{folder} (MD5 verified: {kinds})"
    if name == "digits":
        return load_dataset("digits"), "scikit-learn's embedded copy (no download)"
    if name == "emnist-digits":
        from digitlab.data.emnist import prepare_emnist_digits

        folder = prepare_emnist_digits(data_dir)
        return load_dataset(name, data_dir=data_dir), f"{folder} (checked when downloaded)"
    source = str(Path(name).resolve()) if Path(name).exists() else f"built from MNIST ({name})"
    return load_dataset(name, data_dir=data_dir), source


def format_summary(summary: dict) -> str:
    """The `data info` text: sizes and mean pixel per split, then the class balance."""
    h, w = summary["image_shape"]
    lines = [
        f"{summary['name']}  ({h} x {w} uint8, white ink on black)",
        f"source: {summary['source']}",
        "",
        f"{'split':<8}{'images':>10}{'mean pixel':>12}",
    ]
    splits = summary["splits"]
    for split, s in splits.items():
        lines.append(f"{split:<8}{s['n']:>10,}{s['mean_pixel']:>12.4f}")
    labelled = [split for split, s in splits.items() if s["class_counts"] is not None]
    if not labelled:
        return "\n".join(lines + ["", "no labels"])
    lines += ["", "class balance", f"{'digit':<8}" + "".join(f"{split:>16}" for split in labelled)]
    for digit in summary["classes"]:
        cells = []
        for split in labelled:
            count = splits[split]["class_counts"].get(str(digit), 0)
            cells.append(f"{count:>9,} {100 * count / splits[split]['n']:>5.1f}%")
        lines.append(f"{digit:<8}" + "".join(cells))
    return "\n".join(lines)
