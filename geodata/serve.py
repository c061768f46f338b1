"""Serve boundary layers to the browser as compact, cached GeoJSON or geobuf.

A view is a whole level (``level="kabkota"``) or the regions of one level inside a
parent region (``level="kecamatan", parent="32"``: every kecamatan of Jawa Barat).
Its geometry is simplified to the detail the view can show: what costs the browser is
the number of vertices, so tiny islands are dropped and the shared borders simplified
together with :func:`shapely.coverage_simplify` (no gaps or overlaps appear between
neighbours). Each payload is computed once per process and then served from memory.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import geobuf
import geopandas as gpd
import numpy as np
import orjson
import shapely
from numpy.typing import NDArray

from geodata.boundaries import LAYER_FILES, available_levels, old_provinces, read_layer
from geodata.registry import NATIONAL_CODE, Registry
from geodata.vintages import VINTAGES, vintage_file

log = logging.getLogger(__name__)

CONTENT_TYPES: dict[str, str] = {
    "geojson": "application/geo+json",
    "geobuf": "application/x-protobuf",
}
"""Served formats and their media types."""

DECIMALS = 5
"""Coordinate decimals kept (1e-5 degree is about 1.1 m)."""

NATIONAL_TOLERANCE: dict[str, float] = {"provinsi": 0.015, "kabkota": 0.015, "kecamatan": 0.015}
"""Simplification tolerance in degrees of a whole level (no parent).

One pixel of a 1,500 px wide map of Indonesia (46 degrees across) is about 0.03
degree; 0.015 is half of it. All 7,285 kecamatan at that tolerance keep 116k vertices
(0.71 MB gzipped); at 0.01 they kept 164k, and every recolour repaints them all in
software on a projector PC. Drilling in serves finer geometry.
"""

DRILL_PIXELS = 3000
"""A drilled-in view is simplified to ``parent extent / DRILL_PIXELS`` degrees.

That is half a pixel of a 1,500 px map fitted to the parent, the same rule that gives
the national 0.015 degree.
"""


def simplify_tolerance(level: str, parent_extent: float | None = None) -> float:
    """Return the simplification tolerance in degrees for a view.

    Parameters
    ----------
    level
        The map level shown.
    parent_extent
        The larger side, in degrees, of the bounding box of the regions shown when
        drilled into a parent; None for a whole level.

    Returns
    -------
    float
        ``NATIONAL_TOLERANCE[level]`` for a whole level, else ``parent_extent /
        DRILL_PIXELS``, never coarser than the national tolerance.
    """
    national = NATIONAL_TOLERANCE[level]
    if parent_extent is None:
        return national
    return min(national, parent_extent / DRILL_PIXELS)


def _drop_small_parts(geom: Any, min_area: float) -> Any:
    """Drop the parts of a MultiPolygon smaller than ``min_area``, keeping the largest."""
    if not isinstance(geom, shapely.MultiPolygon):
        return geom
    parts = list(geom.geoms)
    kept = [p for p in parts if p.area >= min_area] or [max(parts, key=lambda p: p.area)]
    return kept[0] if len(kept) == 1 else shapely.MultiPolygon(kept)


def _usable(geoms: NDArray[np.object_]) -> NDArray[np.bool_]:
    type_ids = shapely.get_type_id(geoms)
    polygonal = (type_ids == 3) | (type_ids == 6)
    result: NDArray[np.bool_] = polygonal & shapely.is_valid(geoms) & ~shapely.is_empty(geoms)
    return result


def simplify_coverage(
    geometries: NDArray[np.object_], tolerance: float, decimals: int = DECIMALS
) -> NDArray[np.object_]:
    """Simplify polygons that share borders for display, and round their coordinates.

    Parts of a MultiPolygon smaller than ``tolerance ** 2`` square degrees are dropped
    (the largest part of each region is always kept); then all borders are simplified
    together with :func:`shapely.coverage_simplify` (Visvalingam-Whyatt), so
    neighbours keep identical shared edges; then coordinates are rounded. A region
    that comes out empty or invalid is taken unsimplified (rounded), and if even that
    fails, unsimplified and unrounded.

    Parameters
    ----------
    geometries
        Valid Polygons and MultiPolygons forming a coverage (no overlaps).
    tolerance
        Visvalingam-Whyatt tolerance in degrees (about the square root of the area of
        the triangles removed).
    decimals
        Coordinate decimals kept.

    Returns
    -------
    numpy.ndarray
        One valid, non-empty Polygon or MultiPolygon per input, in input order.
    """
    min_area = tolerance**2
    kept = np.array([_drop_small_parts(g, min_area) for g in geometries], dtype=object)
    simplified = shapely.coverage_simplify(kept, tolerance) if len(kept) else kept

    def rounded(geoms: NDArray[np.object_]) -> NDArray[np.object_]:
        result: NDArray[np.object_] = shapely.transform(geoms, lambda c: np.round(c, decimals))
        return result

    result = rounded(simplified)
    bad = ~_usable(result)
    if bad.any():
        log.warning("%d region(s) unusable after simplification; kept unsimplified", bad.sum())
        result[bad] = rounded(kept[bad])
        bad = ~_usable(result)
        result[bad] = kept[bad]
    return result


def vertex_count(body: bytes) -> int:
    """Return the number of vertices in a GeoJSON FeatureCollection (for reports and tests)."""
    collection = orjson.loads(body)
    geoms = shapely.from_geojson([orjson.dumps(f["geometry"]) for f in collection["features"]])
    return int(shapely.get_num_coordinates(geoms).sum())


class UnknownViewError(KeyError):
    """A view that does not exist: unknown level, parent or format. The message names it."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class Payload:
    """A serialised view: ``body`` and, for HTTP, its gzip form and a strong ETag.

    ``etag`` is the unquoted hash of ``body``; ``gzipped`` is ``body`` compressed with
    gzip (deterministic, so it gets its own stable ETag ``etag + "-gzip"``).
    """

    body: bytes
    etag: str
    content_type: str
    gzipped: bytes

    @classmethod
    def of(cls, body: bytes, content_type: str) -> Payload:
        """Build a payload from its body, hashing and compressing it."""
        etag = hashlib.blake2b(body, digest_size=16).hexdigest()
        return cls(body, etag, content_type, gzip.compress(body, compresslevel=9, mtime=0))


