"""Records behind a number: the lake's records of one stream, region and year.

A record-derived value (turnout of a desa, incidents of a kab/kota) is computed from the
records of one stream (:mod:`lake.streams`) whose ``region_code`` is the region or inside
it, dated in the value's period. The records page lists them a page at a time and the
export writes them all, in the same order: by ``region_code``, then the stream's key.

The lake partitions by year and province (the first two digits of ``region_code``), and
``region_code`` sorts by province first, so the order is that of the provinces, each
sorted on its own: a page reads the row counts of the partitions (Parquet metadata for
a whole province) and sorts only the province(s) it falls in, never the whole country.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import polars as pl
from sqlalchemy import Connection, select

from geodata.registry import NATIONAL_CODE, Registry, level_of
from i18n import Message
from lake.rollup import DEFINITIONS, ELECTION_OF
from lake.streams import ELECTIONS, STREAMS
from queries import params
from queries.catalogue import Indicator
from queries.indicators import indicator_values
from queries.schema import region

# The order of the records within a region: the stream's key, read naturally.
ORDER: dict[str, tuple[str, ...]] = {
    "tps": ("region_code", "election", "tps"),
    "ormas": ("region_code", "name", "org_id"),
    "incidents": ("region_code", "date", "event_id"),
    "media": ("region_code", "date", "mention_id"),
}
PAGE_SIZE = 100
# An export larger than a spreadsheet's sheet (1,048,576 rows with the header) is refused.
MAX_EXPORT_ROWS = 1_048_575
FIRST_YEAR, LAST_YEAR = 1945, 2100  # the years a selection may ask for


class RecordLake(Protocol):
    """What the record queries need of :class:`lake.store.Lake`: a scan of one stream."""

    def scan(self, stream: str, *, years: Iterable[int] | None = None,
             provs: Iterable[str] | None = None) -> pl.LazyFrame:
        """Return the live records of ``stream`` in those years and provinces."""
        ...


def stream_of(indicator_id: str) -> str | None:
    """Return the stream an indicator is computed from, None for one that has no records."""
    found = [d.stream for d in DEFINITIONS if d.id == indicator_id]
    return found[0] if found else None


def election_of(indicator_id: str) -> str | None:
    """Return the election whose TPS records an indicator is computed from (None: any)."""
    return ELECTION_OF.get(indicator_id)


def _provinces(code: str, provinces: Sequence[str]) -> list[str]:
    """Return the province partitions holding ``code``'s records (every one for the nation)."""
    if code == NATIONAL_CODE:
        if not provinces:
            raise ValueError("a national selection needs the province codes (provinces=)")
        return sorted(provinces)
    return [code[:2]]


def _selection(lake: RecordLake, stream: str, code: str, year: int, prov: str,
               election: str | None = None) -> pl.LazyFrame:
    """Return the records of ``code`` (the region and all inside it) in one province.

    ``election``: only the TPS records of that election.
    """
    frame = lake.scan(stream, years=[year], provs=[prov])
    if election is not None:
        frame = frame.filter(pl.col("election") == election)
    if code == NATIONAL_CODE or level_of(code) == "provinsi":
        return frame  # the partition holds exactly the province's records
    return frame.filter((pl.col("region_code") == code)
                        | pl.col("region_code").str.starts_with(code + "."))


def _counts(lake: RecordLake, stream: str, code: str, year: int, provinces: Sequence[str],
            election: str | None) -> list[tuple[str, int]]:
    return [(prov, int(_selection(lake, stream, code, year, prov, election).select(pl.len())
                       .collect().item()))
            for prov in _provinces(code, provinces)]


def _check(stream: str, code: str, election: str | None = None) -> None:
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}; expected one of {', '.join(STREAMS)}")
    if election is not None and (stream != "tps" or election not in ELECTIONS):
        raise ValueError(f"election {election!r}: only for stream tps, one of"
                         f" {', '.join(ELECTIONS)}")
    level_of(code)  # raises for a malformed code


