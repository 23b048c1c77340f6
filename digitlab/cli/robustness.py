"""`digitlab robustness MODEL`: a report card on damaged digits and on real labelled folders."""

from __future__ import annotations

from pathlib import Path

from digitlab.cli.common import int_list, print_json
from digitlab.errors import DigitlabError

# digitlab.evaluate.corruptions (numpy, scipy) is imported only when the command runs: every command's
# parser is built at start-up, and `digitlab --help` should not pay for scipy.


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "robustness", help="score a model on corrupted MNIST test digits and on labelled folders",
        description="Score MODEL on MNIST test images under a suite of label-preserving corruptions "
                    "(21 corruptions in 7 families, severities 1-3, seeded), fed "
                    "to the raw model, and on labelled folders of real pictures read as `digitlab "
                    "predict` reads them.")
    p.add_argument("model", metavar="MODEL", help="a model .npz, run folder, or shipped model name")
    p.add_argument("--data", metavar="FOLDER", nargs="+", action="extend", default=[],
                   help="labelled folders of pictures: sub-folders 0-9, or a labels.csv of file,label")
    p.add_argument("-o", "--output", default=None, help="write a self-contained HTML report here")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.add_argument("--n", type=int, default=500,
                   help="MNIST test images, a stratified sample (default 500: about a minute for the "
                        "numpy CNN on two cores; 2000 for figures worth quoting)")
    p.add_argument("--seed", type=int, default=0, help="seeds the sample and every corruption (default 0)")
    p.add_argument("--severities", type=int_list, default=[1, 2, 3],
                   help="comma-separated, from 1 (a good scan) to 3 (a poor photo; default 1,2,3)")
    p.add_argument("--corruptions", type=_names, default=None,
                   help="comma-separated subset, named as in the table (default all; e.g. fog,stripes)")
    p.add_argument("--data-dir", default=None,
                   help="where MNIST is kept (default $DIGITLAB_DATA or ~/.cache/digitlab)")
    p.add_argument("--trust", action="store_true",
                   help="allow a model file that holds pickled scikit-learn objects (runs code: trusted files only)")
    p.set_defaults(func=run)


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def run(model, data, output, json, n, seed, severities, corruptions, data_dir, trust):
    from digitlab.evaluate.robustness import report_card

    if output is not None and Path(output).is_dir():  # found before minutes of scoring, not after
        raise DigitlabError(f"{output}: is a folder; -o takes the report's file name")
    card = report_card(model, folders=data, n=n, seed=seed, severities=severities, names=corruptions,
                       data_dir=data_dir, trust=trust, examples=output is not None)
    if output is not None:
        from digitlab.files import write_text
        from digitlab.report.robustness_report import build_robustness_report

        write_text(output, build_robustness_report(card))
    card.pop("examples", None)
    if json:
        print_json(card)
    else:
        print(format_card(card))
        if output is not None:
            print(f"report: {output}")
    return 0


def format_card(card: dict) -> str:
    """The card as a plain-text table: per corruption, per family, overall."""
    sev = card["severities"]
    title = (f"robustness of {card['model']} on {card['n']:,} MNIST test images "
             f"(seed {card['seed']}; * held out from training)")
    lines = [title, "",
             f"{'corruption':<16} {'family':<10}" + "".join(f" {'sev ' + str(s):>6}" for s in sev)
             + f" {'mean':>6}"]
    for name, row in card["corruptions"].items():
        mark = "*" if row["held_out"] else " "
        lines.append(f"{name + mark:<16} {row['family']:<10}"
                     + "".join(f" {row['accuracy'][s]:6.3f}" for s in sev) + f" {row['mean']:6.3f}")
    lines += ["", "family means: " + "  ".join(f"{f} {m:.3f}" for f, m in card["families"].items()), ""]
    worst = card["worst"]
    lines.append(f"clean {card['clean']:.4f}   suite mean {card['mean']:.4f}   worst {worst['corruption']} "
                 f"{worst['mean']:.4f}" + _split_means(card))
    lines[-1] += f"   ({card['seconds']:.0f} s)"
    for f in card["folders"]:
        lines.append(f"folder {f['folder']}: {f['n']:,} images, accuracy {f['accuracy']:.4f} (unsure "
                     f"{f['unsure']:.1%}, no digit {f['no_digit']:.1%}, unreadable {f['unreadable']:.1%})")
    return "\n".join(lines)


def _split_means(card: dict) -> str:
    parts = [f"{label} {card[key]:.4f}" for key, label in (("held_out_mean", "held-out mean"),
                                                           ("trainable_mean", "trainable mean"))
             if card[key] is not None]
    return "   " + "   ".join(parts) if parts else ""
