"""Outputs of a report: figures.json, one CSV per table, HTML (charts inline as SVG) and PDF
(ReportLab, `pdf.py`: the same charts as vectors).

Everything is rendered in the active language (the caller activates it); figures.json holds
codes only, so it is the same in every language.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils.formats import number_format

from vigisante.core import csvsafe
from vigisante.observatory import charts
from vigisante.observatory.services import ObservatoryReport
from vigisante.observatory.tables import (
    CHANGE,
    HIDDEN,
    LABEL,
    LT5,
    SHARE,
    TEXT,
    Column,
    Row,
    Section,
    Table,
)
from vigisante.reports.models import Source


def figures_json(report: ObservatoryReport) -> str:
    """Deterministic JSON: sorted keys, fixed separators, a final newline."""
    return json.dumps(report.figures(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def csv_files(report: ObservatoryReport) -> dict[str, str]:
    """One CSV per table: key, label, then one column per value (as published)."""
    out = {}
    for section in report.sections:
        for table in section.tables:
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(["key", "label", *[csvsafe.cell(c.key) for c in table.columns]])
            for row in table.rows:
                w.writerow([csvsafe.cell(row.key), csvsafe.cell(str(row.label)),
                            *[csvsafe.cell(table.shown(row, c)) for c in table.columns]])
            out[f"{table.id}.csv"] = buf.getvalue()
    return out


# -- HTML --------------------------------------------------------------------------------------

@dataclass
class TableView:
    id: str
    caption: str
    headers: list[str]
    rows: list[tuple[str, list[tuple[str, bool]], bool]]  # label, (cell, is text), is total
    internal_only: bool


@dataclass
class SectionView:
    number: int
    key: str
    title: str
    available: bool
    notes: list[str]
    tables: list[TableView] = field(default_factory=list)
    charts: list[tuple[str, str]] = field(default_factory=list)  # (caption, svg)


def section_views(report: ObservatoryReport) -> list[SectionView]:
    views = []
    for section in report.sections:
        view = SectionView(section.number, section.key, str(section.title), section.available,
                           [str(n) for n in section.notes])
        for table in section.tables:
            view.tables.append(_table_view(table))
        for i, chart in enumerate(section.charts):
            table = _find(section, chart.table)
            if table is None or not table.rows:
                continue
            svg = charts.render(chart, table, chart_id=f"c{section.number:02d}{i}")
            view.charts.append((str(chart.title), svg))
        views.append(view)
    return views


def _find(section: Section, table_id: str) -> Table | None:
    for t in section.tables:
        if t.id == table_id:
            return t
    return None


def _table_view(table: Table) -> TableView:
    rows = [(str(r.label), [(_format(table, r, c), c.kind in (LABEL, TEXT))
                            for c in table.columns], r.total)
            for r in table.rows]
    return TableView(table.id, str(table.caption), [str(c.label) for c in table.columns], rows,
                     table.internal_only)


def _format(table: Table, row: Row, col: Column) -> str:
    value = table.shown(row, col)
    if value in (LT5, HIDDEN):
        return value
    if value is None:
        return "–"
    if col.kind == LABEL:
        return str((col.choices or {}).get(value, value))
    if col.kind == TEXT:
        return str(value)
    if col.kind == SHARE:
        return number_format(value * 100, 1) + "\u00a0%"  # never "10,8" and "%" on two lines
    if col.kind == CHANGE:
        sign = "+" if value > 0 else ""
        return sign + number_format(value * 100, 1) + "\u00a0%"
    if isinstance(value, float):
        return number_format(value, 1, force_grouping=True)
    return number_format(value, force_grouping=True)


def context(report: ObservatoryReport) -> dict[str, Any]:
    return {
        "report": report,
        "meta": report.meta,
        "sections": section_views(report),
        "source_name": Source(report.source).label,
        "period": report.period,
        "previous": report.period.previous(),
    }


REPORT_CSS = Path(__file__).resolve().parent.parent / "static" / "vigisante" / "observatory.css"


def html(report: ObservatoryReport, ctx: dict[str, Any] | None = None) -> str:
    """The whole report as a standalone HTML document; its style is the page's stylesheet,
    inlined so that the file stands alone."""
    return render_to_string("observatory/report.html",
                            {**(ctx or context(report)),
                             "report_css": REPORT_CSS.read_text("utf-8")})


def html_and_page(report: ObservatoryReport, ctx: dict[str, Any] | None = None
                  ) -> tuple[str, str]:
    """report.html, and the report as stored for the site's page: the same content, tables
    folded behind a disclosure (<details>) under their chart, no document wrapper. Given
    the context (`context`), the charts are drawn once for both and for the PDF."""
    ctx = ctx or context(report)
    return (html(report, ctx),
            render_to_string("observatory/_page.html", {**ctx, "in_page": True}))


def pdf(report: ObservatoryReport, ctx: dict[str, Any] | None = None) -> bytes:
    """The report's PDF (ReportLab, `observatory/pdf.py`), in the active language: the same
    content as report.html, reproducible byte for byte."""
    from vigisante.observatory.pdf import report_pdf

    return report_pdf(report, ctx or context(report))


def write_report(report: ObservatoryReport, out: Path, *, with_pdf: bool = True) -> list[Path]:
    """Write report.html, report.pdf, figures.json and the CSVs into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    ctx = context(report)
    for name, text in [("report.html", html(report, ctx)), ("figures.json", figures_json(report)),
                       *sorted(csv_files(report).items())]:
        path = out / name
        path.write_text(text, encoding="utf-8", newline="")
        written.append(path)
    if with_pdf:
        path = out / "report.pdf"
        path.write_bytes(pdf(report, ctx))
        written.append(path)
    return written
