"""The baseline: a stand-alone Dash app with a plain plotly ``go.Choropleth`` of the same layer.

It is what a Dash dashboard does without the app's design: one ``dcc.Graph`` whose figure
(a plain dict, geometry included) a callback builds at page load and rebuilds in full on
every recolour. Run it as ``python -m benchmarks.baseline DATA_DIR PORT``; the data folder
comes from :func:`write_data` (the app's own geometry and values).

Plotly geo fetches ``world_110m.json`` even with ``geo.visible=False`` and draws nothing when
that fails offline, so :func:`write_data` writes an empty topology into the baseline's own
assets folder and the graph points ``topojsonURL`` at it. Plotly geo (d3) also reads polygon
rings with the spherical winding (exterior clockwise), the opposite of RFC 7946 GeoJSON
as the app serves it; unrewound, each region is drawn as "the globe minus the region".
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from geodata.registry import Level

# level -> (indicator, the two years the recolour switches between); the same views the
# app's recolour measurement switches between with the year slider's arrow keys.
SCENARIOS: dict[Level, tuple[str, tuple[int, int]]] = {
    "provinsi": ("idi", (2024, 2023)), "kabkota": ("ikn", (2024, 2023))}
EMPTY_TOPOLOGY = {
    "type": "Topology", "arcs": [], "transform": {"scale": [1, 1], "translate": [0, 0]},
    "objects": {name: {"type": "GeometryCollection", "geometries": []} for name in
                ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")},
}


def write_data(app_url: str, db_url: str, out: Path) -> dict[str, int]:
    """Write the baseline's data folder from the running app; return features per level.

    Geometry comes from the app's ``/geo/<level>.json``; values from the app's own query
    (:func:`queries.mapview.map_data`) on the same database.
    """
    from geodata.registry import load_registry
    from queries.catalogue import read_catalogue
    from queries.db import make_engine
    from queries.mapview import View, map_data

    registry, engine = load_registry(), make_engine(db_url)
    with engine.connect() as conn:
        catalogue = read_catalogue(conn)
        values: dict[str, list[dict[str, Any]]] = {
            level: [dict(map_data(conn, View(indikator=ind, tahun=year, tingkat=level), registry,
                                  catalogue).frame.select("code", "value").iter_rows())
                    for year in years]
            for level, (ind, years) in SCENARIOS.items()
        }
    engine.dispose()
    counts: dict[str, int] = {}
    for level in SCENARIOS:
        with urllib.request.urlopen(f"{app_url}/geo/{level}.json") as response:
            geojson = json.load(response)
        for feature in geojson["features"]:
            feature["geometry"] = clockwise(feature["geometry"])
        counts[level] = len(geojson["features"])
        (out / f"{level}.json").write_text(json.dumps({"geojson": geojson,
                                                       "values": values[level]}))
    topo = out / "assets" / "topojson"
    topo.mkdir(parents=True, exist_ok=True)
    (topo / "world_110m.json").write_text(json.dumps(EMPTY_TOPOLOGY))
    return counts


def clockwise(geometry: dict[str, Any]) -> dict[str, Any]:
    """Return a (multi)polygon with clockwise exterior rings, as d3-geo expects."""
    from shapely.geometry import MultiPolygon, mapping, shape
    from shapely.geometry.polygon import orient

    geom = shape(geometry)
    parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    rewound = [orient(part, sign=-1.0) for part in parts]
    out = MultiPolygon(rewound) if isinstance(geom, MultiPolygon) else rewound[0]
    return dict(mapping(out))


def figure(layer: dict[str, Any], colouring: int) -> dict[str, Any]:
    """Return the whole figure (geometry and values) as a plain dict."""
    values = layer["values"][colouring]
    codes = [f["properties"]["code"] for f in layer["geojson"]["features"]]
    z = [values.get(code) for code in codes]
    known = [v for v in z if v is not None]
    return {
        "data": [{
            "type": "choropleth", "geojson": layer["geojson"], "featureidkey": "properties.code",
            "locations": codes, "z": z, "zmin": min(known), "zmax": max(known),
            "colorscale": "YlOrRd", "showscale": False,
            "marker": {"line": {"color": "#ffffff", "width": 0.5}},
        }],
        "layout": {"geo": {"fitbounds": "locations", "visible": False},
                   "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": 575},
    }


def create(data_dir: Path) -> Any:
    """Return the baseline Dash app serving the layers in ``data_dir``."""
    from dash import Dash, Input, Output, dcc, html

    layers: dict[str, Any] = {level: json.loads((data_dir / f"{level}.json").read_text())
                              for level in SCENARIOS}
    app = Dash(__name__, assets_folder=str(data_dir / "assets"), compress=True,
               title="plotly baseline", update_title=None)  # type: ignore[arg-type]
    app.layout = html.Div([
        dcc.Location(id="url"),
        html.Button("recolour", id="recolour"),
        dcc.Graph(id="map", style={"width": "820px", "height": "575px"},
                  config={"topojsonURL": "/assets/topojson/", "displayModeBar": False}),
    ])

    @app.callback(Output("map", "figure"), Input("url", "search"), Input("recolour", "n_clicks"))
    def draw(search: str | None, clicks: int | None) -> dict[str, Any]:
        level = parse_qs((search or "").lstrip("?")).get("level", ["provinsi"])[0]
        return figure(layers[level], (clicks or 0) % 2)

    app.server.add_url_rule("/health", "health", lambda: "ok")
    return app


if __name__ == "__main__":
    import waitress  # the server the app uses too

    folder, port = Path(sys.argv[1]), int(sys.argv[2])
    waitress.serve(create(folder).server, host="127.0.0.1", port=port, threads=8)
