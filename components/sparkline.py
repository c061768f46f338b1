"""A small trend chart as inline SVG: the region against the national line.

Drawn on the server as an image, so the map page loads no charting library (plotly.js
costs ~0.7 s of main-thread time on a slow PC, right when the map should appear).
"""

from __future__ import annotations

import html as html_text
from collections.abc import Collection, Sequence
from urllib.parse import quote

from dash import html

from i18n import format_number

WIDTH, HEIGHT = 320, 150
LEFT, RIGHT, TOP, BOTTOM = 44, 20, 10, 40
REGION_COLOR, NATIONAL_COLOR = "#364fc7", "#868e96"


Series = Sequence[tuple[int, float | None]]


def _scale(values: list[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.08
    return low - pad, high + pad


def svg(region: Series, national: Series, *, region_name: str, decimals: int,
        lang: str, simulated: tuple[Collection[int], Collection[int]] = ((), ())) -> str:
    """Return the SVG text of the chart; missing years leave gaps, never zeros.

    ``simulated`` holds the periods of the region's and of the national series whose
    values are simulated: their points are hollow, as in the trend export.
    """
    periods = sorted({p for p, _ in region} | {p for p, _ in national})
    values = [v for _, v in [*region, *national] if v is not None]
    if not periods or not values:
        return ""
    low, high = _scale(values)
    first, last = periods[0], periods[-1]
    span = max(last - first, 1)

    def x(period: int) -> float:
        return LEFT + (period - first) / span * (WIDTH - LEFT - RIGHT)

    def y(value: float) -> float:
        return TOP + (high - value) / (high - low) * (HEIGHT - TOP - BOTTOM)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">']
    for value in (low + (high - low) * 0.1, (low + high) / 2, high - (high - low) * 0.1):
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
                     f'y2="{y(value):.1f}" stroke="#e9ecef"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y(value) + 4:.1f}" text-anchor="end" '
                     f'fill="#495057">{format_number(value, min(decimals, 1), lang)}</text>')
    step = 1 if len(periods) <= 6 else 2
    for i, period in enumerate(periods):
        if (len(periods) - 1 - i) % step == 0:
            parts.append(f'<text x="{x(period):.1f}" y="{HEIGHT - BOTTOM + 14}" '
                         f'text-anchor="middle" fill="#495057">{period}</text>')
    for series, color, dash, fake in (
            (national, NATIONAL_COLOR, ' stroke-dasharray="4 3"', simulated[1]),
            (region, REGION_COLOR, "", simulated[0])):
        for run in _runs(series):
            points = " ".join(f"{x(p):.1f},{y(v):.1f}" for p, v in run)
            if len(run) > 1:
                parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" '
                             f'stroke-width="2.5"{dash}/>')
            parts.extend(f'<circle cx="{x(p):.1f}" cy="{y(v):.1f}" r="3" fill="#ffffff" '
                         f'stroke="{color}" stroke-width="1.5" class="simulated"/>'
                         if p in fake else
                         f'<circle cx="{x(p):.1f}" cy="{y(v):.1f}" r="3" fill="{color}"/>'
                         for p, v in run)
    legend_y = HEIGHT - 8
    names = [(region_name, REGION_COLOR)] if region else []
    names.append(("Indonesia", NATIONAL_COLOR))
    offset = LEFT
    for name, color in names:
        label = html_text.escape(name[:28])
        parts.append(f'<rect x="{offset}" y="{legend_y - 8}" width="14" height="4" '
                     f'fill="{color}"/><text x="{offset + 18}" y="{legend_y}" '
                     f'fill="#212529">{label}</text>')
        offset += 26 + 6.5 * len(label)
    parts.append("</svg>")
    return "".join(parts)


def _runs(series: Series) -> list[list[tuple[int, float]]]:
    """Split a series at missing values, so a gap is drawn as a gap."""
    runs: list[list[tuple[int, float]]] = [[]]
    for period, value in sorted(series):
        if value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((period, value))
    return [r for r in runs if r]


def sparkline(region: Series, national: Series, *, region_name: str, decimals: int,
              lang: str, alt: str,
              simulated: tuple[Collection[int], Collection[int]] = ((), ())) -> html.Img | None:
    """Return the chart as an image (alt text describes it), or None without data.

    Simulated points (``simulated``: see :func:`svg`) are hollow.
    """
    text = svg(region, national, region_name=region_name, decimals=decimals, lang=lang,
               simulated=simulated)
    if not text:
        return None
    return html.Img(src="data:image/svg+xml;charset=utf-8," + quote(text), alt=alt,
                    className="peta-trend", width=WIDTH, height=HEIGHT)
