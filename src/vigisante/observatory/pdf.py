"""The report's PDF, written with ReportLab: the same title, facts, sections, notes, charts
and tables as report.html, in the active language, on numbered A4 pages.

WeasyPrint printed report.html until session 5: its CSS layout and its per-text layout of
the charts' SVG cost about 1.9 s of CPU per document at 100,000 reports, more than the SQL
of the whole report on PostgreSQL. ReportLab lays out the same content directly, in a
small fraction of that (benchmarks/RESULTS.md, "Observatory, session 5"), and its output is
reproducible byte for byte (`invariant`: no creation date, a fixed document id).

The charts are the very SVG the page shows (`charts.render`), converted element by element
(`rect`, `line`, `text`, the only elements `charts.py` writes) into ReportLab's vector
graphics: one drawing for the page and the PDF, vectors in both, and the text of their
labels stays text.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from typing import Any
from xml.sax.saxutils import escape

from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vigisante.core.pdf import numbered_canvas, pdf_fonts

SVG = "{http://www.w3.org/2000/svg}"
BLUE = "#00447c"
CHART_WIDTH = 480.0  # points: the charts' 640 px drawn at 3/4 (12 px text -> 9 pt)


def report_pdf(report: Any, ctx: dict[str, Any]) -> bytes:
    """The PDF of a report from the context its HTML is rendered with (`render.context`):
    the section views, with their charts already drawn."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    title = " ".join(render_to_string("observatory/_title.txt", ctx).split())
    story = _story(report, ctx, title)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=20 * mm,
        bottomMargin=20 * mm, title=title, author="Vigisanté", creator="Vigisanté",
        subject=f"sha256:{ctx['meta']['snapshot']['sha256']}",
        lang=_language(), invariant=True)
    footer = (f"Vigisanté {ctx['meta']['software']['version']} · "
              f"sha256:{ctx['meta']['snapshot']['sha256']}")
    doc.build(story, canvasmaker=numbered_canvas(title, footer, _("page")))
    return out.getvalue()


def _language() -> str:
    from django.utils.translation import get_language

    return get_language() or "fr"


