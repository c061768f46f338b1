"""The map view as an image (PNG, SVG, PDF): the same regions, colours and legend as the
map, missing values hatched, texts in the request's language; access as the map's CSV;
on SQLite and PostgreSQL with the demo data and the shared boundaries."""

from __future__ import annotations

import json
import re
import struct
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import polars as pl
import pytest
import shapely
import sqlalchemy as sa
from flask.testing import FlaskClient

import ids
from app import create_app, services_of
from auth.accounts import add_account
from components.export import MAP_FORMATS, export_links, view_export_href
from export.image import GID_PREFIX, PAGE
from geodata.registry import Registry
from geodata.serve import BoundaryStore
from presentation.palettes import palette_colors
from queries.catalogue import Indicator
from queries.classify import format_bounds
from queries.mapview import MapData, View, map_data, parse_view
from settings import Settings
from tests.test_export import NO_SUCH, PASSWORD, assert_refused, get, sign_in

SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class Site:
    engine: sa.Engine
    registry: Registry
    client: FlaskClient
    public: FlaskClient  # MATA_GARUDA_PUBLIC_VIEW=true
    bare: FlaskClient  # no boundaries installed
    catalogue: dict[str, Indicator]
    boundaries: BoundaryStore


@pytest.fixture(scope="module")
def site(demo_engine: sa.Engine, registry: Registry, boundaries_dir: Path,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_engine.begin() as conn:
        add_account(conn, registry, username="pengamat", role="viewer", region_code=None,
                    password=PASSWORD)
    var = tmp_path_factory.mktemp("var")
    url = demo_engine.url.render_as_string(hide_password=False)

    def app(boundaries: Path, public: bool = False) -> object:
        made = create_app(Settings(var_dir=var, database_url=url, boundaries_dir=boundaries,
                                   published_dir=var / "none", public_view=public))
        made.server.config["TESTING"] = True
        return made

    apps = [app(boundaries_dir), app(boundaries_dir, public=True), app(var / "none")]
    clients = [a.server.test_client() for a in apps]  # type: ignore[attr-defined]
    main = services_of(apps[0])  # type: ignore[arg-type]
    yield Site(demo_engine, registry, *clients, main.catalogue, main.boundaries)
    for a in apps:
        services_of(a).engine.dispose()  # type: ignore[arg-type]


@pytest.fixture
def client(site: Site) -> Iterator[FlaskClient]:
    sign_in(site.client, "pengamat")
    yield site.client
    token = site.client.get_cookie("mg_csrf")
    if token is not None:
        site.client.post("/keluar", data={"csrf_token": token.value})
    site.client.delete_cookie("lang")


def _map(site: Site, kode: str, **query: str) -> MapData:
    view, messages = parse_view(kode, query, site.registry, site.catalogue)
    assert not messages
    with site.engine.connect() as conn:
        return map_data(conn, view, site.registry, site.catalogue)


@dataclass
class Drawing:
    """A parsed SVG export: each region's fill by code, the hatch fills, every text."""

    fills: dict[str, str]
    texts: list[str]
    ids: set[str]


def _style(element: ET.Element) -> dict[str, str]:
    return {k.strip(): v.strip() for k, v in (part.split(":", 1) for part in
            element.get("style", "").split(";") if ":" in part)}


def read_svg(body: bytes) -> Drawing:
    """Read each region's fill: a colour, or ``<background>/<stripes>`` for a pattern."""
    root = ET.fromstring(body)
    patterns = {p.get("id"): f"{next(p.iter(f'{SVG}rect')).get('fill')}/"
                             f"{_style(next(p.iter(f'{SVG}path')))['stroke']}"
                for p in root.iter(f"{SVG}pattern")}
    fills: dict[str, str] = {}
    regions = [g for g in root.iter(f"{SVG}g") if g.get("id", "").startswith(GID_PREFIX)]
    for group in regions:
        gid = group.get("id", "")
        paths = list(group.iter(f"{SVG}path"))
        assert len(paths) == 1, gid
        fill = _style(paths[0])["fill"]
        fills[gid.removeprefix(GID_PREFIX)] = patterns.get(fill[5:-1], fill)  # url(#id)
    texts = ["".join(text.itertext()) for text in root.iter(f"{SVG}text")]
    return Drawing(fills, texts, {g.get("id", "") for g in root.iter(f"{SVG}g")})


def _expected_fills(data: MapData) -> dict[str, str | None]:
    """Return each region's class colour, with white stripes when simulated (None: none)."""
    palette = palette_colors(data)
    frame = data.frame
    return {code: None if cls is None else palette[cls].lower() + ("/#ffffff" if sim else "")
            for code, cls, sim in zip(frame["code"], data.classes.index, frame["simulated"],
                                      strict=True)}


VIEWS = [  # (kode, query, regions without a value in the demo data): the nation, a
    ("ID", {"indikator": "idi", "tahun": "2024"}, 1),  # province's kab/kota, a kab/kota's
    ("32", {"indikator": "ikp", "tahun": "2024", "kelas": "jenks", "n": "4"}, 3),  # kecamatan,
    ("32.73", {"indikator": "turnout_pilkada"}, 1),  # change since a year, another classing
    ("ID", {"indikator": "idi", "tahun": "2024", "tampil": "perubahan", "dari": "2022"}, 23),
]


@pytest.mark.parametrize(("kode", "query", "missing"), VIEWS)
def test_svg_regions_have_the_map_colours(site: Site, client: FlaskClient, kode: str,
                                          query: dict[str, str], missing: int) -> None:
    data = _map(site, kode, **query)
    args = "&".join(f"{k}={v}" for k, v in {"kode": kode, **query}.items())
    drawing = read_svg(get(client, f"/ekspor/peta.svg?{args}"))
    expected = _expected_fills(data)
    regions = site.boundaries.simplified(data.layer.level, data.layer.parent)
    assert list(drawing.fills) == regions["code"].to_list()  # one group per region, in order
    assert set(drawing.fills) == set(expected)
    hatched = {c for c, f in expected.items() if f is None}
    assert len(hatched) == data.classes.missing == missing
    coloured = {c: f for c, f in drawing.fills.items() if c not in hatched}
    assert coloured == {c: f for c, f in expected.items() if f is not None}
    assert {drawing.fills[c] for c in hatched} <= {"#e9ecef/#868e96"}  # never a scale colour
    striped = {c for c, f in coloured.items() if f.endswith("/#ffffff")}
    assert striped == set(data.frame.filter(pl.col("simulated") & pl.col(data.shown)
                                            .is_not_null())["code"])


def test_svg_texts_indonesian(site: Site, client: FlaskClient) -> None:
    data = _map(site, "ID", indikator="idi", tahun="2024")
    response = client.get("/ekspor/peta.svg?indikator=idi&tahun=2024")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("image/svg+xml")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="mata-garuda_idi_2024_provinsi.svg"')
    assert response.headers["Cache-Control"] == "no-store"
    drawing = read_svg(response.get_data())
    texts = drawing.texts
    assert "IDI 2024 · Indonesia" in texts
    assert "Indeks Demokrasi Indonesia · satuan: indeks 0-100 · tingkat: Provinsi" in texts
    labels = format_bounds(data.classes, 2, "id")
    assert labels == ["Buruk (0,00 – 60,00)", "Sedang (60,00 – 80,00)", "Baik (80,00 – 100,00)"]
    for label, count in zip(labels, data.classes.counts, strict=True):
        assert label in texts and str(count) in texts
    assert "Data tidak tersedia" in texts and str(data.classes.missing) in texts
    assert "Kategori resmi · indeks 0-100" in texts
    simulated = data.frame.filter(pl.col("kind") == "simulated").height
    official = data.frame.filter(pl.col("kind") == "published").height
    assert simulated and f"DATA SIMULASI · {simulated} dari 38 wilayah" in texts
    assert "Data simulasi (arsir diagonal)" in texts and str(simulated) in texts
    assert (f"{official} resmi · {simulated} simulasi · {data.classes.missing} tidak tersedia"
            in texts)
    assert "Sumber: BPS, DATA SIMULASI" in texts
    assert any(re.fullmatch(r"Mata Garuda · diekspor \d{4}-\d\d-\d\d \d\d:\d\d UTC", s)
               for s in texts)
    assert not {"SIMULATED DATA", "No data"} & set(texts)
    assert {"title", "subtitle", "simulated", "footer"} <= drawing.ids


def test_svg_texts_english_and_change(site: Site, client: FlaskClient) -> None:
    client.set_cookie("lang", "en")
    response = client.get("/ekspor/peta.svg?indikator=idi&tahun=2024&tampil=perubahan&dari=2019")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="mata-garuda_idi_2024_provinsi_perubahan-2019.svg"')
    texts = read_svg(response.get_data()).texts
    assert "Change in IDI 2019–2024 · Indonesia" in texts
    assert "Change 2019–2024" in texts and "Change (diverging) · index 0-100" in texts
    # No change is computed across the method break, so none shown is simulated: no badge.
    assert "0 official values · 0 simulated values · 38 without data" in texts
    assert not any(s.startswith("SIMULATED DATA") for s in texts)
    # The regions without a change are counted by their reason, the break is named.
    assert "Method changed in 2021: not comparable" in texts
    assert any(s.startswith("⚠ Method changed in 2021: no change computed.") for s in texts)
    assert any(s.startswith("Source: ") for s in texts)
    assert any(s.startswith("Mata Garuda · exported ") for s in texts)
    assert not {"DATA SIMULASI", "Data tidak tersedia"} & set(texts)
    data = _map(site, "ID", indikator="idi", tahun="2024", tampil="perubahan", dari="2019")
    for label in format_bounds(data.classes, 2, "en"):
        assert label in texts


def test_svg_marks_the_selected_kecamatan(site: Site, client: FlaskClient) -> None:
    drawing = read_svg(get(client, "/ekspor/peta.svg?kode=32.73.01&indikator=turnout_pilkada"))
    assert "selected" in drawing.ids
    assert all(code.startswith("32.73.") for code in drawing.fills)
    assert any(text.endswith(f"· {site.registry.name('32.73.01')}") for text in drawing.texts)


def test_png_and_pdf(site: Site, client: FlaskClient) -> None:
    response = client.get("/ekspor/peta.png?kode=32&indikator=turnout_pilpres")
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="mata-garuda_turnout_pilpres_2024_kabkota_32.png"')
    body = response.get_data()
    assert body.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", body[16:24])  # the IHDR chunk
    assert (width, height) == (int(PAGE[0] * 150), int(PAGE[1] * 150))  # A4 at 150 dpi
    assert len(body) > 50_000  # a drawn map, not an empty page
    pdf = client.get("/ekspor/peta.pdf?kode=32&indikator=turnout_pilpres")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.get_data().startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].endswith('_kabkota_32.pdf"')


