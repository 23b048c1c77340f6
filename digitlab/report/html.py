"""Building blocks of a self-contained HTML report: page, sections, tables, figures.

Figures are embedded as base64 PNG, so a report is one file that opens
anywhere, offline, and can be mailed or attached to an issue. Every figure
sits in `<figure id="fig-KEY">` and every table in `<table id="KEY">`, so
tests (and curious users) can find each one.
"""

from __future__ import annotations

import base64
import html
import io

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 1100px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 26px; margin-bottom: 4px; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 4px;
  margin-top: 36px; } .sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: 3px 9px; text-align: right; }
th { background: #f4f4f4; } td.l, th.l { text-align: left; }
tr.best td { font-weight: 600; background: #eef7ee; }
figure { margin: 8px 0 20px; } figure img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 14px; max-width: 900px; }
.note { color: #7a5500; background: #fff8e6; padding: 6px 10px; border-left: 3px solid #e0a800; }
.kpi { display: inline-block; margin: 0 28px 10px 0; } .kpi b { display: block; font-size: 22px; }
summary { cursor: pointer; color: #345; margin: 4px 0; }
code, pre { background: #f6f6f6; padding: 1px 4px; }
"""


def esc(value) -> str:
    return html.escape(str(value))


def page(title: str, subtitle: str, sections: list[str]) -> str:
    return (f"<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
            f"<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>\n"
            f"<h1>{esc(title)}</h1><p class=sub>{esc(subtitle)}</p>\n"
            + "\n".join(sections) + "\n</body></html>\n")


def section(title: str, *parts: str, anchor: str | None = None) -> str:
    ident = f" id='{esc(anchor)}'" if anchor else ""
    return f"<section{ident}><h2>{esc(title)}</h2>\n" + "\n".join(parts) + "\n</section>"


def paragraph(text: str, cls: str | None = None) -> str:
    return f"<p class={cls}>{esc(text)}</p>" if cls else f"<p>{esc(text)}</p>"


def png_base64(fig, dpi: int = 100) -> str:
    """A matplotlib Figure as base64 PNG text (the figure is rendered here, headless)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def figure(key: str, fig, caption: str, alt: str | None = None) -> str:
    data = png_base64(fig)
    return (f"<figure id='fig-{esc(key)}'><img alt='{esc(alt or caption)}' "
            f"src='data:image/png;base64,{data}'><figcaption>{esc(caption)}</figcaption></figure>")


def table(key: str, header: list[str], rows: list[list], left: int = 1,
          highlight: int | None = None) -> str:
    """An HTML table; the first `left` columns are left-aligned (names), the rest numbers."""
    def cell(tag, i, value):
        cls = " class=l" if i < left else ""
        return f"<{tag}{cls}>{esc(value)}</{tag}>"

    head = "<tr>" + "".join(cell("th", i, h) for i, h in enumerate(header)) + "</tr>"
    body = []
    for r, row in enumerate(rows):
        cls = " class=best" if r == highlight else ""
        body.append(f"<tr{cls}>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>")
    return f"<table id='{esc(key)}'>{head}\n" + "\n".join(body) + "</table>"


def kpis(pairs: list[tuple[str, str]]) -> str:
    return "<div>" + "".join(f"<span class=kpi><b>{esc(v)}</b>{esc(k)}</span>" for k, v in pairs) + "</div>"


def details(summary: str, content: str) -> str:
    """Content folded away under a one-line summary (long tables of numbers)."""
    return f"<details><summary>{esc(summary)}</summary>{content}</details>"
