"""Charts of the report: bar charts written directly as small SVG (a few hundred bytes per
bar), reproducible byte for byte, drawn in microseconds, and safe to inline several times in
one HTML page (the only id is prefixed with the chart's own id). No inline CSS (the site's
Content-Security-Policy allows none): presentation attributes only. The PDF draws the same
SVG as vectors (`pdf.chart_drawing`).

A chart is drawn from a table as published: in the public version a suppressed cell is
never drawn (its bar is left out and labelled "< 5" or "s").
"""

from __future__ import annotations

import math

from django.utils.formats import number_format

from vigisante.observatory.tables import Chart, Table

COLOURS = ("#00447c", "#c75b12", "#5b8c2a", "#7a4f9a", "#8a8a8a", "#b00020")
WIDTH = 640
FONT = 12
CHAR = 6.6  # average width of a 12-px DejaVu Sans character
MUTED = "#555555"
GRID = "#d9d9d9"


def render(chart: Chart, table: Table, *, chart_id: str) -> str:
    """The chart as an inline <svg> element, its title's id prefixed by `chart_id`."""
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
    hidden = [table.shown(r, columns[0]) if columns and isinstance(
        table.shown(r, columns[0]), str) else None for r in rows]
    draw = _horizontal if chart.horizontal else _vertical
    body, height = draw(labels, series, hidden, chart.percent)
    title = f'<title id="{chart_id}-title">{_escape(str(chart.title))}</title>'
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
            f'aria-labelledby="{chart_id}-title" viewBox="0 0 {WIDTH} {height}" '
            f'width="{WIDTH}" height="{height}" font-family="DejaVu Sans, Verdana, sans-serif" '
            f'font-size="{FONT}" fill="#222222" stroke-linejoin="round">{title}{body}</svg>')


def _ticks(top: float, percent: bool) -> list[float]:
    """0 to a round maximum in 3-6 steps; whole numbers for counts."""
    if percent:
        return [0, 25, 50, 75, 100]
    if top <= 0:
        return [0, 1]
    raw = top / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    step = max(1.0, float(math.ceil(step)) if step < 10 else step)
    n = math.ceil(top / step)
    return [i * step for i in range(n + 1)]


def _num(value: float) -> str:
    return number_format(value, 0 if float(value).is_integer() else 1, force_grouping=True)


def _legend(series: list[tuple[str, list]], x: float) -> str:
    if len(series) < 2:
        return ""
    out = []
    for i, (name, _v) in enumerate(series):
        y = 8 + 18 * i
        out.append(f'<rect x="{x}" y="{y}" width="11" height="11" '
                   f'fill="{COLOURS[i % len(COLOURS)]}"/>'
                   f'<text x="{x + 16}" y="{y + 10}">{_escape(_short(name, 24))}</text>')
    return "".join(out)