@pytest.mark.parametrize(("path", "status", "names"), [
    ("/ekspor/peta.png?indikator=xyz", 400, "'indikator' tidak valid: 'xyz'"),
    ("/ekspor/peta.svg?indikator=idi&tahun=1999", 400, "'tahun' tidak valid: '1999'"),
    ("/ekspor/peta.pdf?tahun=dua", 400, "'tahun' tidak valid: 'dua'"),
    ("/ekspor/peta.png?kode=99", 400, "'kode' tidak valid: '99'"),
    ("/ekspor/peta.svg?kelas=acak", 400, "'kelas' tidak valid: 'acak'"),
    ("/ekspor/tabel.png", 404, NO_SUCH),
    ("/ekspor/isian.svg", 404, NO_SUCH),
    ("/ekspor/peta.gif", 404, NO_SUCH),
    ("/ekspor/peta.PNG", 404, NO_SUCH),
])
def test_bad_requests(client: FlaskClient, path: str, status: int, names: str) -> None:
    assert_refused(client, path, status, names)


def test_anonymous_and_public(site: Site) -> None:
    closed = site.client.get("/ekspor/peta.png?indikator=idi")
    assert closed.status_code == 302
    assert closed.headers["Location"] == "/masuk?next=/ekspor/peta.png%3Findikator%3Didi"
    public = site.public.get("/ekspor/peta.png?indikator=idi")
    assert public.status_code == 200 and public.get_data().startswith(PNG_SIGNATURE)


