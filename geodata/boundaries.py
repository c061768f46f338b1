"""Read and validate the boundary layers (``provinsi``, ``kabkota``, ``kecamatan``).

A boundaries directory holds one GeoParquet file per level (:data:`LAYER_FILES`), each
with the columns ``code``, ``name``, ``parent_code`` and ``geometry`` in EPSG:4326.
:func:`validate_layer` lists every problem of a layer against the region registry;
:func:`check_layer` raises :class:`BoundaryError` when there is any.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import geopandas as gpd
import shapely

from geodata.registry import Level, Registry, level_of, parent_of
from geodata.vintages import PRE_SPLIT, VINTAGES, province_then

LAYER_FILES: dict[str, str] = {
    "provinsi": "provinsi.parquet",
    "kabkota": "kabkota.parquet",
    "kecamatan": "kecamatan.parquet",
}
"""File name of each map level inside a boundaries directory, from coarse to fine."""

COLUMNS = ("code", "name", "parent_code", "geometry")
"""Columns every layer file has."""

INSTALL_HINT = (
    "Install boundaries with `mata-garuda geodata import PATH --level kecamatan"
    " --code-column KODE` (PATH: a GeoParquet, GeoPackage, Shapefile or GeoJSON of"
    " kecamatan polygons), or set MATA_GARUDA_BOUNDARIES_DIR to a directory that holds"
    " provinsi.parquet, kabkota.parquet and kecamatan.parquet."
)
_SHOWN_PROBLEMS = 20


class BoundariesMissingError(FileNotFoundError):
    """A boundary layer file is absent; the message says how to install one."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"boundary file not found: {path}. {INSTALL_HINT}")
        self.path = path


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in a boundary layer or an import source.

    ``code`` and ``name`` name the record (None for a problem of the whole layer);
    ``row`` is the 1-based record number in an import source, when known.
    """

    code: str | None
    name: str | None
    message: str
    row: int | None = None

    def __str__(self) -> str:
        where = [f"row {self.row}"] if self.row is not None else []
        if self.code is not None:
            where.append(f"{self.code} {self.name}" if self.name else self.code)
        return f"{', '.join(where) or 'layer'}: {self.message}"


class BoundaryError(ValueError):
    """A boundary layer or import source has problems; ``problems`` lists them all."""

    def __init__(self, what: str, problems: list[Problem]) -> None:
        self.what = what
        self.problems = problems
        lines = [f"{what}: {len(problems)} problem(s)"]
        lines += [f"  - {p}" for p in problems[:_SHOWN_PROBLEMS]]
        if len(problems) > _SHOWN_PROBLEMS:
            lines.append(f"  ... and {len(problems) - _SHOWN_PROBLEMS} more")
        super().__init__("\n".join(lines))


def _check_level(level: str) -> None:
    if level not in LAYER_FILES:
        raise ValueError(f"unknown map level {level!r}; expected one of {', '.join(LAYER_FILES)}")


def available_levels(directory: Path) -> list[str]:
    """Return the map levels whose layer file exists in ``directory``, coarse to fine.

    Parameters
    ----------
    directory
        The boundaries directory.

    Returns
    -------
    list of str
        A subset of ``["provinsi", "kabkota", "kecamatan"]``.
    """
    return [level for level, file in LAYER_FILES.items() if (directory / file).is_file()]


def read_layer(directory: Path, level: str) -> gpd.GeoDataFrame:
    """Read the layer of one level.

    Parameters
    ----------
    directory
        The boundaries directory.
    level
        ``"provinsi"``, ``"kabkota"`` or ``"kecamatan"``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code``, ``name``, ``parent_code``, ``geometry``, as stored.

    Raises
    ------
    ValueError
        If ``level`` is not a map level.
    BoundariesMissingError
        If the layer file does not exist.
    """
    _check_level(level)
    path = directory / LAYER_FILES[level]
    if not path.is_file():
        raise BoundariesMissingError(path)
    return gpd.read_parquet(path)


def _geometry_problem(geom: object) -> str | None:
    """Return what is wrong with one layer geometry, or None when it is usable."""
    if geom is None:
        return "geometry is null"
    if not isinstance(geom, shapely.Polygon | shapely.MultiPolygon):
        kind = getattr(geom, "geom_type", type(geom).__name__)
        return f"geometry is a {kind}, expected Polygon or MultiPolygon"
    if geom.is_empty:
        return "geometry is empty"
    if not geom.is_valid:
        return f"geometry is invalid: {shapely.is_valid_reason(geom)}"
    return None


def validate_layer(gdf: gpd.GeoDataFrame, level: str, registry: Registry) -> list[Problem]:
    """List every problem of a boundary layer against the registry.

    Checks the CRS (EPSG:4326); that each geometry is a non-null, non-empty, valid
    Polygon or MultiPolygon; that codes are unique, of ``level`` and known to the
    registry; that ``parent_code`` is the code one level up (null for a provinsi);
    that names equal the registry's; and lists the registry codes of ``level`` that
    have no polygon.

    Parameters
    ----------
    gdf
        The layer, as returned by :func:`read_layer`.
    level
        The level the layer should hold.
    registry
        The region registry to compare with.

    Returns
    -------
    list of Problem
        Empty when the layer is sound; each record problem names code and name.
    """
    _check_level(level)
    missing_columns = [c for c in COLUMNS if c not in gdf.columns]
    if missing_columns:
        return [Problem(None, None, f"missing column(s): {', '.join(missing_columns)}")]
    problems: list[Problem] = []
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        crs = "none" if gdf.crs is None else gdf.crs.to_string()
        problems.append(Problem(None, None, f"CRS is {crs}, expected EPSG:4326"))

    counts = Counter(gdf["code"])
    for code, name, parent, geom in zip(
        gdf["code"], gdf["name"], gdf["parent_code"], gdf.geometry, strict=True
    ):
        name = name if isinstance(name, str) else None
        if not isinstance(code, str):
            problems.append(Problem(str(code), name, "code is not a string"))
            continue
        try:
            code_level = level_of(code)
        except ValueError:
            problems.append(Problem(code, name, "code is not a dotted Kemendagri code"))
            continue
        if code_level != level:
            problems.append(Problem(code, name, f"code is a {code_level} code, expected {level}"))
        elif code not in registry:
            problems.append(Problem(code, name, "code is not in the region registry"))
        elif name != registry.name(code):
            problems.append(
                Problem(
                    code,
                    name,
                    f"name {name!r} differs from the registry name {registry.name(code)!r}",
                )
            )
        if counts[code] > 1:
            problems.append(Problem(code, name, f"code appears {counts[code]} times"))
        expected_parent = None if code_level == "provinsi" else parent_of(code)
        parent = parent if isinstance(parent, str) else None
        if parent != expected_parent:
            problems.append(
                Problem(code, name, f"parent_code is {parent!r}, expected {expected_parent!r}")
            )
        geometry_problem = _geometry_problem(geom)
        if geometry_problem:
            problems.append(Problem(code, name, geometry_problem))

    for region in registry.at_level(cast(Level, level)):
        if region.code not in counts:
            problems.append(Problem(region.code, region.name, "registry region has no polygon"))
    return problems


def check_layer(gdf: gpd.GeoDataFrame, level: str, registry: Registry) -> None:
    """Validate a layer and raise if it has any problem.

    Parameters
    ----------
    gdf
        The layer to check.
    level
        The level the layer should hold.
    registry
        The region registry to compare with.

    Raises
    ------
    BoundaryError
        Listing the first problems and their count, when :func:`validate_layer`
        finds any.
    """
    problems = validate_layer(gdf, level, registry)
    if problems:
        raise BoundaryError(f"{level} boundaries", problems)


def old_provinces(layer: gpd.GeoDataFrame, registry: Registry,
                  vintage: str = PRE_SPLIT) -> gpd.GeoDataFrame:
    """Dissolve a current kab/kota (or provinsi) layer into the provinces of ``vintage``.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        Today's kab/kota (or provinces) with columns ``code`` and ``geometry``; they nest
        in their provinces, so either gives the same outlines.
    registry : Registry
        The region registry, for the provinces' names.
    vintage : str, optional
        One of :data:`VINTAGES`.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code``, ``name``, ``parent_code`` (null) and ``geometry``, one row per
        province of the vintage (34 for :data:`PRE_SPLIT`), sorted by code.

    Raises
    ------
    ValueError
        For an unknown vintage.
    """
    if vintage not in VINTAGES:
        raise ValueError(f"unknown boundary vintage {vintage!r}; expected one of {VINTAGES}")
    frame = gpd.GeoDataFrame(
        {"province": [province_then(code, vintage) for code in layer["code"]]},
        geometry=layer.geometry.to_numpy(), crs=layer.crs)
    merged = frame.dissolve(by="province", as_index=False).sort_values("province")
    codes = merged["province"].to_list()
    return gpd.GeoDataFrame(
        {"code": codes, "name": [registry.name(code) for code in codes],
         "parent_code": [None] * len(codes)},
        geometry=merged.geometry.to_numpy(), crs=layer.crs,
    ).reset_index(drop=True)