def _styles() -> dict[str, Any]:
    from reportlab.lib.colors import HexColor
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    fonts = pdf_fonts()
    body = ParagraphStyle("obs", fontName=fonts["regular"], fontSize=9.5, leading=13,
                          textColor=HexColor("#1a1a1a"), spaceAfter=4)
    cell = ParagraphStyle("obs-cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0)
    return {
        "body": body,
        "h1": ParagraphStyle("obs-h1", parent=body, fontName=fonts["bold"], fontSize=15,
                             leading=19, textColor=HexColor(BLUE), spaceAfter=8),
        "h2": ParagraphStyle("obs-h2", parent=body, fontName=fonts["bold"], fontSize=12.5,
                             leading=16, textColor=HexColor(BLUE), spaceBefore=14,
                             spaceAfter=6, keepWithNext=1),
        "note": ParagraphStyle("obs-note", parent=body, textColor=HexColor("#444444")),
        "caption": ParagraphStyle("obs-caption", parent=body, fontName=fonts["bold"],
                                  fontSize=9, leading=12, spaceBefore=6, spaceAfter=3,
                                  keepWithNext=1),  # a caption never ends a page alone
        "figcaption": ParagraphStyle("obs-figcaption", parent=body, fontSize=8.5,
                                     leading=11, textColor=HexColor("#444444"),
                                     spaceAfter=8),
        "dt": ParagraphStyle("obs-dt", parent=cell, fontName=fonts["bold"]),
        "cell": cell,
        "cell-bold": ParagraphStyle("obs-cell-bold", parent=cell, fontName=fonts["bold"]),
        "head": ParagraphStyle("obs-head", parent=cell, fontName=fonts["bold"], fontSize=8,
                               leading=10),
        "head-num": ParagraphStyle("obs-head-num", parent=cell, fontName=fonts["bold"],
                                   fontSize=8, leading=10, alignment=TA_RIGHT),
    }


def _p(text: str, style) -> Any:
    from reportlab.platypus import Paragraph

    return Paragraph(escape(text), style)


def _about(report: Any, ctx: dict[str, Any], styles: dict[str, Any], width: float) -> Any:
    """The facts of report.html's header (`_about.html`), as a two-column table."""
    from reportlab.platypus import Table, TableStyle

    period, previous, meta = ctx["period"], ctx["previous"], ctx["meta"]
    records = ctx["source_name"]
    if report.health_only:
        records += " · " + _("health care victims only (NAICS 62)")
    records += " · " + (
        _("reports received in the period, without duplicates and rejected reports")
        if report.source == "sector" else _("records dated in the period"))
    n = meta["snapshot"]["records"]
    rows = [
        (_("Period"), f"{date_format(period.start)} – {date_format(period.last)} ("
         f"{_('compared with')} {date_format(previous.start, 'SHORT_DATE_FORMAT')} – "
         f"{date_format(previous.last, 'SHORT_DATE_FORMAT')})"),
        (_("Records"), records),
        (_("Version"), _("Public: counts under 5 are shown as “< 5”; “s” marks a figure hidden "
                         "so that a small count cannot be worked out; no narratives, no "
                         "structure names.") if report.public
         else _("Internal: for the CERT's analysts only.")),
        (_("Data snapshot"), f"sha256:{meta['snapshot']['sha256']} ("
         + ngettext("%(n)s record", "%(n)s records", n) % {"n": n} + ")"),
        (_("Taxonomy"), f"{meta['taxonomy']['name']} {meta['taxonomy']['version']}"),
        (_("Software"), f"Vigisanté {meta['software']['version']}"),
    ]
    table = Table([[_p(dt, styles["dt"]), _p(dd, styles["cell"])] for dt, dd in rows],
                  colWidths=[width * 0.2, width * 0.8])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
    return table


def _story(report: Any, ctx: dict[str, Any], title: str) -> list[Any]:
    from reportlab.lib.units import mm
    from reportlab.platypus import CondPageBreak, KeepTogether, Spacer

    styles = _styles()
    width = 182 * mm
    story: list[Any] = [_p(title, styles["h1"]), _about(report, ctx, styles, width)]
    for s in ctx["sections"]:
        story.append(CondPageBreak(60 * mm))
        story.append(_p(f"{s.number}. {s.title}", styles["h2"]))
        if not s.available:
            story.append(_p(_("Not available."), styles["note"]))
        story.extend(_p(note, styles["note"]) for note in s.notes)
        for caption, svg in s.charts:
            drawing = chart_drawing(svg)
            story.append(KeepTogether([drawing, _p(
                f"{caption} ({_('the figures are in the table below')})",
                styles["figcaption"])]))
        for t in s.tables:
            story.append(_p(t.caption + (" ⚑" if t.internal_only else ""), styles["caption"]))
            story.append(_table(t, styles, width))
            story.append(Spacer(1, 4))
    return story


def _table(t: Any, styles: dict[str, Any], width: float) -> Any:
    """A table of the report: row labels and text cells wrap; counts stay on one line,
    right-aligned, with room on both sides (its text reads as one row per line)."""
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import Table, TableStyle

    fonts = pdf_fonts()
    texts = [any(cells[i][1] for _label, cells, _total in t.rows)
             for i in range(len(t.headers))]
    weights = [3.0] + [2.4 if is_text else 1.0 for is_text in texts]
    widths = _widths(weights, t.headers, width)
    head = [_p(_("Item"), styles["head"])] + [
        _p(h, styles["head" if is_text else "head-num"])
        for h, is_text in zip(t.headers, texts, strict=True)]
    data: list[list[Any]] = [head]
    bold_rows = []
    for label, cells, total in t.rows:
        style = styles["cell-bold" if total else "cell"]
        if total:
            bold_rows.append(len(data))
        data.append([_p(label, style)] + [_p(c, style) if is_text else c
                                          for c, is_text in cells])
    if not t.rows:
        data.append([_p(_("No data."), styles["cell"])] + [""] * len(t.headers))
    commands: list[tuple] = [
        ("FONTNAME", (0, 0), (-1, -1), fonts["regular"]),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("BACKGROUND", (0, 0), (-1, 0), HexColor("#f3f5f8")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, HexColor("#c8c8c8")),
    ]
    for i, is_text in enumerate(texts, start=1):
        if is_text:
            commands.append(("ALIGN", (i, 0), (i, -1), "LEFT"))
    for r in bold_rows:
        commands.append(("FONTNAME", (0, r), (-1, r), fonts["bold"]))
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(commands))
    return table


