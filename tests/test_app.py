"""App-level tests: every page imports, the shell renders, callbacks answer over HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import dash
import pytest
from flask.testing import FlaskClient
from plotly.utils import PlotlyJSONEncoder

import ids
from app import create_app
from geodata.registry import Registry
from ingest.bootstrap import bootstrap
from queries.db import make_engine
from settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, published_dir: Path,
           boundaries_dir: Path) -> Iterator[FlaskClient]:
    var = tmp_path_factory.mktemp("var")
    settings = Settings(var_dir=var, boundaries_dir=boundaries_dir, published_dir=published_dir,
                        public_view=True)
    bootstrap(make_engine(settings.db_url), published_dir, demo=False, echo=lambda _m: None)
    app = create_app(settings)
    yield app.server.test_client()


def dash_update(client: FlaskClient, outputs: list[tuple[str, str]],
                inputs: list[tuple[str, str, object]], lang: str = "id") -> dict:  # type: ignore[type-arg]
    body = {
        "output": f"..{'...'.join(f'{i}.{p}' for i, p in outputs)}..",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "changedPropIds": [], "state": [],
    }
    client.set_cookie("lang", lang)
    client.get("/health")  # sets the CSRF cookie
    token = client.get_cookie("mg_csrf")
    assert token is not None
    response = client.post("/_dash-update-component", json=body,
                           headers={"X-CSRFToken": token.value})
    assert response.status_code == 200, response.text
    return response.get_json()["response"]  # type: ignore[no-any-return]


def test_every_page_is_registered(client: FlaskClient) -> None:
    paths = {p["path"] for p in dash.page_registry.values()}
    assert {"/", "/tabel", "/404"} <= paths
    for page in dash.page_registry.values():
        assert page["title"] and "description" in page


def test_shell_and_pages_render(client: FlaskClient) -> None:
    assert client.get("/").status_code == 200
    layout = client.get("/_dash-layout").get_json()
    text = json.dumps(layout)
    assert "Mata Garuda" in text and ids.SHELL_LANG in text
    assert "Peta" in text and "Tabel provinsi" in text  # navigation from the page registry
    assert client.get("/health").get_json() == {
        "status": "ok", "boundaries": ["provinsi", "kabkota", "kecamatan"]}


def test_first_page_callback_returns_38_provinces(client: FlaskClient,
                                                   published_dir: Path) -> None:
    response = dash_update(client, [(ids.TABLE_SUMMARY, "children"),
                                    (ids.TABLE_TABLE, "children")],
                           [(ids.SHELL_LANG_STORE, "data", "id")])
    rows = response[ids.TABLE_TABLE]["children"]["props"]["rowData"]
    assert len(rows) == 38
    jambi = next(r for r in rows if r["code"] == "15")
    assert (jambi["value"], jambi["category"], jambi["simulated"]) == (82.27, "Baik", False)
    assert "BPS" in jambi["source_display"]
    summary = json.dumps(response[ids.TABLE_SUMMARY])
    assert "79,81" in summary  # the national IDI 2024, in Indonesian notation
    english = dash_update(client, [(ids.TABLE_SUMMARY, "children"),
                                   (ids.TABLE_TABLE, "children")],
                          [(ids.SHELL_LANG_STORE, "data", "en")], lang="en")
    assert "79.81" in json.dumps(english[ids.TABLE_SUMMARY])
    english_rows = english[ids.TABLE_TABLE]["children"]["props"]["rowData"]
    assert next(r for r in english_rows if r["code"] == "15")["category"] == "Good"


def test_boundaries_are_served_with_etag(client: FlaskClient) -> None:
    first = client.get("/geo/provinsi.json")
    assert first.status_code == 200
    features = first.get_json()["features"]
    assert len(features) == 38
    etag = first.headers["ETag"]
    again = client.get("/geo/provinsi.json", headers={"If-None-Match": etag})
    assert again.status_code == 304
    jabar = client.get("/geo/kabkota.json?parent=32").get_json()["features"]
    assert len(jabar) == 27
    assert client.get("/geo/desa.json").status_code == 404


def test_app_without_boundaries_says_how_to_install(tmp_path: Path, registry: Registry) -> None:
    settings = Settings(var_dir=tmp_path, boundaries_dir=tmp_path / "none", public_view=True,
                        published_dir=tmp_path / "none")
    bootstrap(make_engine(settings.db_url), None, demo=False, echo=lambda _m: None)
    client = create_app(settings).server.test_client()
    layout = json.dumps(client.get("/_dash-layout").get_json())
    assert "mata-garuda geodata import" in layout
    missing = client.get("/geo/provinsi.json")
    assert missing.status_code == 503
    assert "mata-garuda geodata import" in missing.get_data(as_text=True)


def test_year_slider_labels_never_crowd(client: FlaskClient) -> None:
    from pages.map import _marks  # importable once the app has registered its pages

    assert _marks([2015, 2017, 2018, 2020, 2024]) == {
        2015: "2015", 2017: "", 2018: "2018", 2020: "2020", 2024: "2024"}
    assert [y for y, label in _marks(list(range(2015, 2025))).items() if label] == [
        2016, 2018, 2020, 2022, 2024]  # the newest year is always labelled
    assert _marks([2024]) == {2024: "2024"}


def _component(tree: object, component_id: str) -> dict:  # type: ignore[type-arg]
    """Return the props of the component ``component_id`` in a serialised layout."""
    if isinstance(tree, list):
        found = [_component(x, component_id) for x in tree]
        return next((f for f in found if f), {})
    if not isinstance(tree, dict):
        return {}
    props = tree.get("props", {})
    if props.get("id") == component_id:
        return props  # type: ignore[no-any-return]
    return _component(list(props.values()), component_id)


@pytest.mark.parametrize("url", ["/", "/?indikator=idi&tahun=2014", "/wilayah/32?indikator=idi",
                                 "/?indikator=xyz", "/wilayah/99.99"])
def test_a_map_page_preloads_its_boundaries_and_late_scripts(client: FlaskClient,
                                                             url: str) -> None:
    from pages.map import layout

    links = client.get(url).headers["Link"].split(", ")
    path, _, query = url.partition("?")
    with client.application.test_request_context(url):
        kode = path.removeprefix("/wilayah/") if path != "/" else None
        page = layout(kode, **dict(part.split("=") for part in query.split("&") if part))
    geojson = _component(json.loads(json.dumps(page, cls=PlotlyJSONEncoder)), ids.MAP_GEOJSON)
    # The boundaries the map will fetch, as the page's fetch() asks for them.
    assert links[0] == f"<{geojson['url']}>; rel=preload; as=fetch; crossorigin=anonymous"
    chunks = [link.split(">")[0].removeprefix("<") for link in links[1:]]
    assert chunks == ["/_dash-component-suites/dash/dcc/async-slider.js",
                      "/_dash-component-suites/dash_leaflet/async-GeoJSON.js"]
    for chunk in chunks:
        assert client.get(chunk).status_code == 200


def test_other_pages_preload_nothing(client: FlaskClient) -> None:
    assert "Link" not in client.get("/tabel").headers
    assert "Link" not in client.get("/_dash-layout").headers


def test_a_map_page_carries_its_first_view_drawn_by_the_server(client: FlaskClient) -> None:
    from components.map import hideout
    from pages.map import _cached, url_view

    client.set_cookie("lang", "id")
    html = client.get("/?indikator=idi&tahun=2024").get_data(as_text=True)
    first = html[html.index('<div id="mg-first-view"'):html.index('<div id="react-entry-point"')]
    with client.application.test_request_context("/?indikator=idi&tahun=2024"):
        view, _messages, _layer = url_view(None, {"indikator": "idi", "tahun": "2024"})
        colouring = hideout(_cached(view, "id")[0], "id")
    fills = dict(re.findall(r'<path data-code="([^"]+)" fill="([^"]+)"', first))
    assert len(fills) == 38 and any(fill.startswith("#") for fill in fills.values())
    for code, fill in fills.items():  # the web map's colour, stripes and hatching
        row = colouring["d"].get(code)
        if row is None or row[0] is None:
            assert fill == "url(#fv-hatch)", code
        else:
            color = colouring["colors"][row[0]]
            assert fill == (f"url(#fv-sim-{color.lstrip('#')})" if row[7] else color), code
    assert "IDI 2024 · Indonesia" in first and 'class="peta-legend"' in first
    assert "Memuat peta interaktif" in first
    # Other pages carry none.
    assert 'id="mg-first-view"' not in client.get("/tabel").text
