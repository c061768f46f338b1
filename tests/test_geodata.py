"""Boundary layers: validation, the store, simplification and the HTTP blueprint.

Unit tests use a strip of five 0.1-degree squares (one per kecamatan) and a hand-built
registry; the last tests run against the real files in the shared boundaries folder.
"""

from __future__ import annotations

import gzip
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import flask
import geobuf
import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

import geodata.serve
from geodata.boundaries import (
    INSTALL_HINT,
    LAYER_FILES,
    BoundariesMissingError,
    BoundaryError,
    available_levels,
    check_layer,
    read_layer,
    validate_layer,
)
from geodata.http import boundaries_blueprint
from geodata.registry import Region, Registry
from geodata.serve import (
    NATIONAL_TOLERANCE,
    BoundaryStore,
    UnknownViewError,
    simplify_coverage,
    simplify_tolerance,
    vertex_count,
)
from tests.tiny import KABKOTA, KECAMATAN, tiny_registry

X0, Y0, STEP = 106.1234567, -6.7654321, 0.1


def square(i: int, width: int = 1) -> shapely.Polygon:
    """Square ``i`` of the strip (``width`` squares wide)."""
    return box(X0 + i * STEP, Y0, X0 + (i + width) * STEP, Y0 + STEP)


def layer(level: str) -> gpd.GeoDataFrame:
    """The layer of one level, as the boundary files store it."""
    if level == "kecamatan":
        rows = [(code, name, square(i)) for i, (code, name) in enumerate(KECAMATAN.items())]
    elif level == "kabkota":
        rows = [
            ("32.01", KABKOTA["32.01"], square(0, 2)),
            ("32.73", KABKOTA["32.73"], square(2, 2)),
            ("33.01", KABKOTA["33.01"], square(4)),
        ]
    else:
        rows = [("32", "Jawa Barat", square(0, 4)), ("33", "Jawa Tengah", square(4))]
    return gpd.GeoDataFrame(
        {
            "code": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "parent_code": [r[0].rsplit(".", 1)[0] if "." in r[0] else None for r in rows],
        },
        geometry=[r[2] for r in rows],
        crs="EPSG:4326",
    )


@pytest.fixture
def boundaries(tmp_path: Path) -> Path:
    for level, file in LAYER_FILES.items():
        layer(level).to_parquet(tmp_path / file)
    return tmp_path


@pytest.fixture
def store(boundaries: Path) -> BoundaryStore:
    return BoundaryStore(boundaries, tiny_registry())


def features(body: bytes) -> list[dict[str, object]]:
    return orjson.loads(body)["features"]


# --- validation ---------------------------------------------------------------------


def test_valid_layers_have_no_problem() -> None:
    for level in LAYER_FILES:
        assert validate_layer(layer(level), level, tiny_registry()) == []


def test_validation_names_every_kind_of_problem() -> None:
    gdf = layer("kecamatan").drop(index=0)  # 32.01.01 Cibinong has no polygon
    gdf.loc[1, "geometry"] = shapely.Polygon()
    gdf.loc[2, "geometry"] = shapely.Point(106.5, -6.7)
    gdf.loc[3, "geometry"] = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    gdf.loc[3, "name"] = "Cobblong"
    gdf.loc[4, "parent_code"] = "33.02"
    extra = gpd.GeoDataFrame(
        {
            "code": ["32.99.01", "32.73", "32.01.02"],
            "name": ["Nowhere", "Kota Bandung", "Gunung Putri"],
            "parent_code": ["32.99", "32", "32.01"],
        },
        geometry=[square(6), square(7), square(8)],
        crs="EPSG:4326",
    )
    gdf = pd.concat([gdf, extra], ignore_index=True).set_crs(3857, allow_override=True)

    problems = validate_layer(gdf, "kecamatan", tiny_registry())
    assert sorted(str(p) for p in problems) == sorted(
        [
            "layer: CRS is EPSG:3857, expected EPSG:4326",
            "32.01.02 Gunung Putri: geometry is empty",
            "32.01.02 Gunung Putri: code appears 2 times",
            "32.01.02 Gunung Putri: code appears 2 times",
            "32.73.01 Sukasari: geometry is a Point, expected Polygon or MultiPolygon",
            "32.73.02 Cobblong: name 'Cobblong' differs from the registry name 'Coblong'",
            "32.73.02 Cobblong: geometry is invalid: Self-intersection[0.5 0.5]",
            "33.01.01 Dayeuhluhur: parent_code is '33.02', expected '33.01'",
            "32.99.01 Nowhere: code is not in the region registry",
            "32.73 Kota Bandung: code is a kabkota code, expected kecamatan",
            "32.01.01 Cibinong: registry region has no polygon",
        ]
    )


