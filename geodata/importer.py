"""Import boundary polygons from a GIS file into the boundaries directory.

The source (GeoParquet, GeoPackage, Shapefile or GeoJSON) holds the polygons of one
level with a column of region codes. Every record is checked; any problem refuses the
whole import, naming the record, and leaves the installed files untouched. The levels
above the imported one are built by dissolving it, and every layer is written as
GeoParquet in EPSG:4326 with names from the registry.
"""

from __future__ import annotations

import numbers
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, cast

import geopandas as gpd
import shapely

from geodata.boundaries import LAYER_FILES, BoundaryError, Problem, old_provinces
from geodata.registry import Level, Region, Registry, level_of, normalize_name
from geodata.vintages import VINTAGES, vintage_file

READERS = (".parquet", ".gpkg", ".shp", ".geojson", ".json")
"""Accepted source file suffixes."""

_DIGITS = {"provinsi": 2, "kabkota": 4, "kecamatan": 6}
_DOTTED = re.compile(r"^\d{2}(\.\d{2}){0,2}$")


@dataclass
class ImportReport:
    """What an import did.

    Attributes
    ----------
    level
        The level of the source polygons.
    rows
        Records read from the source.
    repaired
        Invalid geometries repaired with :func:`shapely.make_valid`.
    missing
        Registry regions of each written level that have no polygon.
    name_mismatches
        Records whose name (``name_column``) differs from the registry name; the
        registry name is the one written.
    files
        Layer files written.
    """

    level: str
    rows: int
    repaired: int = 0
    missing: list[Region] = field(default_factory=list)
    name_mismatches: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def __str__(self) -> str:
        """Return a human-readable multi-line summary."""
        lines = [
            f"{self.rows} {self.level} record(s) imported, {self.repaired} geometry(ies) repaired",
            *(f"wrote {path}" for path in self.files),
        ]
        if self.missing:
            lines.append(f"{len(self.missing)} registry region(s) without a polygon:")
            lines += [f"  - {r.code} {r.name} ({r.level})" for r in self.missing]
        if self.name_mismatches:
            lines.append(f"{len(self.name_mismatches)} name(s) differ from the registry:")
            lines += [f"  - {p}" for p in self.name_mismatches]
        return "\n".join(lines)


def normalize_code(value: object, level: str) -> str:
    """Return a region code of ``level`` in dotted form.

    Accepts the dotted form (``"32.73"``) and the same digits without dots, as text
    (``"3273"``) or as an integer (``3273``, or ``3273.0`` from a numeric column).
    Every Kemendagri code starts with a non-zero digit, so an integer loses nothing;
    anything else is refused.

    Parameters
    ----------
    value
        The value of the code column.
    level
        ``"provinsi"``, ``"kabkota"`` or ``"kecamatan"``.

    Returns
    -------
    str
        The dotted code, for example ``"32.73.01"``.

    Raises
    ------
    ValueError
        If ``value`` is not a code of ``level`` in one of those forms.
    """
    digits = _DIGITS[level]
    text: str | None = None
    if isinstance(value, str):
        text = value.strip()
        if _DOTTED.match(text):
            return text
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
        text = str(int(value))
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if text is None or not text.isdigit() or len(text) != digits or text.startswith("0"):
        example = ".".join(["32", "73", "01"][: digits // 2])
        raise ValueError(
            f"code {value!r} is not a {level} code (expected {example!r} or"
            f" {example.replace('.', '')!r})"
        )
    return ".".join(text[i : i + 2] for i in range(0, digits, 2))


def _refuse(what: str, message: str) -> NoReturn:
    raise BoundaryError(what, [Problem(None, None, message)])


def _read(source: Path) -> gpd.GeoDataFrame:
    suffix = source.suffix.lower()
    if suffix not in READERS:
        _refuse(source.name, f"unsupported file type {suffix!r}; use one of {', '.join(READERS)}")
    if not source.is_file():
        raise FileNotFoundError(f"boundary source not found: {source}")
    if suffix == ".parquet":
        return gpd.read_parquet(source)
    return gpd.read_file(source, engine="pyogrio")


def _polygonal(geom: Any) -> Any:
    """Return the polygonal part of a geometry (None when it has none)."""
    if isinstance(geom, shapely.Polygon | shapely.MultiPolygon):
        return geom
    polygons = [
        q
        for p in shapely.get_parts(geom)
        if isinstance(p, shapely.Polygon | shapely.MultiPolygon)
        for q in shapely.get_parts(p)
    ]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def _check_geometry(geom: Any) -> tuple[Any, str | None, bool]:
    """Return ``(geometry, problem, repaired)`` for one source geometry."""
    if geom is None:
        return None, "geometry is null", False
    if geom.is_empty:
        return None, "geometry is empty", False
    if not isinstance(geom, shapely.Polygon | shapely.MultiPolygon):
        return None, f"geometry is a {geom.geom_type}, expected Polygon or MultiPolygon", False
    geom = shapely.force_2d(geom)
    if geom.is_valid:
        return geom, None, False
    repaired = _polygonal(shapely.make_valid(geom, method="structure"))
    if repaired is None or repaired.is_empty:
        reason = shapely.is_valid_reason(geom)
        return None, f"geometry is invalid ({reason}) and has no area once repaired", False
    return repaired, None, True


def _layer(codes: list[str], geoms: list[Any], registry: Registry) -> gpd.GeoDataFrame:
    """Build a layer frame with names and parent codes from the registry, sorted by code."""
    regions = [registry.get(code) for code in codes]
    frame = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": [r.name for r in regions],
            "parent_code": [None if r.level == "provinsi" else r.parent_code for r in regions],
        },
        geometry=geoms,
        crs="EPSG:4326",
    )
    return frame.sort_values("code", ignore_index=True)


