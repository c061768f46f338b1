"""The map of the first view, drawn by the server into the page's HTML.

Dash needs about a second on a ministry PC before it has loaded its scripts, asked for
the layout and rendered the page; the map then waits for its first callbacks. The page
answer therefore carries the first view's map as a plain SVG (the same simplified
boundaries, the same class colours, stripes and hatching as the web map and the image
export), its title, DATA SIMULASI badge and legend, shown over the page until the
interactive map has drawn its first colouring (``assets/map.js``). All 7,285 kecamatan
too: 1.2 MB of HTML (210 kB gzipped, a third of their GeoJSON) that Chromium paints in
about 0.3 s, while the interactive map waits for Dash's start and the boundaries' download.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Final

import numpy as np
import shapely
from dash.development.base_component import Component
from markupsafe import escape

from components.map import legend, uses_canvas
from export.image import HATCH_FACE, HATCH_LINE, fills, title_text
from geodata.registry import Registry
from geodata.serve import BoundaryStore
from i18n import t
from presentation.palettes import MISSING_COLOR
from queries.mapview import MapData
from queries.provenance import simulated_label

ELEMENT_ID: Final = "mg-first-view"
WIDTH: Final = 1000  # of the SVG's coordinate space; it scales to the screen


def _mercator_y(lat: Any) -> Any:
    """Return Web Mercator y (in degrees of longitude, growing north) of latitudes."""
    return np.degrees(np.log(np.tan(np.pi / 4 + np.radians(np.clip(lat, -85.0, 85.0)) / 2)))


def _paths(geoms: Any, scale: float, x0: float, y1: float) -> list[str]:
    """Return the SVG path data of each (Multi)Polygon, projected and rounded to a unit.

    Vectorised over all rings: the 7,285 kecamatan (116k vertices) take about 0.2 s.
    """
    polygons, polygon_geom = shapely.get_parts(geoms, return_index=True)
    rings, ring_polygon = shapely.get_rings(polygons, return_index=True)
    coords, point_ring = shapely.get_coordinates(rings, return_index=True)
    x = np.rint((coords[:, 0] - x0) * scale).astype(np.int64)
    y = np.rint((y1 - _mercator_y(coords[:, 1])) * scale).astype(np.int64)
    # A point is kept unless it repeats the one before it on its ring.
    keep = np.ones(len(x), dtype=bool)
    keep[1:] = (x[1:] != x[:-1]) | (y[1:] != y[:-1]) | (point_ring[1:] != point_ring[:-1])
    x, y, point_ring = x[keep], y[keep], point_ring[keep]
    starts = np.flatnonzero(np.r_[True, point_ring[1:] != point_ring[:-1]])
    points = [f"{a},{b}" for a, b in zip(x.tolist(), y.tolist(), strict=True)]
    paths: list[list[str]] = [[] for _ in range(len(geoms))]
    for start, end in zip(starts.tolist(), [*starts[1:].tolist(), len(points)], strict=True):
        if end - start > 2:
            geom = polygon_geom[ring_polygon[point_ring[start]]]
            paths[geom].append("M" + "L".join(points[start:end]) + "Z")
    return ["".join(parts) for parts in paths]


def _pattern(pattern_id: str, face: str, line: str, size: int, width: float) -> str:
    return (f'<pattern id="{pattern_id}" width="{size}" height="{size}" '
            f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            f'<rect width="{size}" height="{size}" fill="{escape(face)}"/>'
            f'<line x1="0" y1="0" x2="0" y2="{size}" stroke="{escape(line)}" '
            f'stroke-width="{width}"/></pattern>')


@lru_cache(maxsize=32)
def _layer_paths(store: BoundaryStore, level: str, parent: str | None,
                 vintage: str | None) -> tuple[int, list[str], list[str]]:
    """Return the SVG height, codes and path data of a layer's regions (kept per layer)."""
    regions = store.simplified(level, parent, vintage)  # type: ignore[arg-type]
    x0, min_lat, x1, max_lat = (float(v) for v in regions.total_bounds)
    y0, y1 = (float(_mercator_y(lat)) for lat in (min_lat, max_lat))
    scale = WIDTH / max(x1 - x0, 1e-9)
    return (math.ceil((y1 - y0) * scale), list(regions["code"]),
            _paths(regions.geometry.values, scale, x0, y1))


def map_svg(data: MapData, store: BoundaryStore) -> str:
    """Return the SVG of a view's regions, coloured as the web map colours them."""
    layer = data.layer
    height, codes, shapes = _layer_paths(store, layer.level, layer.parent, layer.vintage)
    patterns: dict[str, str] = {"fv-hatch": _pattern("fv-hatch", HATCH_FACE, HATCH_LINE, 8, 3)}
    # As the web map draws the layer: on a canvas (all kecamatan) without patterns,
    # missing values in grey and simulated ones faded, as its legend shows them.
    canvas = uses_canvas(layer)
    paths = []
    for code, d, (color, simulated) in zip(codes, shapes, fills(data, codes), strict=True):
        faded = ""
        if color is None:
            fill = MISSING_COLOR if canvas else "url(#fv-hatch)"
        elif simulated and canvas:
            fill, faded = color, ' fill-opacity="0.45"'
        elif simulated:  # striped in its class colour, as map.js draws it
            pattern_id = "fv-sim-" + re.sub(r"[^0-9a-zA-Z]", "", color)
            patterns.setdefault(pattern_id, _pattern(pattern_id, color, "#ffffff", 7, 2.5))
            fill = f"url(#{pattern_id})"
        else:
            fill = color
        paths.append(f'<path data-code="{escape(code)}" fill="{escape(fill)}"{faded} d="{d}"/>')
    # Thin borders where thousands of regions are drawn, as on the web map.
    stroke = 0.3 if layer.level == "kecamatan" else 0.8
    return (f'<svg class="fv-map" viewBox="0 0 {WIDTH} {height}" '
            f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
            f'<defs>{"".join(patterns.values())}</defs>'
            f'<g stroke="#ffffff" stroke-width="{stroke}">{"".join(paths)}</g></svg>')


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
    """Return the HTML of a view's server-drawn map."""
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
