"""The boundary import: reading, reprojecting, refusing bad records, dissolving, writing."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import box

from geodata.boundaries import LAYER_FILES, BoundaryError, read_layer, validate_layer
from geodata.importer import import_boundaries, normalize_code
from geodata.registry import Region, Registry
from tests.tiny import KECAMATAN, tiny_registry


@pytest.fixture
def small_registry() -> Registry:
    """Five kecamatan plus one (33.01.02 Wanareja) that no source has a polygon for."""
    return tiny_registry(Region("33.01.02", "kecamatan", "Wanareja", "33.01"))


def source(
    codes: list[object], geoms: list[object] | None = None, crs: object = 3857
) -> gpd.GeoDataFrame:
    """Kecamatan as a data provider ships them: 0.1-degree squares, in ``crs``."""
    squares = [box(106 + i * 0.1, -6.8, 106.1 + i * 0.1, -6.7) for i in range(len(codes))]
    frame = gpd.GeoDataFrame(
        {"KODE": codes, "NAMA": [f"Kec. {i}" for i in range(len(codes))]},
        geometry=geoms or squares,
    )
    return frame if crs is None else frame.set_crs(4326).to_crs(crs)


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture
def installed(tmp_path: Path, small_registry: Registry) -> Path:
    """A boundaries directory with a good import already in place."""
    path = tmp_path / "src.geojson"
    source(["320101", "320102", "327301", "327302", "330101"]).to_file(path, driver="GeoJSON")
    out = tmp_path / "geodata"
    import_boundaries(
        path, level="kecamatan", code_column="KODE", out_dir=out, registry=small_registry
    )
    return out


def test_normalize_code() -> None:
    assert normalize_code("32.73.01", "kecamatan") == "32.73.01"
    assert normalize_code(" 327301 ", "kecamatan") == "32.73.01"
    assert normalize_code(3273, "kabkota") == "32.73"
    assert normalize_code(3273.0, "kabkota") == "32.73"
    assert normalize_code(32, "provinsi") == "32"
    for bad in ["32-73", "327", "032731", 3273.5, None, True, "32.7.3", float("nan")]:
        with pytest.raises(ValueError, match="not a kabkota code"):
            normalize_code(bad, "kabkota")


def test_import_reprojects_dissolves_and_writes(tmp_path: Path, small_registry: Registry) -> None:
    path = tmp_path / "kecamatan.geojson"
    source(["32.01.01", "32.01.02", "32.73.01", "32.73.02", "33.01.01"]).to_file(
        path, driver="GeoJSON"
    )
    assert gpd.read_file(path).crs.to_epsg() == 3857
    steps: list[str] = []
    out = tmp_path / "geodata"
    report = import_boundaries(
        path,
        level="kecamatan",
        code_column="KODE",
        name_column="NAMA",
        out_dir=out,
        registry=small_registry,
        progress=steps.append,
    )
    assert report.rows == 5 and report.repaired == 0
    assert report.files == [
        out / "kecamatan.parquet",
        out / "kabkota.parquet",
        out / "provinsi.parquet",
        out / "provinsi-pra2022.parquet",  # the provinces before the 2022 Papua split
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*LAYER_FILES.values(), "provinsi-pra2022.parquet"])
    assert [(r.code, r.name) for r in report.missing] == [("33.01.02", "Wanareja")]
    assert len(report.name_mismatches) == 5  # "Kec. 0" is not "Cibinong"
    assert "33.01.02 Wanareja (kecamatan)" in str(report)
    assert steps[0].startswith("reading") and "reprojecting from EPSG:3857 to EPSG:4326" in steps

    kecamatan = read_layer(out, "kecamatan")
    assert kecamatan.crs.to_epsg() == 4326
    assert list(kecamatan["name"]) == list(KECAMATAN.values())  # names from the registry
    assert kecamatan.geometry[0].equals_exact(box(106, -6.8, 106.1, -6.7), 1e-9)
    kabkota = read_layer(out, "kabkota")
    assert list(kabkota["code"]) == ["32.01", "32.73", "33.01"]
    assert list(kabkota["parent_code"]) == ["32", "32", "33"]
    assert kabkota.geometry[0].symmetric_difference(box(106, -6.8, 106.2, -6.7)).area < 1e-12
    provinsi = read_layer(out, "provinsi")
    assert list(provinsi["name"]) == ["Jawa Barat", "Jawa Tengah"]
    assert provinsi["parent_code"].isna().all()
    assert provinsi.geometry[0].symmetric_difference(box(106, -6.8, 106.4, -6.7)).area < 1e-12

    for level in LAYER_FILES:
        problems = validate_layer(read_layer(out, level), level, small_registry)
        assert [str(p) for p in problems] == (
            ["33.01.02 Wanareja: registry region has no polygon"] if level == "kecamatan" else []
        )


def test_import_geopackage_with_integer_codes_and_repair(
    tmp_path: Path, small_registry: Registry
) -> None:
    bowtie = shapely.Polygon([(107, -7), (107.1, -6.9), (107.1, -7), (107, -6.9)])
    squares = [box(106, -6.8, 106.1, -6.7), bowtie]
    path = tmp_path / "kabkota.gpkg"
    source([3201, 3273], squares, crs=4326).to_file(path, driver="GPKG")
    report = import_boundaries(
        path, level="kabkota", code_column="KODE", out_dir=tmp_path, registry=small_registry
    )
    assert report.repaired == 1
    kabkota = read_layer(tmp_path, "kabkota")
    assert list(kabkota["code"]) == ["32.01", "32.73"]
    assert kabkota.geometry[1].geom_type == "MultiPolygon" and kabkota.geometry[1].is_valid
    assert list(read_layer(tmp_path, "provinsi")["code"]) == ["32"]
    assert [r.code for r in report.missing] == ["33.01", "33"]


@pytest.mark.parametrize(
    ("codes", "geoms", "crs", "message"),
    [
        (["320101"], None, None, "no coordinate reference system"),
        (
            ["320101", "320102", "320101"],
            None,
            3857,
            "row 3, 32.01.01 Cibinong: duplicate code (first at row 1)",
        ),
        (
            ["320101", "329901"],
            None,
            3857,
            "row 2, 32.99.01 Kec. 1: code is not in the region registry",
        ),
        (
            ["320101", "32.01"],
            None,
            3857,
            "row 2, 32.01 Kec. 1: code is a kabkota code, expected kecamatan",
        ),
        (
            ["320101", "32-01-02"],
            None,
            3857,
            "row 2, 32-01-02 Kec. 1: code '32-01-02' is not a kecamatan",
        ),
        (
            ["320101", "320102"],
            [box(0, 0, 1, 1), shapely.Point(106, -6)],
            4326,
            "row 2, 32.01.02 Gunung Putri: geometry is a Point, expected Polygon or MultiPolygon",
        ),
    ],
)
def test_bad_input_is_refused_and_leaves_files_untouched(
    installed: Path,
    tmp_path: Path,
    small_registry: Registry,
    codes: list[object],
    geoms: list[object] | None,
    crs: object,
    message: str,
) -> None:
    before = snapshot(installed)
    path = tmp_path / "bad.parquet"
    source(codes, geoms, crs).to_parquet(path)
    with pytest.raises(BoundaryError) as caught:
        import_boundaries(
            path,
            level="kecamatan",
            code_column="KODE",
            name_column="NAMA",
            out_dir=installed,
            registry=small_registry,
        )
    assert message in str(caught.value)
    assert snapshot(installed) == before


def test_missing_column_and_unsupported_file(tmp_path: Path, small_registry: Registry) -> None:
    path = tmp_path / "src.parquet"
    source(["320101"]).to_parquet(path)
    with pytest.raises(BoundaryError, match=r"no column 'KODE_KEC' \(found: KODE, NAMA\)"):
        import_boundaries(
            path,
            level="kecamatan",
            code_column="KODE_KEC",
            out_dir=tmp_path,
            registry=small_registry,
        )
    source([]).iloc[:0].to_parquet(path)
    with pytest.raises(BoundaryError, match="the file has no records"):
        import_boundaries(
            path, level="kecamatan", code_column="KODE", out_dir=tmp_path, registry=small_registry
        )
    with pytest.raises(BoundaryError, match="unsupported file type '.csv'"):
        import_boundaries(
            tmp_path / "x.csv",
            level="kecamatan",
            code_column="KODE",
            out_dir=tmp_path,
            registry=small_registry,
        )


def test_failed_write_leaves_old_files_and_no_temporary_file(
    installed: Path, tmp_path: Path, small_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(installed)
    path = tmp_path / "src.parquet"
    source(["320101", "320102"]).to_parquet(path)
    real = gpd.GeoDataFrame.to_parquet
    written: list[Path] = []

    def fail_on_second(self: gpd.GeoDataFrame, target: Path, **kwargs: object) -> None:
        if written:
            raise OSError("disk full")
        written.append(target)
        real(self, target, **kwargs)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_parquet", fail_on_second)
    with pytest.raises(OSError, match="disk full"):
        import_boundaries(
            path, level="kecamatan", code_column="KODE", out_dir=installed, registry=small_registry
        )
    assert written and snapshot(installed) == before