class BoundaryStore:
    """Boundary views for the browser, computed once each and kept in memory.

    Layer files are read on first use. Safe to share between threads.

    Parameters
    ----------
    directory
        The boundaries directory (see :data:`geodata.boundaries.LAYER_FILES`).
    registry
        The region registry, used to check parent codes.
    """

    def __init__(self, directory: Path, registry: Registry) -> None:
        self.directory = directory
        self.registry = registry
        self._lock = threading.Lock()  # guards the dict of per-item locks
        self._locks: dict[object, threading.RLock] = {}
        self._layers: dict[tuple[str, str | None], gpd.GeoDataFrame] = {}
        self._payloads: dict[tuple[str, str | None, str, str | None], Payload] = {}
        self._simplified: dict[tuple[str, str | None, str | None], gpd.GeoDataFrame] = {}

    @cached_property
    def version(self) -> str:
        """Return a name of the payloads this store serves, for the URLs that ask for them.

        A hash of the boundary files (name, size, modification time) and of this module's
        source: a re-import or an upgrade that changes what is served gives new URLs, so a
        browser may keep a payload asked for by its versioned URL for good.
        """
        digest = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=8)
        files = sorted(self.directory.glob("*.parquet")) if self.directory.is_dir() else []
        for path in files:
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        return digest.hexdigest()

    def levels(self) -> list[str]:
        """Return the levels whose layer file is installed, coarse to fine."""
        return available_levels(self.directory)

    def warm(self) -> None:
        """Build the national view of every installed level, so no first visitor waits.

        The provinces of earlier boundary vintages too: they are dissolved from the kab/kota
        when no file holds them, which a first visitor of a 2019 map should not wait for.
        """
        for level in self.levels():
            self.payload(level)
        if "provinsi" in self.levels():
            for vintage in VINTAGES:
                self.payload("provinsi", vintage=vintage)

    def payload(self, level: str, parent: str | None = None, fmt: str = "geojson",
                vintage: str | None = None) -> Payload:
        """Return the serialised view of ``level`` (inside ``parent`` when given).

        Parameters
        ----------
        level
            ``"provinsi"``, ``"kabkota"`` or ``"kecamatan"``.
        parent
            A region code above ``level`` (``"32"``, ``"32.73"``) to serve only the
            regions inside it; None or ``"ID"`` for the whole level.
        fmt
            ``"geojson"`` (FeatureCollection; each feature has ``id`` = code and
            properties ``code`` and ``name``) or ``"geobuf"``.
        vintage
            None for today's regions, or one of :data:`geodata.vintages.VINTAGES` for the
            provinces of that time (it changes only the provinsi level).

        Returns
        -------
        Payload
            The same object on every call with the same arguments.

        Raises
        ------
        UnknownViewError
            If the level, parent, format or vintage is unknown, or the parent has no
            regions.
        geodata.boundaries.BoundariesMissingError
            If the layer file is not installed.
        """
        if fmt not in CONTENT_TYPES:
            raise UnknownViewError(f"unknown format {fmt!r}; expected one of geojson, geobuf")
        parent, vintage = self._check_view(level, parent, vintage)
        key = (level, parent, fmt, vintage)
        cached = self._payloads.get(key)
        if cached is None:
            with self._lock_for(key):
                cached = self._payloads.get(key)
                if cached is None:
                    cached = self._payloads[key] = self._build(level, parent, fmt, vintage)
        return cached

    def bounds(self, level: str, parent: str | None = None) -> tuple[float, float, float, float]:
        """Return ``(min_lon, min_lat, max_lon, max_lat)`` of a view, to fit a map to it.

        Takes the same ``level`` and ``parent`` as :meth:`payload` and raises the same
        errors.
        """
        view = self._view(level, *self._check_view(level, parent, None))
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in view.total_bounds)
        return min_lon, min_lat, max_lon, max_lat

    def simplified(self, level: str, parent: str | None = None,
                   vintage: str | None = None) -> gpd.GeoDataFrame:
        """Return the regions of a view with the simplified geometry the map draws.

        The same geometry as :meth:`payload` serves (before its conversion to GeoJSON),
        for drawing the view elsewhere, such as an image export. Takes the same ``level``,
        ``parent`` and ``vintage`` and raises the same errors.

        Returns
        -------
        geopandas.GeoDataFrame
            Columns ``code``, ``name`` and ``geometry`` (EPSG:4326), sorted by code; the
            same object on every call with the same arguments: do not modify it.
        """
        parent, vintage = self._check_view(level, parent, vintage)
        key = (level, parent, vintage)
        frame = self._simplified.get(key)
        if frame is None:
            with self._lock_for(("simplified", *key)):
                frame = self._simplified.get(key)
                if frame is None:
                    frame = self._simplified[key] = self._simplify(level, parent, vintage)
        return frame

    def _lock_for(self, item: object) -> threading.RLock:
        """Return the lock of one item (a layer or a payload): others build meanwhile."""
        with self._lock:
            return self._locks.setdefault(item, threading.RLock())

    def _check_view(self, level: str, parent: str | None,
                    vintage: str | None) -> tuple[str | None, str | None]:
        """Check a view; return its parent (None: the whole level) and vintage.

        The vintage is None where it does not change the regions (below provinsi).
        """
        levels = list(LAYER_FILES)
        if level not in levels:
            raise UnknownViewError(
                f"unknown map level {level!r}; expected one of {', '.join(levels)}"
            )
        if vintage is not None and vintage not in VINTAGES:
            raise UnknownViewError(
                f"unknown boundary vintage {vintage!r}; expected one of {', '.join(VINTAGES)}")
        vintage = vintage if level == "provinsi" else None
        if parent is None or parent == NATIONAL_CODE:
            return None, vintage
        if parent not in self.registry:
            raise UnknownViewError(f"unknown region code {parent!r}")
        parent_level = self.registry.level(parent)
        if parent_level not in levels or levels.index(parent_level) >= levels.index(level):
            raise UnknownViewError(f"{parent!r} is a {parent_level}, not a region above {level}")
        return parent, vintage

    def _layer(self, level: str, vintage: str | None = None) -> gpd.GeoDataFrame:
        key = (level, vintage)
        layer = self._layers.get(key)
        if layer is None:
            with self._lock_for(key):
                layer = self._layers.get(key)
                if layer is None:
                    layer = self._layers[key] = self._read(level, vintage).sort_values("code")
        return layer

    def _read(self, level: str, vintage: str | None) -> gpd.GeoDataFrame:
        """Read a layer, or the provinces of a vintage.

        Those are dissolved from today's kab/kota when the directory predates their file.
        """
        if vintage is None:
            return read_layer(self.directory, level)
        path = self.directory / vintage_file(vintage)
        if path.is_file():
            return gpd.read_parquet(path)
        finest = "kabkota" if "kabkota" in self.levels() else "provinsi"
        return old_provinces(self._layer(finest), self.registry, vintage)

    def _view(self, level: str, parent: str | None,
              vintage: str | None = None) -> gpd.GeoDataFrame:
        layer = self._layer(level, vintage)
        if parent is None:
            return layer
        view = layer[layer["code"].str.startswith(parent + ".")]
        if view.empty:
            raise UnknownViewError(f"no {level} boundaries inside {parent!r}")
        return view

    def _build(self, level: str, parent: str | None, fmt: str,
               vintage: str | None) -> Payload:
        if fmt == "geobuf":
            collection = orjson.loads(self.payload(level, parent, vintage=vintage).body)
            return Payload.of(geobuf.encode(collection, DECIMALS), CONTENT_TYPES[fmt])
        view = self.simplified(level, parent, vintage)
        features = [
            {
                "type": "Feature",
                "id": code,
                "properties": {"code": code, "name": name},
                "geometry": shapely.geometry.mapping(geom),
            }
            for code, name, geom in zip(view["code"], view["name"], view.geometry, strict=True)
        ]
        body = orjson.dumps({"type": "FeatureCollection", "features": features})
        return Payload.of(body, CONTENT_TYPES[fmt])

    def _simplify(self, level: str, parent: str | None,
                  vintage: str | None) -> gpd.GeoDataFrame:
        view = self._view(level, parent, vintage)
        extent = None
        if parent is not None:
            min_x, min_y, max_x, max_y = view.total_bounds
            extent = float(max(max_x - min_x, max_y - min_y))
        geoms = simplify_coverage(view.geometry.values, simplify_tolerance(level, extent))
        return gpd.GeoDataFrame({"code": view["code"].to_numpy(), "name": view["name"].to_numpy()},
                                geometry=gpd.GeoSeries(geoms, crs=view.crs))