def _horizontal(labels, series, hidden, percent) -> tuple[str, int]:
    bar, gap = 14, 6
    legend_w = 170 if len(series) > 1 else 0
    left = min(12 + CHAR * max((len(x) for x in labels), default=1), 270)
    labels = [_short(x, int((left - 12) / CHAR)) for x in labels]  # none runs off the left
    right = WIDTH - 50 - legend_w
    top_pad, bottom_pad = 6, 26
    height = int(top_pad + (bar + gap) * max(len(labels), 1) + bottom_pad)
    totals = [sum(v or 0 for v in vals) for vals in zip(*(s[1] for s in series),
                                                        strict=True)] if series else []
    ticks = _ticks(max(totals, default=0), percent)
    scale = (right - left) / (ticks[-1] or 1)
    axis_y = height - bottom_pad
    out = []
    for t in ticks:
        x = round(left + t * scale, 1)
        out.append(f'<line x1="{x}" y1="{top_pad}" x2="{x}" y2="{axis_y}" stroke="{GRID}"/>'
                   f'<text x="{x}" y="{axis_y + 16}" text-anchor="middle" fill="{MUTED}">'
                   f"{_num(t)}</text>")
    if percent:
        out.append(f'<text x="{right}" y="{height - 1}" text-anchor="end" fill="{MUTED}">%'
                   "</text>")
    for i, label in enumerate(labels):
        y = top_pad + (bar + gap) * i
        out.append(f'<text x="{left - 6}" y="{y + bar - 3}" text-anchor="end">'
                   f"{_escape(label)}</text>")
        x = left
        for k, (_name, values) in enumerate(series):
            v = values[i] or 0
            if v > 0:
                w = round(v * scale, 1)
                out.append(f'<rect x="{round(x, 1)}" y="{y}" width="{w}" height="{bar}" '
                           f'fill="{COLOURS[k % len(COLOURS)]}"/>')
                x += w
        if hidden[i]:
            out.append(f'<text x="{left + 4}" y="{y + bar - 3}" fill="{MUTED}">'
                       f"{_escape(hidden[i])}</text>")
        elif series:
            out.append(f'<text x="{round(x + 4, 1)}" y="{y + bar - 3}" fill="{MUTED}">'
                       f"{_num(totals[i])}{' %' if percent else ''}</text>")
    out.append(f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{axis_y}" stroke="#222222"/>')
    out.append(_legend(series, WIDTH - legend_w + 10))
    return "".join(out), height


def _vertical(labels, series, hidden, percent) -> tuple[str, int]:
    n = max(len(labels), 1)
    legend_w = 170 if len(series) > 1 else 0
    left, right, top_pad = 52, WIDTH - 10 - legend_w, 10
    longest = max((len(x) for x in labels), default=1)
    rotate = n > 6
    below = int(12 + CHAR * longest * 0.72) if rotate else 24
    plot_h = 200
    height = top_pad + plot_h + below
    axis_y = top_pad + plot_h
    totals = [sum(v or 0 for v in vals) for vals in zip(*(s[1] for s in series),
                                                        strict=True)] if series else []
    ticks = _ticks(max(totals, default=0), percent)
    scale = plot_h / (ticks[-1] or 1)
    out = []
    for t in ticks:
        y = round(axis_y - t * scale, 1)
        out.append(f'<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="{GRID}"/>'
                   f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" fill="{MUTED}">'
                   f"{_num(t)}{' %' if percent else ''}</text>")
    slot = (right - left) / n
    bar = min(slot * 0.7, 48)
    for i, label in enumerate(labels):
        cx = left + slot * (i + 0.5)
        x = round(cx - bar / 2, 1)
        y = axis_y
        for k, (_name, values) in enumerate(series):
            v = values[i] or 0
            if v > 0:
                h = round(v * scale, 1)
                y = round(y - h, 1)
                out.append(f'<rect x="{x}" y="{y}" width="{round(bar, 1)}" height="{h}" '
                           f'fill="{COLOURS[k % len(COLOURS)]}"/>')
        if hidden[i]:
            out.append(f'<text x="{round(cx, 1)}" y="{axis_y - 4}" text-anchor="middle" '
                       f'fill="{MUTED}">{_escape(hidden[i])}</text>')
        if rotate:
            out.append(f'<text transform="translate({round(cx + 4, 1)} {axis_y + 10}) '
                       f'rotate(-45)" text-anchor="end">{_escape(label)}</text>')
        else:  # shortened to its slot: neighbouring labels never overlap
            fits = max(4, int(slot / CHAR) - 1)
            out.append(f'<text x="{round(cx, 1)}" y="{axis_y + 16}" text-anchor="middle">'
                       f"{_escape(_short(label, fits))}</text>")
    out.append(f'<line x1="{left}" y1="{axis_y}" x2="{right}" y2="{axis_y}" '
               f'stroke="#222222"/>')
    out.append(_legend(series, WIDTH - legend_w + 10))
    return "".join(out), height


def _short(label: str, limit: int = 42) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))
