"""The indicator catalogue: what each indicator measures, its scale, direction and categories."""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, select

from geodata.registry import LEVELS, Level
from i18n import Message, t
from queries.schema import indicator, indicator_break, indicator_category

Direction = Literal["higher_better", "higher_worse", "neutral"]
Aggregation = Literal["mean", "sum"]
DIRECTIONS: tuple[Direction, ...] = ("higher_better", "higher_worse", "neutral")
AGGREGATIONS: tuple[Aggregation, ...] = ("mean", "sum")
CATALOGUE_FILE = Path(__file__).resolve().parent.parent / "ingest" / "catalogue.toml"


class CatalogueError(ValueError):
    """The catalogue file has an entry that cannot be used."""


@dataclass(frozen=True)
class Category:
    """An official category band: ``min < v < max``, bounds included per flag."""

    label_id: str
    label_en: str
    min: float
    max: float
    include_min: bool
    include_max: bool

    def label(self, lang: str) -> str:
        """Return the label in ``lang`` (``id`` or ``en``)."""
        return self.label_en if lang == "en" else self.label_id

    def band(self) -> str:
        """Describe the band for messages, e.g. ``Buruk [0, 60)``."""
        return (f"{self.label_id} {'[' if self.include_min else '('}{self.min:g},"
                f" {self.max:g}{']' if self.include_max else ')'}")


def check_categories(categories: Sequence[Category], owner: str) -> None:
    """Refuse bands that would put a value in two official categories or in none.

    Parameters
    ----------
    categories : sequence of Category
        The bands, lowest first.
    owner : str
        Whose bands they are, for the message, e.g. ``indicator 'idi'``.

    Raises
    ------
    CatalogueError
        Naming ``owner`` and the bands concerned, for a band whose ``min`` is not below
        its ``max``, and for two neighbours that are out of ascending order, overlap,
        leave a gap, or share a bound that both include or neither includes.
    """
    for cat in categories:
        if not cat.min < cat.max:
            raise CatalogueError(f"{owner}: category {cat.band()} must have min below max")
    for low, high in itertools.pairwise(categories):
        if high.min < low.min:
            problem = "are not in ascending order"
        elif high.min < low.max:
            problem = f"overlap from {high.min:g} to {low.max:g}"
        elif high.min > low.max:
            problem = f"leave a gap from {low.max:g} to {high.min:g}"
        elif low.include_max and high.include_min:
            problem = f"both include {low.max:g}"
        elif not (low.include_max or high.include_min):
            problem = f"both exclude {low.max:g}, which would be in no category"
        else:
            continue
        raise CatalogueError(f"{owner}: categories {low.band()} and {high.band()} {problem}")


def category_index(values: npt.ArrayLike, categories: Sequence[Category]) -> npt.NDArray[np.intp]:
    """Return the position of each value's official category, -1 where there is none.

    The one rule of category membership: the map, tables, tooltips and exports all
    use it. ``v`` is in a band when ``min < v < max``, or equal to a bound whose
    ``include_min``/``include_max`` flag is true.

    Parameters
    ----------
    values : array_like of float
        The values; NaN (or None) marks a missing value.
    categories : sequence of Category
        Bands that passed :func:`check_categories`, lowest first.

    Returns
    -------
    numpy.ndarray of intp
        The shape of ``values``: the category's position in ``categories``, or -1 for a
        missing value or one outside every band.
    """
    x = np.asarray(values, dtype=np.float64)
    index = np.full(x.shape, -1, dtype=np.intp)
    for pos, cat in enumerate(categories):
        above = x >= cat.min if cat.include_min else x > cat.min
        below = x <= cat.max if cat.include_max else x < cat.max
        index[above & below] = pos
    return index


@dataclass(frozen=True)
class Edition:
    """The official categories of one edition, valid from ``valid_from`` to ``valid_to``.

    Both bounds are periods, inclusive; None leaves that side open. IKP 2019 was
    published with other thresholds than IKP 2024: a value is classed with the bands of
    the edition of its period.
    """

    categories: tuple[Category, ...]
    valid_from: int | None = None
    valid_to: int | None = None

    def covers(self, period: int) -> bool:
        """Return whether the edition holds for ``period``."""
        return ((self.valid_from is None or self.valid_from <= period)
                and (self.valid_to is None or period <= self.valid_to))

    def span(self) -> str:
        """Describe the periods for messages, e.g. ``2019-2019`` or ``2024-``."""
        return f"{self.valid_from or ''}-{self.valid_to or ''}"