def records_count(lake: RecordLake, stream: str, code: str, year: int, *,
                  provinces: Sequence[str] = (), election: str | None = None) -> int:
    """Return how many records of ``stream`` lie in ``code`` (or inside it) in ``year``.

    ``provinces``: the province codes, for the national code; ``election``: only the TPS
    records of that election.
    """
    _check(stream, code, election)
    return sum(n for _, n in _counts(lake, stream, code, year, provinces, election))


def records_page(lake: RecordLake, stream: str, code: str, year: int, offset: int,
                 limit: int = PAGE_SIZE, *,
                 provinces: Sequence[str] = (),
                 election: str | None = None) -> tuple[pl.DataFrame, int]:
    """Return one page of the records of ``stream`` in ``code`` and ``year``, and their total.

    Parameters
    ----------
    lake
        The lake (anything with :meth:`RecordLake.scan`).
    stream
        A stream of :data:`lake.streams.STREAMS`.
    code
        A region code of any level: its records and those of every region inside it.
    year
        The period: the year of the records' ``date``.
    offset, limit
        The rows of the page, in the order of :data:`ORDER`.
    provinces
        The province codes, for the national code (the partitions to read).
    election
        Only the TPS records of that election (:data:`lake.streams.ELECTIONS`).

    Returns
    -------
    tuple of polars.DataFrame and int
        At most ``limit`` rows with the stream's stored columns, and the number of
        records in the whole selection.
    """
    _check(stream, code, election)
    if offset < 0 or limit < 0:
        raise ValueError(f"offset and limit must not be negative, got {offset}, {limit}")
    counts = _counts(lake, stream, code, year, provinces, election)
    parts: list[pl.DataFrame] = []
    skip, wanted = offset, limit
    for prov, n in counts:
        if wanted == 0:
            break
        if skip >= n:
            skip -= n
            continue
        take = min(wanted, n - skip)
        parts.append(_rows_of(_selection(lake, stream, code, year, prov, election), stream,
                              skip, take))
        skip, wanted = 0, wanted - take
    empty = pl.DataFrame(schema=STREAMS[stream].schema)
    page = pl.concat(parts) if parts else empty
    return page, sum(n for _, n in counts)


def _rows_of(selection: pl.LazyFrame, stream: str, skip: int, take: int) -> pl.DataFrame:
    """Return rows ``skip`` to ``skip + take`` of ``selection`` in the order of :data:`ORDER`.

    The order starts with ``region_code``: the record counts per region (one column read)
    say which regions hold those rows, and only their records are read and sorted.
    """
    sizes = (selection.group_by("region_code").agg(n=pl.len()).sort("region_code")
             .with_columns(end=pl.col("n").cum_sum())
             .with_columns(start=pl.col("end") - pl.col("n"))
             .filter((pl.col("end") > skip) & (pl.col("start") < skip + take)).collect())
    if sizes.is_empty():
        return selection.clear().collect()
    return (selection.filter(pl.col("region_code").is_in(sizes["region_code"].implode()))
            .sort(ORDER[stream]).slice(skip - sizes["start"][0], take).collect())


def records_frames(lake: RecordLake, stream: str, code: str, year: int, *,
                   provinces: Sequence[str] = (),
                   election: str | None = None) -> Iterator[pl.DataFrame]:
    """Yield every record of the selection of :func:`records_page`, in its order.

    One frame per province that has records, so an export holds one province in memory
    at a time.
    """
    _check(stream, code, election)
    for prov in _provinces(code, provinces):
        frame = (_selection(lake, stream, code, year, prov, election).sort(ORDER[stream])
                 .collect())
        if frame.height:
            yield frame


def desa_values(conn: Connection, ind: Indicator, kecamatan: str, period: int,
                lang: str = "id", *, simulated: bool = True) -> pl.DataFrame:
    """Return the desa of ``kecamatan`` with the indicator's value and its record count.

    Every desa of the region table inside the kecamatan, also those without a value
    (null ``value``: missing, never zero); ``records`` is the stored count of records a
    value was computed from (null for a value not computed from records).

    Returns
    -------
    polars.DataFrame
        The columns of :func:`queries.indicators.indicator_values` plus ``records``,
        best value first (by the indicator's direction), missing values last, then by name.
    """
    if stream_of(ind.id) is None:
        raise ValueError(f"{ind.id} is not computed from records")
    values = indicator_values(conn, ind, "desa", period, kecamatan, lang, simulated=simulated)
    return (values.sort(["value", "name"], descending=[ind.direction != "higher_worse", False],
                  nulls_last=True))