def _dissolve(child: gpd.GeoDataFrame, registry: Registry) -> gpd.GeoDataFrame:
    """Dissolve a layer into the layer one level up."""
    merged = child.dissolve(by="parent_code", as_index=False)
    geoms = [_polygonal(shapely.make_valid(g)) for g in merged.geometry]
    return _layer(list(merged["parent_code"]), geoms, registry)


def import_boundaries(
    source: Path,
    *,
    level: str,
    code_column: str,
    out_dir: Path,
    registry: Registry,
    name_column: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Check a GIS file of region polygons and install it as boundary layers.

    The source is read with geopandas (GeoParquet ``.parquet``, GeoPackage ``.gpkg``,
    Shapefile ``.shp``, GeoJSON ``.geojson``/``.json``) and reprojected to
    EPSG:4326. Every record must have a code of ``level`` known to the registry,
    unique, and a Polygon or MultiPolygon; an invalid geometry is repaired with
    :func:`shapely.make_valid`, keeping its polygonal parts. The levels above
    ``level`` are built by dissolving. Each layer is written to a temporary file in
    ``out_dir`` and moved into place only once all are written, so a refused or
    failed import leaves the installed files untouched.

    Parameters
    ----------
    source
        The file to import.
    level
        The level of its polygons: ``"provinsi"``, ``"kabkota"`` or ``"kecamatan"``.
    code_column
        The column holding the region codes, dotted (``"32.73.01"``) or digits only
        (``"327301"`` or ``327301``).
    out_dir
        The boundaries directory; created if absent.
    registry
        The region registry; names are taken from it.
    name_column
        Optional column of region names, compared with the registry (differences are
        reported, not refused).
    progress
        Called with a short message before each step.

    Returns
    -------
    ImportReport
        Records read, geometries repaired, regions without a polygon, files written.

    Raises
    ------
    BoundaryError
        If the source has no CRS, lacks a column, or any record is refused; the
        problems name the record by row (1-based) and code.
    ValueError
        If ``level`` is not a map level.
    """
    if level not in _DIGITS:
        raise ValueError(f"unknown map level {level!r}; expected one of {', '.join(_DIGITS)}")
    say = progress or (lambda message: None)
    what = f"{source.name} ({level})"
    frame = _read_checked(source, what, [code_column, name_column], say)
    say(f"checking {len(frame)} record(s)")
    report = ImportReport(level=level, rows=len(frame))
    codes, geoms = _check_records(frame, level, code_column, name_column, registry, report, what)
    layers = _build_layers(level, codes, geoms, registry, say)
    report.missing += _missing(layers, registry)
    files = {LAYER_FILES[lvl]: layer for lvl, layer in layers.items()}
    finest = "kabkota" if "kabkota" in layers else "provinsi"
    for vintage in VINTAGES:
        say(f"dissolving the provinces of {vintage} from today's {finest}")
        files[vintage_file(vintage)] = old_provinces(layers[finest], registry, vintage)
    _write_all(files, out_dir, say)
    report.files = [out_dir / name for name in files]
    return report


def _read_checked(
    source: Path, what: str, columns: list[str | None], say: Callable[[str], None]
) -> gpd.GeoDataFrame:
    """Read the source, check its CRS and ``columns`` (None skipped), reproject to 4326."""
    say(f"reading {source}")
    frame = _read(source)
    if frame.crs is None:
        _refuse(
            what,
            "the file has no coordinate reference system (CRS); set it in the source,"
            " for example `ogr2ogr -a_srs EPSG:4326 out.gpkg in.shp`",
        )
    for column in columns:
        if column is not None and column not in frame.columns:
            found = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name)
            _refuse(what, f"no column {column!r} (found: {found})")
    if frame.crs.to_epsg() != 4326:
        say(f"reprojecting from {frame.crs.to_string()} to EPSG:4326")
        frame = frame.to_crs(4326)
    return frame


def _check_records(
    frame: gpd.GeoDataFrame,
    level: str,
    code_column: str,
    name_column: str | None,
    registry: Registry,
    report: ImportReport,
    what: str,
) -> tuple[list[str], list[Any]]:
    """Check every record and return the codes and geometries to import.

    Names that differ from the registry and repaired geometries are counted in
    ``report``; any refused record refuses the import, naming every one.
    """
    problems: list[Problem] = []
    first_row: dict[str, int] = {}
    codes: list[str] = []
    geoms: list[Any] = []
    names = frame[name_column] if name_column else [None] * len(frame)
    for row, (value, source_name, geom) in enumerate(
        zip(frame[code_column], names, frame.geometry, strict=True), start=1
    ):
        label = source_name if isinstance(source_name, str) else None
        code, problem = _check_code(value, level, registry)
        if problem:
            problems.append(Problem(code, label, problem, row))
            continue
        name = registry.name(code)
        if code in first_row:
            message = f"duplicate code (first at row {first_row[code]})"
            problems.append(Problem(code, name, message, row))
            continue
        first_row[code] = row
        if label is not None and normalize_name(label) != normalize_name(name):
            report.name_mismatches.append(Problem(code, label, f"registry name is {name!r}", row))
        geom, problem, repaired = _check_geometry(geom)
        if problem:
            problems.append(Problem(code, name, problem, row))
            continue
        report.repaired += repaired
        codes.append(code)
        geoms.append(geom)
    if problems:
        raise BoundaryError(what, problems)
    if not codes:
        _refuse(what, "the file has no records")
    return codes, geoms


def _check_code(value: object, level: str, registry: Registry) -> tuple[str, str | None]:
    """Return ``(code, problem)`` for one value of the code column.

    The code is dotted when the value reads as a code (the value as text when not);
    the problem is None for a code of ``level`` in the registry.
    """
    try:
        code = normalize_code(value, level)
    except ValueError as exc:
        return str(value), str(exc)
    if level_of(code) != level:
        return code, f"code is a {level_of(code)} code, expected {level}"
    if code not in registry:
        return code, "code is not in the region registry"
    return code, None


def _build_layers(
    level: str,
    codes: list[str],
    geoms: list[Any],
    registry: Registry,
    say: Callable[[str], None],
) -> dict[str, gpd.GeoDataFrame]:
    """Return the imported layer and, dissolved from it, every layer above it."""
    layers = {level: _layer(codes, geoms, registry)}
    levels = list(LAYER_FILES)
    for upper in reversed(levels[: levels.index(level)]):
        say(f"dissolving {upper}")
        layers[upper] = _dissolve(layers[levels[levels.index(upper) + 1]], registry)
    return layers


def _missing(layers: dict[str, gpd.GeoDataFrame], registry: Registry) -> list[Region]:
    """Return the registry regions of each layer's level that have no polygon in it."""
    missing: list[Region] = []
    for lvl, layer in layers.items():
        present = set(layer["code"])
        missing += [r for r in registry.at_level(cast(Level, lvl)) if r.code not in present]
    return missing


def _write_all(
    files: dict[str, gpd.GeoDataFrame], out_dir: Path, say: Callable[[str], None]
) -> None:
    """Write every layer to a temporary file, then move them all into place."""
    out_dir.mkdir(parents=True, exist_ok=True)
    temporary: dict[Path, Path] = {}
    try:
        for name, layer in files.items():
            target = out_dir / name
            say(f"writing {target}")
            temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            temporary[temp] = target
            layer.to_parquet(temp, compression="zstd", index=False)
        for temp, target in temporary.items():
            os.replace(temp, target)
    finally:
        for temp in temporary:
            temp.unlink(missing_ok=True)
