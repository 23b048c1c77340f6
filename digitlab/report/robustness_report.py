"""The robustness report: one HTML page of a model's accuracy on damaged digits and real folders."""

from __future__ import annotations

import json

from digitlab.evaluate.corruptions import CORRUPTIONS, HELD_OUT
from digitlab.report import robustness_figures as figs
from digitlab.report.html import figure, kpis, page, paragraph, section, table


def build_robustness_report(card: dict) -> str:
    """`card` is what `digitlab robustness` computes, with "examples" (see `robustness.score_suite`)."""
    sections = [_summary_section(card), _table_section(card)]
    if card.get("folders"):
        sections.append(_folders_section(card["folders"]))
    if card.get("examples"):
        sections.append(_examples_section(card))
    sections.append(_settings_section(card))
    sub = (f"{card['n']:,} MNIST test images (stratified, seed {card['seed']}), "
           f"{len(card['corruptions'])} corruptions at severities "
           f"{', '.join(map(str, card['severities']))}, fed to the raw model")
    return page(f"Robustness of {card['model']}", sub, sections)


def _summary_section(card: dict) -> str:
    worst = card["worst"]
    pairs = [("clean accuracy", f"{card['clean']:.2%}"), ("mean over the suite", f"{card['mean']:.2%}")]
    pairs += [(label, f"{card[key]:.2%}") for key, label in (("held_out_mean", "held-out mean"),
                                                             ("trainable_mean", "trainable mean"))
              if card[key] is not None]
    pairs.append((f"worst: {worst['corruption']}", f"{worst['mean']:.2%}"))
    return section(
        "Summary", kpis(pairs),
        figure("families", figs.family_bars(card),
               "Mean accuracy per family of corruptions (each corruption weighs equally within its "
               "family, each severity within its corruption), beside the accuracy on the same images "
               "undamaged."),
        paragraph("Held-out corruptions (" + ", ".join(sorted(HELD_OUT)) + ") should not be used "
                  "to augment training: they measure how well a model copes with damage it never "
                  "saw. A model that only learnt the others shows a gap between the two means."),
        anchor="summary")


def _table_section(card: dict) -> str:
    sev = card["severities"]
    rows = [[name, row["family"], "yes" if row["held_out"] else "",
             *(f"{row['accuracy'][s]:.3f}" for s in sev), f"{row['mean']:.3f}"]
            for name, row in card["corruptions"].items()]
    rows.append(["clean", "", "", *(f"{card['clean']:.3f}" for _ in sev), f"{card['clean']:.3f}"])
    family_rows = [[family, f"{mean:.3f}"] for family, mean in card["families"].items()]
    return section(
        "Accuracy per corruption",
        table("corruptions", ["corruption", "family", "held out", *(f"severity {s}" for s in sev),
                              "mean"], rows, left=3),
        figure("corruptions", figs.corruption_bars(card),
               "Mean accuracy over severities per corruption; the dashed line is the clean figure."),
        table("families", ["family", "mean accuracy"], family_rows),
        anchor="corruptions")


def _folders_section(folders: list[dict]) -> str:
    rows = [[f["folder"], f"{f['n']:,}", f"{f['accuracy']:.4f}", f"{f['unsure']:.1%}",
             f"{f['no_digit']:.1%}", f"{f['unreadable']:.1%}"] for f in folders]
    return section(
        "Labelled folders",
        table("folders", ["folder", "images", "accuracy", "unsure", "no digit", "unreadable"], rows),
        paragraph("Each picture is read as `digitlab predict` reads it (decode, polarity, crop, "
                  "centre, calibrated model). A picture read as 'no digit' or that cannot be "
                  "read counts as wrong; 'unsure' answers count by their digit."),
        anchor="folders")


def _examples_section(card: dict) -> str:
    ex = card["examples"]
    names = ["clean"] + [f"severity {s}" for s in card["severities"]]
    parts = []
    for name, images in ex["images"].items():
        idea = " ".join((CORRUPTIONS[name].__doc__ or "").split())
        accs = ", ".join(f"{card['corruptions'][name]['accuracy'][s]:.1%}" for s in card["severities"])
        parts.append(figure(f"examples-{name}",
                            figs.example_grid(images, ex["predicted"][name], ex["labels"], names),
                            f"{name}: {idea} Accuracy by severity: {accs}. The model's answer sits in "
                            "each digit's corner, red when wrong."))
    grid = ("<div style='display:flex;flex-wrap:wrap;gap:0 24px'>"  # two per row on a wide screen
            + "".join(f"<div style='flex:1 1 480px'>{p}</div>" for p in parts) + "</div>")
    return section("Examples: the same digits at each severity", grid, anchor="examples")


def _settings_section(card: dict) -> str:
    keep = ("model", "dataset", "n", "seed", "severities")
    rows = [[k, json.dumps(card[k]) if isinstance(card[k], list) else card[k]] for k in keep]
    return section("Settings", table("settings", ["setting", "value"], rows, left=2),
                   paragraph("Each corruption at each severity draws from its own generator, "
                             "seeded by (seed, corruption, severity): the same settings give the "
                             "same images and figures."), anchor="settings")