def test_null_geometry_and_provinsi_parent_are_checked() -> None:
    gdf = layer("provinsi")
    gdf.loc[0, "geometry"] = None
    gdf.loc[1, "parent_code"] = "ID"
    text = "\n".join(str(p) for p in validate_layer(gdf, "provinsi", tiny_registry()))
    assert "32 Jawa Barat: geometry is null" in text
    assert "33 Jawa Tengah: parent_code is 'ID', expected None" in text


def test_check_layer_lists_the_first_twenty_problems() -> None:
    gdf = gpd.GeoDataFrame(
        {
            "code": [f"32.01.{i:02d}" for i in range(3, 28)],
            "name": ["X"] * 25,
            "parent_code": ["32.01"] * 25,
        },
        geometry=[square(i) for i in range(25)],
        crs="EPSG:4326",
    )
    registry = tiny_registry()
    with pytest.raises(BoundaryError) as caught:
        check_layer(gdf, "kecamatan", registry)
    message = str(caught.value)
    assert message.startswith("kecamatan boundaries: 30 problem(s)\n")
    assert "  - 32.01.03 X: code is not in the region registry" in message
    assert message.endswith("  ... and 10 more")
    assert len(caught.value.problems) == 30
    check_layer(layer("kecamatan"), "kecamatan", registry)  # no error


