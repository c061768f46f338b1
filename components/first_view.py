"""The map of the first view, drawn by the server into the page's HTML.

Dash needs about a second on a ministry PC before it has loaded its scripts, asked for
the layout and rendered the page; the map then waits for its first callbacks. The page
answer therefore carries the first view's map as a plain SVG (the same simplified
boundaries, the same class colours, stripes and hatching as the web map and the image
export), its title, DATA SIMULASI badge and legend, shown over the page until the
interactive map has drawn its first colouring (``assets/map.js``). Only small layers
are drawn this way (the provinces, or the regions inside one region): thousands of
kecamatan would make the page heavier than the time it saves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, Final

import shapely
from dash.development.base_component import Component
from markupsafe import escape

from components.map import legend
from export.image import HATCH_FACE, HATCH_LINE, fills, title_text
from geodata.registry import Registry
from geodata.serve import BoundaryStore
from i18n import t
from queries.mapview import MapData
from queries.provenance import simulated_label

ELEMENT_ID: Final = "mg-first-view"
MAX_REGIONS: Final = 100
WIDTH: Final = 1000  # of the SVG's coordinate space; it scales to the screen


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    """Return Web Mercator x, y (in degrees of longitude), y growing north."""
    lat = max(min(lat, 85.0), -85.0)
    return lon, math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def _path(geom: shapely.Geometry, scale: float, x0: float, y1: float) -> str:
    """Return the SVG path data of a (Multi)Polygon, projected and rounded to a unit."""
    parts = []
    for polygon in shapely.get_parts(geom):
        for ring in (polygon.exterior, *polygon.interiors):
            points, last = [], None
            for lon, lat in ring.coords:
                x, y = _mercator(lon, lat)
                point = (round((x - x0) * scale), round((y1 - y) * scale))
                if point != last:
                    points.append(f"{point[0]},{point[1]}")
                    last = point
            if len(points) > 2:
                parts.append("M" + "L".join(points) + "Z")
    return "".join(parts)


def _pattern(pattern_id: str, face: str, line: str, size: int, width: float) -> str:
    return (f'<pattern id="{pattern_id}" width="{size}" height="{size}" '
            f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            f'<rect width="{size}" height="{size}" fill="{escape(face)}"/>'
            f'<line x1="0" y1="0" x2="0" y2="{size}" stroke="{escape(line)}" '
            f'stroke-width="{width}"/></pattern>')


def map_svg(data: MapData, store: BoundaryStore) -> str:
    """Return the SVG of a view's regions, coloured as the web map colours them."""
    layer = data.layer
    regions = store.simplified(layer.level, layer.parent, layer.vintage)
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in regions.total_bounds)
    x0, y0 = _mercator(min_lon, min_lat)
    x1, y1 = _mercator(max_lon, max_lat)
    scale = WIDTH / max(x1 - x0, 1e-9)
    height = math.ceil((y1 - y0) * scale)
    codes = list(regions["code"])
    patterns: dict[str, str] = {"fv-hatch": _pattern("fv-hatch", HATCH_FACE, HATCH_LINE, 8, 3)}
    paths = []
    for code, geom, (color, simulated) in zip(codes, regions.geometry, fills(data, codes),
                                              strict=True):
        if color is None:
            fill = "url(#fv-hatch)"
        elif simulated:  # striped in its class colour, as map.js draws it
            pattern_id = "fv-sim-" + re.sub(r"[^0-9a-zA-Z]", "", color)
            patterns.setdefault(pattern_id, _pattern(pattern_id, color, "#ffffff", 7, 2.5))
            fill = f"url(#{pattern_id})"
        else:
            fill = color
        paths.append(f'<path data-code="{escape(code)}" fill="{escape(fill)}" '
                     f'd="{_path(geom, scale, x0, y1)}"/>')
    return (f'<svg class="fv-map" viewBox="0 0 {WIDTH} {height}" '
            f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
            f'<defs>{"".join(patterns.values())}</defs>'
            f'<g stroke="#ffffff" stroke-width="0.8">{"".join(paths)}</g></svg>')


def _kebab(name: str) -> str:
    """Return a CSS property name from its React form: ``fontSize`` -> ``font-size``."""
    return re.sub("([A-Z])", lambda m: "-" + m.group(1).lower(), name)


def to_html(node: Any) -> str:
    """Return the HTML of Dash ``html`` components (the legend's), text escaped."""
    if node is None:
        return ""
    if isinstance(node, (list, tuple)):
        return "".join(to_html(child) for child in node)
    if not isinstance(node, Component):
        return str(escape(node))
    tag = type(node).__name__.lower()
    attributes = []
    for name, value in node.to_plotly_json()["props"].items():
        if name == "children" or value is None:
            continue
        if name == "style":
            value = ";".join(f"{_kebab(k)}:{v}" for k, v in value.items())
        attributes.append(f' {"class" if name == "className" else name}="{escape(value)}"')
    return f"<{tag}{''.join(attributes)}>{to_html(getattr(node, 'children', None))}</{tag}>"


def first_view_html(data: MapData, registry: Registry, store: BoundaryStore, lang: str) -> str:
    """Return the HTML of a view's server-drawn map, or ``""`` for a large layer."""
    layer = data.layer
    if len(store.simplified(layer.level, layer.parent, layer.vintage)) > MAX_REGIONS:
        return ""
    badge = (f'<span class="fv-badge">{escape(simulated_label(data.counts, lang))}</span>'
             if data.counts.simulated else "")
    parts: Sequence[str] = (
        f'<div id="{ELEMENT_ID}" class="first-view" aria-hidden="true">',
        f'<div class="fv-head"><span class="fv-title">'
        f'{escape(title_text(data, registry, lang))}</span>{badge}</div>',
        '<div class="fv-body">', map_svg(data, store),
        f'<div class="fv-legend">{to_html(legend(data, lang))}</div></div>',
        f'<div class="fv-loading">{escape(t("first_view.loading", lang))}</div></div>',
    )
    return "".join(parts)