def test_without_boundaries(site: Site) -> None:
    sign_in(site.bare, "pengamat")
    response = site.bare.get("/ekspor/peta.png?indikator=idi")
    assert response.status_code == 503
    assert "Batas wilayah belum terpasang" in response.get_json()["error"]


def test_links_on_the_map_page(site: Site, client: FlaskClient) -> None:
    href = view_export_href(View(kode="32", indikator="ikp", tahun=2024))
    links = str(export_links(href, "id", MAP_FORMATS).to_plotly_json())
    for fmt in ("csv", "xlsx", "png", "svg", "pdf"):
        assert f"/ekspor/peta.{fmt}?kode=32&indikator=ikp&tahun=2024" in links
    assert "Unduh peta (PNG)" in links and "Unduh tabel (CSV)" in links
    assert "Download the map (SVG)" in str(export_links(href, "en", MAP_FORMATS)
                                           .to_plotly_json())
    assert ".png" not in str(export_links(href, "id").to_plotly_json())  # other pages

    token = client.get_cookie("mg_csrf")
    assert token is not None
    shown = {"key": "kabkota:32", "canvas": False,
             "view": {"kode": "32", "indikator": "ikp", "tahun": 2024, "tampil": "nilai",
                      "dari": None, "kelas": None, "n": 5, "palet": None, "tingkat": None}}
    response = client.post("/_dash-update-component", headers={"X-CSRFToken": token.value},
                           json={"output": f"{ids.MAP_EXPORT}.children",
                                 "outputs": {"id": ids.MAP_EXPORT, "property": "children"},
                                 "inputs": [{"id": ids.MAP_DRAWN, "property": "data",
                                             "value": 1}],
                                 "state": [{"id": ids.MAP_LAYER, "property": "data",
                                            "value": shown},
                                           {"id": ids.SHELL_LANG_STORE, "property": "data",
                                            "value": "id"}],
                                 "changedPropIds": []})
    assert response.status_code == 200, response.get_data(as_text=True)
    hrefs = re.findall(r'"href":\s*"([^"]+)"', json.dumps(response.get_json()))
    assert [h.split("?")[0] for h in hrefs] == [f"/ekspor/peta.{f}" for f in MAP_FORMATS]
    for href in hrefs:  # every link the page shows downloads a file
        assert get(client, href)


def test_simplified_is_the_served_geometry(site: Site) -> None:
    store = site.boundaries
    regions = store.simplified("kabkota", "32")
    assert store.simplified("kabkota", "32") is regions
    served = orjson.loads(store.payload("kabkota", "32").body)["features"]
    assert [f["id"] for f in served] == regions["code"].to_list()
    geoms = shapely.from_geojson([orjson.dumps(f["geometry"]) for f in served])
    assert all(shapely.equals_exact(geoms, regions.geometry.values, tolerance=1e-9))