def test_read_layer_and_available_levels(
    boundaries: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert available_levels(boundaries) == ["provinsi", "kabkota", "kecamatan"]
    assert list(read_layer(boundaries, "kabkota")["code"]) == ["32.01", "32.73", "33.01"]
    empty = tmp_path_factory.mktemp("empty")
    assert available_levels(empty) == []
    with pytest.raises(BoundariesMissingError) as caught:
        read_layer(empty, "provinsi")
    assert "provinsi.parquet" in str(caught.value)
    assert "mata-garuda geodata import PATH --level kecamatan --code-column KODE" in str(
        caught.value
    )
    assert "MATA_GARUDA_BOUNDARIES_DIR" in str(caught.value)
    with pytest.raises(ValueError, match="desa"):
        read_layer(boundaries, "desa")


# --- simplification -----------------------------------------------------------------


def test_tolerance_table() -> None:
    assert set(NATIONAL_TOLERANCE) == set(LAYER_FILES)
    assert simplify_tolerance("provinsi") == 0.015
    assert simplify_tolerance("kabkota") == 0.015
    assert simplify_tolerance("kecamatan") == 0.015
    assert simplify_tolerance("kecamatan", 3.0) == pytest.approx(0.001)
    assert simplify_tolerance("kabkota", 0.3) == pytest.approx(0.0001)
    assert simplify_tolerance("kabkota", 300.0) == 0.015  # never coarser than national


def wiggly_pair() -> np.ndarray:
    """Two rectangles sharing a zigzag border of 201 vertices."""
    border = [(1 + (0.001 if i % 2 else 0), i / 200) for i in range(201)]
    left = shapely.Polygon([(0, 0), *border, (0, 1)])
    right = shapely.Polygon([(2, 0), (2, 1), *reversed(border)])
    return np.array([left, right], dtype=object)


def test_coverage_simplification_reduces_vertices_and_keeps_shared_border() -> None:
    geoms = wiggly_pair()
    before = shapely.get_num_coordinates(geoms).sum()
    out = simplify_coverage(geoms, 0.01)
    assert shapely.get_num_coordinates(out).sum() < before / 10
    assert shapely.is_valid(out).all() and not shapely.is_empty(out).any()
    # the shared border is simplified identically on both sides: no gap, no overlap
    assert shapely.intersection(out[0], out[1]).area == 0
    assert shapely.union_all(out).area == pytest.approx(2.0, abs=1e-9)


def test_small_islands_are_dropped_but_never_a_whole_region() -> None:
    island = box(5, 5, 5.001, 5.001)
    geoms = np.array(
        [
            shapely.MultiPolygon([box(0, 0, 1, 1), island]),
            shapely.MultiPolygon([box(10, 10, 10.001, 10.001), box(12, 12, 12.002, 12.002)]),
        ],
        dtype=object,
    )
    out = simplify_coverage(geoms, 0.01)
    assert out[0].equals(box(0, 0, 1, 1))
    # the larger islet stays (reduced to a triangle by Visvalingam-Whyatt)
    assert out[1].geom_type == "Polygon" and out[1].within(box(12, 12, 12.002, 12.002))


def test_region_that_collapses_when_rounded_is_kept_unrounded() -> None:
    sliver = shapely.Polygon([(0, 0), (1, 0), (1, 4e-6), (0.5, 1e-6), (0, 4e-6)])
    out = simplify_coverage(np.array([sliver, box(0, 1, 1, 2)], dtype=object), 0.01)
    assert out[0].equals(sliver)
    assert out[1].equals(box(0, 1, 1, 2))


def test_region_made_invalid_by_simplification_is_served_unsimplified(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    monkeypatch.setattr(
        shapely, "coverage_simplify", lambda g, t: np.array([bowtie, g[1]], dtype=object)
    )
    original = box(0.1234561, 0, 1, 1)
    out = simplify_coverage(np.array([original, box(1, 0, 2, 1)], dtype=object), 0.01)
    assert out[0].equals(box(0.12346, 0, 1, 1))
    assert out[1].equals(box(1, 0, 2, 1))


# --- store --------------------------------------------------------------------------


def test_store_serves_a_level_with_rounded_coordinates(store: BoundaryStore) -> None:
    payload = store.payload("kecamatan")
    assert payload.content_type == "application/geo+json"
    found = features(payload.body)
    assert [f["id"] for f in found] == list(KECAMATAN)
    first = found[0]
    assert first["properties"] == {"code": "32.01.01", "name": "Cibinong"}
    geometry = first["geometry"]
    assert isinstance(geometry, dict) and geometry["type"] == "Polygon"
    ring = geometry["coordinates"][0]
    assert sorted(map(tuple, ring[:-1])) == [
        (106.12346, -6.76543),
        (106.12346, -6.66543),
        (106.22346, -6.76543),
        (106.22346, -6.66543),
    ]
    assert ring[0] == ring[-1]
    assert gzip.decompress(payload.gzipped) == payload.body


def test_store_serves_the_children_of_a_region(store: BoundaryStore) -> None:
    assert [f["id"] for f in features(store.payload("kabkota", "32").body)] == ["32.01", "32.73"]
    assert [f["id"] for f in features(store.payload("kecamatan", "32.73").body)] == [
        "32.73.01",
        "32.73.02",
    ]
    assert [f["id"] for f in features(store.payload("kecamatan", "32").body)] == [
        "32.01.01",
        "32.01.02",
        "32.73.01",
        "32.73.02",
    ]
    assert store.payload("provinsi", "ID") is store.payload("provinsi")
    bounds = store.bounds("kabkota", "32")
    assert bounds == pytest.approx((X0, Y0, X0 + 0.4, Y0 + 0.1))
    assert store.bounds("provinsi") == pytest.approx((X0, Y0, X0 + 0.5, Y0 + 0.1))


def test_store_etag_is_stable_and_payload_cached(boundaries: Path, store: BoundaryStore) -> None:
    payload = store.payload("kabkota")
    assert store.payload("kabkota") is payload
    again = BoundaryStore(boundaries, tiny_registry()).payload("kabkota")
    assert again.etag == payload.etag and again.body == payload.body
    assert store.payload("kabkota", "32").etag != payload.etag
    assert len(payload.etag) == 32


def test_store_is_thread_safe_and_reads_each_file_once(
    store: BoundaryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    real = geodata.serve.read_layer

    def counting(directory: Path, level: str) -> gpd.GeoDataFrame:
        reads.append(level)
        return real(directory, level)

    monkeypatch.setattr(geodata.serve, "read_layer", counting)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: store.payload("kecamatan", "32"), range(16)))
    assert all(r is results[0] for r in results)
    store.payload("kecamatan")
    store.bounds("kecamatan", "33")
    assert reads == ["kecamatan"]


def test_store_geobuf(store: BoundaryStore) -> None:
    payload = store.payload("kecamatan", "32.73", fmt="geobuf")
    assert payload.content_type == "application/x-protobuf"
    decoded = geobuf.decode(payload.body)
    assert [f["id"] for f in decoded["features"]] == ["32.73.01", "32.73.02"]
    assert decoded["features"][0]["properties"] == {"code": "32.73.01", "name": "Sukasari"}
    coords = {tuple(c) for c in decoded["features"][0]["geometry"]["coordinates"][0]}
    assert (106.32346, -6.76543) in coords


@pytest.mark.parametrize(
    ("level", "parent", "fmt", "message"),
    [
        ("desa", None, "geojson", "unknown map level 'desa'"),
        ("kecamatan", "99", "geojson", "unknown region code '99'"),
        ("kecamatan", "32.73.01", "geojson", "'32.73.01' is a kecamatan, not a region above"),
        ("provinsi", "32", "geojson", "'32' is a provinsi, not a region above provinsi"),
        ("kabkota", "32", "svg", "unknown format 'svg'"),
    ],
)
def test_store_refuses_unknown_views(
    store: BoundaryStore, level: str, parent: str | None, fmt: str, message: str
) -> None:
    with pytest.raises(UnknownViewError, match=message):
        store.payload(level, parent, fmt)


def test_store_reports_parent_without_regions(boundaries: Path) -> None:
    store = BoundaryStore(boundaries, tiny_registry(Region("32.02", "kabkota", "Sukabumi", "32")))
    with pytest.raises(UnknownViewError, match="no kecamatan boundaries inside '32.02'"):
        store.payload("kecamatan", "32.02")
    with pytest.raises(KeyError):
        store.bounds("kecamatan", "34")


def test_store_is_lazy_and_reports_missing_files(tmp_path: Path) -> None:
    store = BoundaryStore(tmp_path / "nothing", tiny_registry())  # no error yet
    assert store.levels() == []
    with pytest.raises(BoundariesMissingError, match="kabkota.parquet"):
        store.payload("kabkota")


# --- HTTP ---------------------------------------------------------------------------


def client(store: BoundaryStore) -> flask.testing.FlaskClient:
    app = flask.Flask(__name__)
    app.register_blueprint(boundaries_blueprint(store))
    return app.test_client()


def test_http_serves_with_etag_then_304(store: BoundaryStore) -> None:
    http = client(store)
    response = http.get("/geo/kabkota.json?parent=32")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    assert response.headers["Cache-Control"] == "public, no-cache"
    etag = response.headers["ETag"]
    assert etag == f'"{store.payload("kabkota", "32").etag}"'
    assert [f["id"] for f in response.get_json(force=True)["features"]] == ["32.01", "32.73"]

    again = http.get("/geo/kabkota.json?parent=32", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag

    other = http.get("/geo/kabkota.json", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_a_url_naming_the_store_version_is_kept_for_good(store: BoundaryStore) -> None:
    http = client(store)
    kept = http.get(f"/geo/kabkota.json?parent=32&v={store.version}")
    assert kept.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert kept.data == http.get("/geo/kabkota.json?parent=32").data
    # Another version (a page from before a re-import or an upgrade) is revalidated.
    assert http.get("/geo/kabkota.json?parent=32&v=0ld").headers["Cache-Control"] == (
        "public, no-cache")


def test_the_store_version_changes_with_the_boundary_files(tmp_path: Path) -> None:
    (tmp_path / "provinsi.parquet").write_bytes(b"one")
    before = BoundaryStore(tmp_path, tiny_registry()).version
    assert BoundaryStore(tmp_path, tiny_registry()).version == before  # same files, same name
    (tmp_path / "provinsi.parquet").write_bytes(b"other")  # a re-import
    os.utime(tmp_path / "provinsi.parquet", ns=(1, 1))
    assert BoundaryStore(tmp_path, tiny_registry()).version != before


def test_http_gzip_and_geobuf(store: BoundaryStore) -> None:
    http = client(store)
    response = http.get("/geo/kecamatan.json", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(response.data) == store.payload("kecamatan").body
    assert response.headers["ETag"].endswith('-gzip"')
    revalidated = http.get(
        "/geo/kecamatan.json",
        headers={"Accept-Encoding": "gzip", "If-None-Match": response.headers["ETag"]},
    )
    assert revalidated.status_code == 304

    binary = http.get("/geo/provinsi.geobuf")
    assert binary.status_code == 200
    assert binary.mimetype == "application/x-protobuf"
    assert [f["id"] for f in geobuf.decode(binary.data)["features"]] == ["32", "33"]


def test_http_404_and_503(store: BoundaryStore, tmp_path: Path) -> None:
    http = client(store)
    for url, text in [
        ("/geo/desa.json", "unknown map level 'desa'"),
        ("/geo/kecamatan.json?parent=99", "unknown region code '99'"),
    ]:
        response = http.get(url)
        assert response.status_code == 404
        assert text in response.get_json()["error"]
    missing = client(BoundaryStore(tmp_path / "nothing", tiny_registry())).get("/geo/provinsi.json")
    assert missing.status_code == 503
    assert INSTALL_HINT in missing.get_json()["error"]


# --- the real boundary files --------------------------------------------------------


@pytest.fixture(scope="module")
def real_store(boundaries_dir: Path, registry: Registry) -> BoundaryStore:
    return BoundaryStore(boundaries_dir, registry)


@pytest.mark.parametrize(
    ("level", "count"), [("provinsi", 38), ("kabkota", 514), ("kecamatan", 7285)]
)
def test_real_layers_validate(
    boundaries_dir: Path, registry: Registry, level: str, count: int
) -> None:
    gdf = read_layer(boundaries_dir, level)
    assert validate_layer(gdf, level, registry) == []
    assert len(gdf) == count == len(registry.at_level(level))


def test_real_national_payload_sizes(real_store: BoundaryStore) -> None:
    provinsi = real_store.payload("provinsi")
    assert vertex_count(provinsi.body) < 40_000
    kecamatan = real_store.payload("kecamatan")
    assert len(features(kecamatan.body)) == 7285
    assert len(gzip.compress(kecamatan.body)) < 2_000_000


def test_real_drilled_views(real_store: BoundaryStore) -> None:
    kabkota = features(real_store.payload("kabkota", "32").body)
    assert len(kabkota) == 27
    assert {f["properties"]["name"] for f in kabkota} >= {"Kota Bandung", "Kabupaten Bandung"}
    kecamatan = features(real_store.payload("kecamatan", "32.73").body)
    assert len(kecamatan) == 30
    geoms = shapely.from_geojson([orjson.dumps(f["geometry"]) for f in kecamatan])
    assert shapely.is_valid(geoms).all()
    min_lon, min_lat, max_lon, max_lat = real_store.bounds("kecamatan", "32.73")
    assert 107.5 < min_lon < max_lon < 107.8 and -7.0 < min_lat < max_lat < -6.8