def _widths(weights: list[float], headers: list[str], width: float) -> list[float]:
    """Column widths in proportion to `weights`, each value column at least as wide as the
    longest word of its header (never a word broken across lines), taken from the row
    labels' column, which keeps at least a quarter of the width."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    bold = pdf_fonts()["bold"]
    widths = [w * width / sum(weights) for w in weights]
    for i, header in enumerate(headers, start=1):
        need = max((stringWidth(word, bold, 8) for word in header.split()), default=0) + 13
        if widths[i] < need:
            widths[0] -= need - widths[i]
            widths[i] = need
    if widths[0] < width / 4:  # too many columns: the value columns share what is left
        rest = sum(widths[1:])
        widths = [width / 4] + [w * (width * 3 / 4) / rest for w in widths[1:]]
    return widths


# -- charts ----------------------------------------------------------------------------------

_TRANSFORM = re.compile(r"translate\(([-\d.]+) ([-\d.]+)\) rotate\(([-\d.]+)\)")


def chart_drawing(svg: str, width: float = CHART_WIDTH) -> Any:
    """A chart's SVG (as `charts.render` writes it) as a ReportLab drawing of `width`
    points: rectangles, lines and text, in vectors, the text as text."""
    from reportlab.graphics.shapes import Drawing, Group, Line, Rect, String
    from reportlab.lib.colors import HexColor

    root = ET.fromstring(svg)
    _x0, _y0, w, h = (float(v) for v in root.get("viewBox", "0 0 640 300").split())
    s = width / w
    font = pdf_fonts()["regular"]
    size = float(root.get("font-size", "12")) * s
    default_fill = root.get("fill", "#222222")
    drawing = Drawing(width, h * s)
    colours: dict[str, Any] = {}

    def colour(value: str) -> Any:
        if value not in colours:
            colours[value] = HexColor(value)
        return colours[value]

    for el in root:
        tag = el.tag.removeprefix(SVG)
        a = el.attrib
        if tag == "rect":
            x, y = float(a["x"]), float(a["y"])
            rw, rh = float(a["width"]), float(a["height"])
            drawing.add(Rect(x * s, (h - y - rh) * s, rw * s, rh * s, strokeColor=None,
                             fillColor=colour(a.get("fill", default_fill))))
        elif tag == "line":
            drawing.add(Line(float(a["x1"]) * s, (h - float(a["y1"])) * s,
                             float(a["x2"]) * s, (h - float(a["y2"])) * s,
                             strokeColor=colour(a.get("stroke", "#222222")),
                             strokeWidth=0.75 * s))
        elif tag == "text":
            anchor = a.get("text-anchor", "start")
            fill = colour(a.get("fill", default_fill))
            text = el.text or ""
            moved = _TRANSFORM.fullmatch(a.get("transform", ""))
            if moved:
                tx, ty, angle = (float(v) for v in moved.groups())
                group = Group(String(0, 0, text, fontName=font, fontSize=size,
                                     fillColor=fill, textAnchor=anchor))
                group.translate(tx * s, (h - ty) * s)
                group.rotate(-angle)  # SVG's y axis points down, ReportLab's up
                drawing.add(group)
            else:
                drawing.add(String(float(a["x"]) * s, (h - float(a["y"])) * s, text,
                                   fontName=font, fontSize=size, fillColor=fill,
                                   textAnchor=anchor))
    return drawing
