"""Charts of the report: matplotlib SVG, reproducible byte for byte (fixed hash salt, no
date or creator in the metadata, text kept as text) and safe to inline several times in one
HTML page (every id is prefixed with the chart's own id).

A chart is drawn from a table as published: in the public version a suppressed cell is
never drawn (its bar is left out and labelled "< 5" or "s").
"""

from __future__ import annotations

import io
import re

import matplotlib
from matplotlib.figure import Figure

from vigisante.observatory.tables import Chart, Table

matplotlib.use("Agg")

COLOURS = ("#00447c", "#c75b12", "#5b8c2a", "#7a4f9a", "#8a8a8a", "#b00020")
RC = {
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
}


def render(chart: Chart, table: Table, *, chart_id: str) -> str:
    """The chart as an inline <svg> element (no XML prolog), ids prefixed by `chart_id`."""
    rows = [r for r in table.rows if not r.total]
    columns = [c for c in table.columns if c.key in chart.columns]
    labels = [_short(str(r.label)) for r in rows]
    series = []
    for col in columns:
        values = []
        for r in rows:
            v = table.shown(r, col)
            values.append(None if isinstance(v, str) or v is None else float(v))
        if chart.percent:
            values = [None if v is None else v * 100 for v in values]
        series.append((str(col.label), values))
    hidden = [isinstance(table.shown(r, columns[0]), str) for r in rows] if columns else []
    with matplotlib.rc_context({**RC, "svg.hashsalt": f"vigisante-{chart_id}"}):
        fig = _draw(chart, labels, series, hidden)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return _inline(buf.getvalue(), chart_id, str(chart.title))


CHAR_IN = 0.068  # average width of a 9-point DejaVu Sans character, in inches
WIDTH_IN = 6.4


def _draw(chart: Chart, labels: list[str], series: list[tuple[str, list]],
          hidden: list[bool]) -> Figure:
    # Margins computed from the labels rather than by a layout engine: a layout pass draws
    # the figure twice, and the charts are a large part of the report's time.
    longest = max((len(x) for x in labels), default=1)
    rotate = 45 if not chart.horizontal and len(labels) > 6 else 0
    if chart.horizontal:
        height = 0.8 + 0.26 * max(len(labels), 1)
        fig = Figure(figsize=(WIDTH_IN, height))
        fig.subplots_adjust(left=min(0.2 + CHAR_IN * longest, 3.4) / WIDTH_IN, right=0.96,
                            bottom=0.45 / height, top=1 - 0.15 / height)
    else:
        below = 0.35 + (CHAR_IN * longest * 0.72 if rotate else 0.15)
        height = 2.6 + below
        fig = Figure(figsize=(WIDTH_IN, height))
        fig.subplots_adjust(left=0.6 / WIDTH_IN, right=0.98, bottom=below / height,
                            top=1 - 0.15 / height)
    ax = fig.subplots()
    positions = list(range(len(labels)))
    bottom = [0.0] * len(labels)
    for i, (name, values) in enumerate(series):
        heights = [v or 0.0 for v in values]
        colour = COLOURS[i % len(COLOURS)]
        if chart.horizontal:
            ax.barh(positions, heights, left=bottom, color=colour, label=name)
        else:
            ax.bar(positions, heights, bottom=bottom, color=colour, label=name)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    for pos, is_hidden in zip(positions, hidden, strict=False):
        if is_hidden:
            # offset in points rather than a leading space: renderers collapse spaces
            if chart.horizontal:
                ax.annotate("< 5", (0, pos), xytext=(4, 0), textcoords="offset points",
                            va="center", ha="left", color="#555555")
            else:
                ax.annotate("< 5", (pos, 0), xytext=(0, 4), textcoords="offset points",
                            va="bottom", ha="center", color="#555555", rotation=90)
    if chart.horizontal:
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        if chart.percent:
            ax.set_xlim(0, 100)
            ax.set_xlabel("%")
    else:
        ax.set_xticks(positions, labels, rotation=rotate, ha="right" if rotate else "center",
                      rotation_mode="anchor" if rotate else "default")
    if len(series) > 1:  # beside the plot, never over the bars
        fig.subplots_adjust(right=0.74)
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def _short(label: str, limit: int = 42) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


_PROLOG = re.compile(r"^.*?(?=<svg)", re.DOTALL)


_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL)


def _declarations(css: str) -> str:
    out = []
    for decl in css.split(";"):
        name, sep, value = decl.partition(":")
        name, value = name.strip(), value.strip().replace('"', "'")
        if sep and re.fullmatch(r"[a-z-]+", name):
            out.append(f' {name}="{value}"')
    return "".join(out)


def _without_inline_css(svg: str) -> str:
    """Matplotlib's style="..." attributes and <style> element as SVG presentation
    attributes: the site's Content-Security-Policy allows no inline style."""
    rules = "".join(m.group(1) for m in _STYLE_ELEMENT.finditer(svg))
    svg = _STYLE_ELEMENT.sub("", svg)
    svg = _STYLE_ATTR.sub(lambda m: _declarations(m.group(1)), svg)
    root = _declarations(";".join(re.findall(r"\*\s*\{([^}]*)\}", rules)))
    return svg.replace("<svg ", "<svg" + root + " ", 1) if root else svg


def _inline(svg: str, prefix: str, title: str) -> str:
    svg = _PROLOG.sub("", svg, count=1)
    svg = _without_inline_css(svg)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)
    svg = svg.replace("<svg ", f'<svg role="img" aria-labelledby="{prefix}-title" ', 1)
    title_el = f'<title id="{prefix}-title">{_escape(title)}</title>'
    return re.sub(r"(<svg[^>]*>)", lambda m: m.group(1) + title_el, svg, count=1).strip()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
