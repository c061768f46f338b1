"""The map view: what the URL asks for, which layer it shows, and the values to colour it.

The URL is the state: ``/wilayah/<kode>?indikator=idi&tahun=2024&kelas=jenks&n=5``.
:func:`parse_view` turns it into a :class:`View` (never failing: a bad part falls back to
a default and yields a message), :func:`view_url` turns a view back into a URL. The page
keeps the view in its store; :func:`view_of` reads it back strictly (a state the page
never writes is a bad request).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

import polars as pl
from sqlalchemy import Connection

from geodata.registry import LEVELS, NATIONAL_CODE, Level, Registry, UnknownRegionError
from geodata.vintages import province_then, vintage_of
from i18n import Message as Text
from i18n import t
from queries import params
from queries.catalogue import Category, Indicator, MethodBreak
from queries.classify import MAX_CLASSES, METHODS, MIN_CLASSES, Classes, classify, diverging_classes
from queries.defaults import DEFAULT_INDICATORS
from queries.indicators import (
    CHANGE_REASONS,
    change_rule,
    data_levels,
    empty_values,
    indicator_values,
    latest_period,
    previous_period,
    targets,
    time_series,
)
from queries.provenance import KindCounts, count_kinds

SHOW = ("nilai", "perubahan")
NATIONAL_LEVELS: tuple[Level, ...] = ("provinsi", "kabkota", "kecamatan")
Message = tuple[str, dict[str, object]]  # translation key and its fields


@dataclass(frozen=True)
class View:
    """Everything a map view shows; the URL holds all of it."""

    kode: str = NATIONAL_CODE
    indikator: str = DEFAULT_INDICATORS["peta"]
    tahun: int | None = None
    tampil: str = "nilai"
    dari: int | None = None
    kelas: str | None = None
    n: int = 5
    palet: str | None = None
    tingkat: Level | None = None
    resmi: bool = False  # official data only: simulated values are hidden

    def method(self, ind: Indicator) -> str:
        """Return the classification: as asked, else official categories when there are any."""
        if self.kelas is not None:
            return self.kelas
        return "kategori" if ind.categories and self.tampil == "nilai" else "kuantil"


@dataclass(frozen=True)
class Layer:
    """The regions a view draws: a level, optionally the children of one region."""

    level: Level
    parent: str | None
    selected: str | None = None
    vintage: str | None = None  # the provinces of another time (geodata.vintages)

    @property
    def key(self) -> str:
        """Return a short identifier of the geometry: ``kabkota:32``, ``provinsi:ID@pra2022``."""
        vintage = f"@{self.vintage}" if self.vintage else ""
        return f"{self.level}:{self.parent or NATIONAL_CODE}{vintage}"


def snap_period(value: float | None, previous: int | None, periods: tuple[int, ...]) -> int:
    """Return the period a slider value means.

    A keyboard step on a slider with marks only may land between two periods (2023.95):
    moving down from ``previous`` goes to the period below it, moving up to the one above.
    """
    if value is None:
        return periods[-1]
    if value in periods:
        return int(value)
    if previous is not None and value < previous:
        below = [p for p in periods if p < previous]
        return below[-1] if below else periods[0]
    if previous is not None and value > previous:
        above = [p for p in periods if p > previous]
        return above[0] if above else periods[-1]
    return min(periods, key=lambda p: abs(p - value))


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.strip().lstrip("-").isdigit() else None


def shown_region(kode: object, registry: Registry) -> bool:
    """Return whether the map can show the region ``kode``: the nation down to a kecamatan."""
    return isinstance(kode, str) and (kode == NATIONAL_CODE or (
        kode in registry and registry.level(kode) in NATIONAL_LEVELS))


def map_region(name: str, kode: object, registry: Registry) -> str:
    """Return ``kode`` if the map can show it (:func:`shown_region`).

    Raises
    ------
    queries.params.ParameterError
        Naming ``name`` otherwise.
    """
    if not shown_region(kode, registry):
        raise params.ParameterError(name, kode, Text("request.expected.kode"))
    return str(kode)


def parse_view(kode: str | None, query: Mapping[str, str], registry: Registry,
               catalogue: Mapping[str, Indicator]) -> tuple[View, list[Message]]:
    """Read a view from the path's region code and the query string.

    Unknown codes, indicators, classifications or numbers fall back to defaults; each
    such fallback adds a message (a translation key and its fields) for the page.
    """
    messages: list[Message] = []
    view = View()
    query = {k: v for k, v in query.items() if isinstance(v, str)}  # a repeated key: a list
    if kode and kode != NATIONAL_CODE:
        if shown_region(kode, registry):
            view = replace(view, kode=kode)
        else:
            messages.append(("peta.error.kode", {"kode": kode}))
    indikator = query.get("indikator")
    if indikator:
        if indikator in catalogue:
            view = replace(view, indikator=indikator)
        else:
            messages.append(("peta.error.indikator", {"indikator": indikator}))
    tahun = query.get("tahun")
    if tahun:
        year = _int(tahun)
        if year is None:
            messages.append(("peta.error.tahun", {"tahun": tahun}))
        view = replace(view, tahun=year)
    tampil = query.get("tampil")
    if tampil in SHOW:
        view = replace(view, tampil=tampil)
    view = replace(view, dari=_int(query.get("dari")))
    kelas = query.get("kelas")
    if kelas:
        if kelas in METHODS:
            view = replace(view, kelas=kelas)
        else:
            messages.append(("peta.error.kelas", {"kelas": kelas}))
    n = _int(query.get("n"))
    if n is not None:
        view = replace(view, n=min(max(n, MIN_CLASSES), MAX_CLASSES))
    tingkat = query.get("tingkat")
    if tingkat in NATIONAL_LEVELS:
        view = replace(view, tingkat=tingkat)
    view = replace(view, palet=query.get("palet") or None, resmi=query.get("resmi") == "1")
    return view, messages


_URL_MESSAGES = {"peta.error.kode": "kode", "peta.error.indikator": "indikator",
                 "peta.error.tahun": "tahun", "peta.error.kelas": "kelas"}  # parse_view's


def view_of(name: str, state: object, registry: Registry,
            catalogue: Mapping[str, Indicator]) -> View:
    """Read back a view the page keeps in its store (the fields of :class:`View`).

    Raises
    ------
    queries.params.ParameterError
        Naming ``<name>.<field>`` of the first field that no page writes: a region the
        map cannot show, an unknown indicator, classification, display or level, a
        number of classes outside 3-7, a year or base year that is no integer, a
        palette that is no text (which names are palettes is the page's to check).
    """
    got = params.mapping(name, state)
    palet = got.get("palet")
    if palet is not None and not isinstance(palet, str):
        raise params.ParameterError(f"{name}.palet", palet, Text("request.expected.text",
                                                                   limit=params.MAX_TEXT))
    return View(
        kode=map_region(f"{name}.kode", got.get("kode"), registry),
        indikator=params.choice(f"{name}.indikator", got.get("indikator"), catalogue),
        tahun=params.optional_integer(f"{name}.tahun", got.get("tahun")),
        tampil=params.choice(f"{name}.tampil", got.get("tampil"), SHOW),
        dari=params.optional_integer(f"{name}.dari", got.get("dari")),
        kelas=params.optional_choice(f"{name}.kelas", got.get("kelas"), METHODS),
        n=params.integer(f"{name}.n", got.get("n"), MIN_CLASSES, MAX_CLASSES), palet=palet,
        tingkat=params.optional_choice(f"{name}.tingkat", got.get("tingkat"),
                                       NATIONAL_LEVELS),  # type: ignore[arg-type]
        resmi=params.boolean(f"{name}.resmi", got.get("resmi", False)))


def url_messages(name: str, value: object) -> list[Message]:
    """Read back the messages of :func:`parse_view` that the page keeps with its view.

    Raises
    ------
    queries.params.ParameterError
        If an item is not one of those messages with its one text field.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise params.ParameterError(name, value, ", ".join(_URL_MESSAGES))
    found: list[Message] = []
    for item in value:
        key, values = item if isinstance(item, list | tuple) and len(item) == 2 else (None, None)
        field = _URL_MESSAGES.get(key) if isinstance(key, str) else None
        if (field is None or not isinstance(values, dict) or list(values) != [field]
                or not isinstance(values[field], str)):
            raise params.ParameterError(name, item, ", ".join(_URL_MESSAGES))
        found.append((str(key), {field: values[field]}))
    return found


def view_url(view: View) -> str:
    """Return the URL of ``view``: path for the region, query for the rest."""
    path = "/" if view.kode == NATIONAL_CODE else f"/wilayah/{view.kode}"
    query: dict[str, object] = {"indikator": view.indikator}
    optional: dict[str, object | None] = {
        "tahun": view.tahun, "tampil": None if view.tampil == "nilai" else view.tampil,
        "dari": view.dari, "kelas": view.kelas, "n": view.n if view.kelas else None,
        "palet": view.palet, "tingkat": view.tingkat, "resmi": 1 if view.resmi else None,
    }
    query.update({k: v for k, v in optional.items() if v is not None})
    return f"{path}?{urlencode(query)}"


def fit_view(view: View, levels: tuple[Level, ...]) -> View:
    """Return ``view`` with ``tingkat`` limited to ``levels`` (:func:`data_levels`).

    A level the indicator has no values at gives way to the finest coarser one it has; a
    level that is the region's own default layer is dropped (``None``).
    """
    tingkat = view.tingkat
    if tingkat is not None and tingkat not in levels:
        tingkat = [lv for lv in levels if LEVELS.index(lv) < LEVELS.index(tingkat)][-1]
    default = "provinsi" if view.kode == NATIONAL_CODE else "kabkota"
    return replace(view, tingkat=None if tingkat == default else tingkat)


def layer_of(view: View, registry: Registry, levels: tuple[Level, ...]) -> Layer:
    """Return the layer a view draws, at one of ``levels`` (:func:`data_levels`).

    The nation shows its provinces (or, with ``tingkat``, all kab/kota or kecamatan); a
    province its kab/kota (or its kecamatan with ``tingkat=kecamatan``); a kab/kota its
    kecamatan; a kecamatan its siblings, with itself selected. Where the indicator has no
    values at that level, the finest coarser level it has is drawn instead, around the
    region's ancestor at that level, with it selected: Jawa Barat for IDI (provinces
    only) is the national map with Jawa Barat selected, never 27 empty kab/kota.
    """
    wanted = _wanted_layer(view, registry)
    if wanted.level in levels:
        return wanted
    level = [lv for lv in levels if LEVELS.index(lv) < LEVELS.index(wanted.level)][-1]
    chain = [*registry.ancestors(view.kode), registry.get(view.kode)]  # the nation first
    depth = LEVELS.index(level)
    parent = chain[depth - 1].code if 1 < depth <= len(chain) else None
    return Layer(level, parent, selected=chain[depth].code if depth < len(chain) else None)


def _wanted_layer(view: View, registry: Registry) -> Layer:
    level = registry.level(view.kode)
    if level == "nasional":
        return Layer(view.tingkat or "provinsi", None)
    if level == "provinsi":
        return Layer("kecamatan" if view.tingkat == "kecamatan" else "kabkota", view.kode)
    if level == "kabkota":
        return Layer("kecamatan", view.kode)
    parent = registry.get(view.kode).parent_code
    return Layer("kecamatan", parent, selected=view.kode)


def drill_target(code: str, registry: Registry) -> str:
    """Return the region a click on ``code`` opens: the region itself (kecamatan included)."""
    try:
        registry.get(code)
    except UnknownRegionError:
        return NATIONAL_CODE
    return code


@dataclass(frozen=True)
class MapData:
    """The values and classes that colour one layer."""

    view: View
    layer: Layer
    indicator: Indicator
    period: int | None
    base: int | None
    frame: pl.DataFrame
    shown: str  # column of `frame` that is classified: value or change_since
    categories: tuple[Category, ...]  # the official categories of the period's edition
    classes: Classes
    method: str
    messages: tuple[Message, ...]
    simulated: bool  # whether simulated values were read (demo data on, not ``resmi``)
    levels: tuple[Level, ...]  # the map levels the indicator has values at
    asked: Level  # the level the view asked for; ``layer.level`` is coarser when it lacks values
    offers: tuple[Indicator, ...]  # the indicators with values at ``asked``, when it differs

    @property
    def counts(self) -> KindCounts:
        """Return how many regions show a real, a simulated or no value."""
        return count_kinds(self.frame, self.shown)

    @property
    def any_simulated(self) -> bool:
        """Return whether any shown value is simulated."""
        return self.counts.simulated > 0

    @property
    def sources(self) -> list[str]:
        """Return the publishers of the real (not simulated) values shown."""
        real = self.frame.filter(pl.col("value").is_not_null() & ~pl.col("simulated"))
        return sorted(s for s in real["source"].unique().to_list() if s)

    @property
    def method_break(self) -> MethodBreak | None:
        """Return the method break between the base year and the period of a change view."""
        if self.shown != "change_since" or self.period is None:
            return None
        return self.indicator.break_between(self.base, self.period)

    @property
    def reason_column(self) -> str:
        """Return the column saying why the change shown is missing (:func:`change_rule`)."""
        return "change_since_reason" if self.shown == "change_since" else "change_reason"

    def reason_text(self, reason: str, lang: str) -> str:
        """Return why a region has no change, e.g. ``Tidak ada nilai 2019 (tahun dasar)``.

        Since the change view's base year, else since the previous period.
        """
        ind, period = self.indicator, self.period
        base = self.base if self.shown == "change_since" or period is None else (
            previous_period(ind, period))
        if reason == "dasar" and base is None:  # the first period: nothing before it
            return Text("peta.reason.pertama").text(lang)
        crossed = None if period is None else ind.break_between(base, period)
        return Text(f"peta.reason.{reason}", period=period, base=base,
                    break_period=crossed.period if crossed else "").text(lang)

    def missing_lines(self, lang: str) -> list[tuple[str, int]]:
        """Return the legend's lines for the regions drawn without a colour, with counts.

        In the change view one line per reason there is no change (that occurs), else
        one "data tidak tersedia" line.
        """
        if self.shown != "change_since":
            return [(Text("missing").text(lang), self.classes.missing)]
        found = self.frame["change_since_reason"].to_list()
        return [(self.reason_text(r, lang), found.count(r)) for r in CHANGE_REASONS
                if r in found]

    def break_note(self, lang: str) -> str | None:
        """Return the warning of a change view across a method break (None: no break)."""
        crossed = self.method_break
        return None if crossed is None else Text(
            "peta.legend.break", period=crossed.period,
            note=crossed.note_en if lang == "en" else crossed.note_id).text(lang)

    def notes(self, lang: str) -> list[str]:
        """Return the notes under a map: its messages, and a method break it crosses."""
        notes = [Text(key, **fields).text(lang) for key, fields in self.messages]
        warning = self.break_note(lang)
        return notes if warning is None else [*notes, warning]


def resolve_period(conn: Connection, view: View, ind: Indicator, layer: Layer, *,
                   simulated: bool = True) -> tuple[int | None, list[Message]]:
    """Return the period to show and a message when the asked one had no data."""
    latest = latest_period(conn, ind, layer.level, simulated=simulated)
    if view.tahun is None:
        return latest, []
    if view.tahun in ind.shown_periods:
        return view.tahun, []
    return latest, [("peta.error.tahun_kosong", {"tahun": view.tahun, "indikator": ind.short_name,
                                                 "terbaru": latest})]


def drawn_in(layer: Layer, period: int | None) -> Layer:
    """Return ``layer`` on the boundaries of ``period``: provinces before 2022 are 34.

    The page's first layout and every later view ask this, so the map fetches the right
    geometry once (two fetches of different geometry race in the browser).
    """
    if layer.level != "provinsi":
        return layer
    vintage = vintage_of(period)
    return replace(layer, vintage=vintage, selected=None if layer.selected is None
                   else province_then(layer.selected, vintage))


def map_data(conn: Connection, view: View, registry: Registry,
             catalogue: Mapping[str, Indicator], lang: str = "id", *,
             demo: bool = True) -> MapData:
    """Compute the frame, the shown column and its classes for ``view``.

    The view is first fitted to the levels the indicator has values at (:func:`fit_view`,
    :func:`layer_of`); when that draws a coarser layer than asked, a message says so and
    ``offers`` lists the indicators that have values at the level asked for. Simulated
    values are read only with ``demo`` (``MATA_GARUDA_DEMO``) and without ``view.resmi``;
    otherwise their regions are missing.
    """
    ind = catalogue[view.indikator]
    levels = data_levels(conn, ind)
    wanted = _wanted_layer(view, registry).level
    view = fit_view(view, levels)
    layer = layer_of(view, registry, levels)
    simulated = demo and not view.resmi
    period, messages = resolve_period(conn, view, ind, layer, simulated=simulated)
    layer = drawn_in(layer, period)
    offers: tuple[Indicator, ...] = ()
    if layer.level != wanted:
        messages.append(("peta.error.tingkat", {
            "indikator": ind.short_name, "tingkat": t(f"peta.level.{levels[-1]}", lang).lower(),
            "diminta": t(f"peta.level.{wanted}", lang).lower()}))
        offers = tuple(other for other in catalogue.values()
                       if other.id != ind.id and wanted in data_levels(conn, other))
    if period is None:
        frame = empty_values(conn, ind, layer.level, layer.parent, lang)
    else:
        frame = indicator_values(conn, ind, layer.level, period, layer.parent, lang,
                                 simulated=simulated)
    base = None
    shown = "value"
    categories = ind.categories_for(period)
    if view.tampil == "perubahan" and period is not None:
        base = view.dari if view.dari in ind.shown_periods and (view.dari or 0) < period else (
            previous_period(ind, period))
        frame = _with_change_since(conn, ind, layer, frame, base, period, lang, simulated)
        shown = "change_since"
        classes = diverging_classes(frame[shown].to_list(), view.n)
        method = "perubahan"
    else:
        method = view.method(ind)
        if method == "kategori" and not categories:
            messages.append(("peta.error.kategori", {"indikator": ind.short_name}))
            method = "kuantil"
        classes = classify(frame[shown].to_list(), method, view.n, categories=categories,
                           lang=lang)
    return MapData(view, layer, ind, period, base, frame, shown, categories, classes, method,
                   tuple(messages), simulated, levels, wanted, offers)


def _with_change_since(conn: Connection, ind: Indicator, layer: Layer, frame: pl.DataFrame,
                       base: int | None, period: int, lang: str,
                       simulated: bool) -> pl.DataFrame:
    """Add ``base_value``, ``change_since`` and ``change_since_reason`` (:func:`change_rule`)."""
    if base is None:
        before = frame.select("code", base_value=pl.lit(None, dtype=pl.Float64),
                              _base_kind=pl.lit(None, dtype=pl.String))
    else:
        before = indicator_values(conn, ind, layer.level, base, layer.parent, lang,
                                  simulated=simulated).select(
            "code", pl.col("value").alias("base_value"),
            pl.col("source_kind").alias("_base_kind"))
    change, reason = change_rule("base_value", "_base_kind", ind, base, period)
    return (frame.join(before, on="code", how="left", validate="1:1")
            .with_columns(change_since=change, change_since_reason=reason).drop("_base_kind"))


@dataclass(frozen=True)
class Summary:
    """What the side panel shows for the region in focus."""

    code: str
    name: str
    value: float | None
    simulated: bool
    provenance: str | None  # queries.provenance.label of the value
    category: str | None
    change: float | None  # since the period before, or the change view's base year
    change_reason: str | None  # one of CHANGE_REASONS, when there is no change
    national: float | None
    national_simulated: bool
    national_provenance: str | None
    target: tuple[float, float] | None
    category_counts: list[tuple[str, int]]
    # The five highest and the five lowest by the column the map shows (value, or
    # change_since), whatever the indicator's direction: IKP's highest are its most
    # vulnerable regions, IDI's its most democratic.
    highest: pl.DataFrame
    lowest: pl.DataFrame
    series: pl.DataFrame  # period, value, simulated, source, records, provenance,
    #                       national, national_simulated, national_source,
    #                       national_provenance


def region_values(conn: Connection, data: MapData, code: str, lang: str = "id") -> pl.DataFrame:
    """Return one region's row as the map of ``data`` computes it, with its ``level``.

    The columns of :func:`~queries.indicators.indicator_values`, and in the change view
    those of the change since the base year. No row when the indicator is not defined
    at the region's level or there is no period.
    """
    ind, period = data.indicator, data.period
    level = LEVELS[code.count(".") + 1] if code != NATIONAL_CODE else "nasional"
    if level not in ind.levels() or period is None:
        return pl.DataFrame()
    parent = None if code == NATIONAL_CODE else code.rsplit(".", 1)[0] if "." in code else None
    frame = indicator_values(conn, ind, level, period, parent, lang,
                             simulated=data.simulated).filter(pl.col("code") == code)
    if data.shown == "change_since":
        frame = _with_change_since(conn, ind, Layer(level, parent), frame, data.base, period,
                                   lang, data.simulated)
    return frame.with_columns(level=pl.lit(level))


def _row(conn: Connection, data: MapData, code: str, lang: str) -> dict[str, object]:
    frame = region_values(conn, data, code, lang)
    return frame.row(0, named=True) if frame.height else {}


def summary(conn: Connection, data: MapData, registry: Registry, lang: str = "id") -> Summary:
    """Build the side panel's figures for the region in focus of ``data``."""
    ind, view, period = data.indicator, data.view, data.period
    code = view.kode
    own = _row(conn, data, code, lang)
    national = _row(conn, data, NATIONAL_CODE, lang)
    target_rows = targets(conn, ind.id).filter(pl.col("period") == period) if period else None
    target = (None if target_rows is None or target_rows.is_empty()
              else (target_rows["target_low"][0], target_rows["target_high"][0]))
    frame = data.frame
    counts: list[tuple[str, int]] = []
    if data.layer.selected is None:
        for pos, cat in enumerate(data.categories):
            counts.append((cat.label(lang), int((frame["category_index"] == pos).sum())))
    ranked = frame.filter(pl.col(data.shown).is_not_null()).sort(
        [data.shown, "code"], descending=[True, False])
    highest = ranked.head(5)
    lowest = ranked.reverse().head(5) if ranked.height > 5 else ranked.clear()
    series = time_series(conn, ind, code, lang, simulated=data.simulated).select(
        "period", "value", "simulated", "source", "records", "provenance")
    nat_series = time_series(conn, ind, NATIONAL_CODE, lang, simulated=data.simulated).select(
        "period", pl.col("value").alias("national"),
        pl.col("simulated").alias("national_simulated"),
        pl.col("source").alias("national_source"),
        pl.col("provenance").alias("national_provenance"))
    joined = series.join(nat_series, on="period", how="full", coalesce=True).sort("period")
    since = data.shown == "change_since"  # the change view: the change since its base year
    return Summary(
        code=code, name=registry.name(code),
        value=own.get("value"), simulated=bool(own.get("simulated")),  # type: ignore[arg-type]
        provenance=own.get("provenance"), category=own.get("category"),  # type: ignore[arg-type]
        change=own.get("change_since" if since else "change"),  # type: ignore[arg-type]
        change_reason=own.get(data.reason_column),  # type: ignore[arg-type]
        national=national.get("value"),  # type: ignore[arg-type]
        national_simulated=bool(national.get("simulated")),
        national_provenance=national.get("provenance"),  # type: ignore[arg-type]
        target=target, category_counts=counts, highest=highest, lowest=lowest, series=joined,
    )