def check_editions(editions: Sequence[Edition], owner: str) -> None:
    """Refuse editions whose bands are bad or whose periods overlap or run backwards.

    Each edition's bands are checked by :func:`check_categories`; editions come oldest
    first, and an edition ends before the next one starts.

    Raises
    ------
    CatalogueError
        Naming ``owner``, the edition and the problem.
    """
    for ed in editions:
        if ed.valid_from is not None and ed.valid_to is not None and ed.valid_from > ed.valid_to:
            raise CatalogueError(f"{owner}: edition {ed.span()} ends before it starts")
        open_ended = ed.valid_from is None and ed.valid_to is None
        check_categories(ed.categories, owner if open_ended else f"{owner}, edition {ed.span()}")
    for old, new in itertools.pairwise(editions):
        if old.valid_to is None or new.valid_from is None or old.valid_to >= new.valid_from:
            raise CatalogueError(f"{owner}: editions {old.span()} and {new.span()} overlap"
                                 " (each needs valid_to below the next one's valid_from)")


@dataclass(frozen=True)
class MethodBreak:
    """A methodology change: values before ``period`` are not comparable with later ones."""

    period: int
    note_id: str
    note_en: str


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry."""

    id: str
    short_name: str
    name_id: str
    name_en: str
    publisher: str
    unit_id: str
    unit_en: str
    direction: Direction
    aggregation: Aggregation
    lowest_level: Level
    cadence: str
    decimals: int
    periods: tuple[int, ...]
    scale_min: float | None = None
    scale_max: float | None = None
    notes_id: str = ""
    notes_en: str = ""
    editions: tuple[Edition, ...] = field(default_factory=tuple)
    breaks: tuple[MethodBreak, ...] = field(default_factory=tuple)
    # Values only come from rollups of records (the lake), not from files or the demo.
    from_records: bool = False
    observed: tuple[int, ...] = ()  # the years with a stored value (see with_observed)

    def __post_init__(self) -> None:
        """Refuse editions whose categories overlap or leave gaps, from file or database."""
        check_editions(self.editions, f"indicator {self.id!r}")

    @property
    def categories(self) -> tuple[Category, ...]:
        """Return the categories of the newest edition (none without categories)."""
        return self.editions[-1].categories if self.editions else ()

    def categories_for(self, period: int | None) -> tuple[Category, ...]:
        """Return the official categories of the edition of ``period``.

        None for a period no edition covers (or no period): such a value has no category.
        """
        if period is None:
            return ()
        return next((ed.categories for ed in self.editions if ed.covers(period)), ())

    @property
    def shown_periods(self) -> tuple[int, ...]:
        """Return the periods a view offers: the catalogue's cadence and every observed year.

        ``periods`` (the cadence) are the periods expected and open for entry; a year
        outside them is shown as soon as it has a value (published history, say).
        """
        return tuple(sorted({*self.periods, *self.observed}))

    def break_between(self, base: int | None, period: int) -> MethodBreak | None:
        """Return the newest method break after ``base`` up to ``period`` (None: comparable)."""
        crossed = [b for b in self.breaks if base is not None and base < b.period <= period]
        return crossed[-1] if crossed else None

    def name(self, lang: str) -> str:
        """Return the full name in ``lang``."""
        return self.name_en if lang == "en" else self.name_id

    def unit(self, lang: str) -> str:
        """Return the unit in ``lang``."""
        return self.unit_en if lang == "en" else self.unit_id

    def category_of(self, value: float | None, period: int) -> Category | None:
        """Return the official category of ``value`` in ``period``, or None.

        None for no value, or no categories in the edition of ``period``.
        """
        categories = self.categories_for(period)
        if value is None:
            return None
        pos = int(category_index([value], categories)[0])
        return categories[pos] if pos >= 0 else None

    def in_range(self, value: float) -> bool:
        """Return whether ``value`` lies on the indicator's scale."""
        low_ok = self.scale_min is None or value >= self.scale_min
        high_ok = self.scale_max is None or value <= self.scale_max
        return low_ok and high_ok

    def range_text(self) -> str:
        """Describe the scale for error messages, e.g. ``0 to 100``."""
        low = "-inf" if self.scale_min is None else f"{self.scale_min:g}"
        high = "inf" if self.scale_max is None else f"{self.scale_max:g}"
        return f"{low} to {high}"

    def range_message(self) -> Message:
        """Return the scale for a message, e.g. ``0 to 100`` / ``0 s.d. 100``."""
        low, high = self.scale_min, self.scale_max
        if low is not None and high is not None:
            return Message("upload.range", low=f"{low:g}", high=f"{high:g}")
        if low is not None:
            return Message("upload.min", low=f"{low:g}")
        if high is not None:
            return Message("upload.max", high=f"{high:g}")
        return Message("entry.range_any")

    def range_note(self, lang: str) -> str:
        """Describe the accepted values for an operator, e.g. ``0 s.d. 100; bilangan bulat``."""
        scale = "" if self.scale_min is None and self.scale_max is None else (
            self.range_message().text(lang))
        return "; ".join(filter(None, [scale, t("upload.whole", lang) if self.decimals == 0
                                       else ""]))

    def levels(self) -> tuple[Level, ...]:
        """Return the levels the indicator exists at, national down to its lowest level."""
        return LEVELS[: LEVELS.index(self.lowest_level) + 1]