def region_name(conn: Connection, code: str) -> str | None:
    """Return the name of a region of the region table (desa included), None if absent."""
    return conn.scalar(select(region.c.name).where(region.c.code == code))


@dataclass(frozen=True)
class Selection:
    """The records asked for: a stream, a region (and all inside it), a year."""

    aliran: str
    wilayah: str
    tahun: int
    pemilu: str | None = None  # TPS records of this election only

    def query(self) -> dict[str, str]:
        """Return the selection as the query of ``/catatan`` and its export."""
        query = {"aliran": self.aliran, "wilayah": self.wilayah, "tahun": str(self.tahun)}
        return query | ({"pemilu": self.pemilu} if self.pemilu else {})


def parse_selection(aliran: object, wilayah: object, tahun: object, registry: Registry,
                    pemilu: object = None) -> Selection:
    """Return the selection of a request's ``aliran``, ``wilayah``, ``tahun`` and ``pemilu``.

    ``wilayah`` is a code of the registry, or a desa code of one of its kecamatan;
    ``pemilu`` (optional, ``aliran=tps`` only) one of :data:`lake.streams.ELECTIONS`.

    Raises
    ------
    queries.params.ParameterError
        Naming the first parameter that cannot be used.
    """
    stream = params.choice("aliran", aliran, STREAMS)
    code = wilayah
    known = isinstance(code, str) and (code in registry or (
        _is_desa(code) and code.rsplit(".", 1)[0] in registry))
    if not known:
        raise params.ParameterError("wilayah", wilayah, Message("request.expected.kode"))
    year = params.integer("tahun", tahun, FIRST_YEAR, LAST_YEAR)
    election = params.optional_choice("pemilu", pemilu, ELECTIONS if stream == "tps" else ())
    return Selection(stream, str(code), year, election)


def _is_desa(code: str) -> bool:
    try:
        return level_of(code) == "desa"
    except ValueError:
        return False


def any_simulated(lake: RecordLake, stream: str, code: str, year: int, *,
                  provinces: Sequence[str] = (), election: str | None = None) -> bool:
    """Return whether any record of the selection is simulated (stops at the first)."""
    _check(stream, code, election)
    return any(_selection(lake, stream, code, year, prov, election).filter(pl.col("simulated"))
               .select("simulated").head(1).collect().height
               for prov in _provinces(code, provinces))


def province_codes(registry: Registry) -> list[str]:
    """Return the province codes of the registry: the partitions of a national selection."""
    return [r.code for r in registry.children(NATIONAL_CODE)]


@dataclass(frozen=True)
class RecordsBehind:
    """The records behind a map view's value: their stream, count and the desa table."""

    stream: str
    code: str
    period: int
    count: int
    desa: pl.DataFrame | None  # for a kecamatan: :func:`desa_values`
    election: str | None = None  # TPS records of this election only


def records_behind(conn: Connection, lake: RecordLake, ind: Indicator, code: str,
                   period: int | None, provinces: Sequence[str], lang: str = "id", *,
                   simulated: bool = True) -> RecordsBehind | None:
    """Return the records behind ``ind``'s value of ``code`` in ``period``.

    None for an indicator not computed from records, or without a period. For a
    kecamatan, also its desa with their values (:func:`desa_values`).
    """
    stream = stream_of(ind.id)
    if stream is None or period is None:
        return None
    election = election_of(ind.id)
    count = records_count(lake, stream, code, period, provinces=provinces, election=election)
    desa = (desa_values(conn, ind, code, period, lang, simulated=simulated)
            if code != NATIONAL_CODE and level_of(code) == "kecamatan" else None)
    return RecordsBehind(stream, code, period, count, desa, election)