def with_observed(catalogue: Mapping[str, Indicator],
                  observed: Mapping[str, Sequence[int]]) -> dict[str, Indicator]:
    """Return the catalogue with each indicator's observed years (``{id: years}``)."""
    return {k: replace(ind, observed=tuple(sorted(observed.get(k, ()))))
            for k, ind in catalogue.items()}


def _check(entry: dict[str, Any], key: str, allowed: tuple[str, ...]) -> None:
    if entry.get(key) not in allowed:
        raise CatalogueError(
            f"indicator {entry.get('id')!r}: {key} must be one of {', '.join(allowed)},"
            f" got {entry.get(key)!r}"
        )


def parse_indicator(entry: dict[str, Any]) -> Indicator:
    """Build an :class:`Indicator` from one catalogue table, checking its fields."""
    _check(entry, "direction", DIRECTIONS)
    _check(entry, "aggregation", AGGREGATIONS)
    _check(entry, "lowest_level", LEVELS[1:])
    data = dict(entry)
    if "categories" in data and "editions" in data:
        raise CatalogueError(f"indicator {entry.get('id')!r}: give categories or editions,"
                             " not both")
    editions = data.pop("editions", None) or (
        [{"categories": data.pop("categories")}] if "categories" in data else [])
    try:
        data["editions"] = tuple(
            Edition(tuple(Category(**c) for c in ed.get("categories", ())),
                    ed.get("valid_from"), ed.get("valid_to")) for ed in editions)
    except TypeError as exc:
        raise CatalogueError(f"indicator {entry.get('id')!r}: {exc}") from None
    data["breaks"] = tuple(MethodBreak(**b) for b in entry.get("breaks", ()))
    data["periods"] = tuple(entry["periods"])
    try:
        return Indicator(**data)
    except TypeError as exc:
        raise CatalogueError(f"indicator {entry.get('id')!r}: {exc}") from None


def load_catalogue_file(path: Path = CATALOGUE_FILE) -> dict[str, Indicator]:
    """Read the TOML catalogue, keyed by indicator id."""
    with path.open("rb") as fh:
        entries = tomllib.load(fh)["indicator"]
    indicators = [parse_indicator(e) for e in entries]
    return {i.id: i for i in indicators}


def read_catalogue(conn: Connection) -> dict[str, Indicator]:
    """Read the catalogue from the database, keyed by indicator id."""
    cats: dict[str, dict[tuple[int | None, int | None], list[Category]]] = {}
    for row in conn.execute(
        select(indicator_category).order_by(indicator_category.c.indicator_id,
                                            indicator_category.c.position)
    ).mappings():
        fields_ = {k: row[k] for k in ("label_id", "label_en", "min", "max", "include_min",
                                       "include_max")}
        edition = cats.setdefault(row["indicator_id"], {})
        edition.setdefault((row["valid_from"], row["valid_to"]), []).append(Category(**fields_))
    breaks: dict[str, list[MethodBreak]] = {}
    for row in conn.execute(select(indicator_break).order_by(indicator_break.c.period)).mappings():
        breaks.setdefault(row["indicator_id"], []).append(
            MethodBreak(row["period"], row["note_id"], row["note_en"]))
    result: dict[str, Indicator] = {}
    for row in conn.execute(select(indicator).order_by(indicator.c.id)).mappings():
        data = dict(row)
        data["periods"] = tuple(int(p) for p in data["periods"].split(",") if p)
        data["editions"] = tuple(Edition(tuple(c), *span)
                                 for span, c in cats.get(row["id"], {}).items())
        data["breaks"] = tuple(breaks.get(row["id"], ()))
        result[row["id"]] = Indicator(**data)
    return result
