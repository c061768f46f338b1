"""Versioned writes to the indicator store: append a version, never overwrite or delete."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, and_, func, insert, select

from geodata.registry import NATIONAL_CODE, Registry
from queries.catalogue import Indicator
from queries.schema import (
    indicator,
    indicator_break,
    indicator_category,
    observation,
    region,
    target,
)

Key = tuple[str, str, int]  # indicator_id, region_code, period


@dataclass(frozen=True)
class NewValue:
    """A value to store; ``provenance`` says where it came from (file and row, seed)."""

    indicator_id: str
    region_code: str
    period: int
    value: float
    provenance: str
    source_url: str = ""
    note: str = ""
    records: int | None = None  # how many records it was computed from (a rollup)


@dataclass(frozen=True)
class WriteReport:
    """What a versioned write did."""

    inserted: int
    corrected: int
    unchanged: int


def current_values(
    conn: Connection, source_kind: str, indicator_ids: Iterable[str]
) -> dict[Key, tuple[int, float, str, str, int | None]]:
    """Return the newest version of every value of ``source_kind`` for the given indicators.

    Maps (indicator, region, period) to (version, value, source_url, note, records).
    """
    ids = sorted(set(indicator_ids))
    newest = (
        select(
            observation.c.indicator_id,
            observation.c.region_code,
            observation.c.period,
            func.max(observation.c.version).label("version"),
        )
        .where(observation.c.source_kind == source_kind, observation.c.indicator_id.in_(ids))
        .group_by(observation.c.indicator_id, observation.c.region_code, observation.c.period)
        .subquery()
    )
    o = observation.c
    query = select(o.indicator_id, o.region_code, o.period, o.version, o.value, o.source_url,
                   o.note, o.records).join(newest, and_(
        o.indicator_id == newest.c.indicator_id,
        o.region_code == newest.c.region_code,
        o.period == newest.c.period,
        o.version == newest.c.version,
    )).where(o.source_kind == source_kind)
    return {(r[0], r[1], r[2]): (r[3], r[4], r[5], r[6], r[7]) for r in conn.execute(query)}


def write_values(
    conn: Connection,
    values: Sequence[NewValue],
    *,
    source_kind: str,
    status: str,
    source_of: dict[str, str],
    recorded_by: str,
) -> WriteReport:
    """Append ``values`` as new versions where they differ from the stored ones.

    A value equal to the newest stored version (same number, source URL, note and record
    count) is skipped, so writing the same data twice changes nothing. Runs inside the caller's
    transaction: the caller commits all or nothing.

    Parameters
    ----------
    source_of
        Publisher label per indicator id, stored in ``observation.source``.
    """
    existing = current_values(conn, source_kind, {v.indicator_id for v in values})
    now = datetime.now(UTC)
    rows: list[dict[str, object]] = []
    corrected = unchanged = 0
    for v in values:
        key = (v.indicator_id, v.region_code, v.period)
        old = existing.get(key)
        if old is not None and old[1:] == (v.value, v.source_url, v.note, v.records):
            unchanged += 1
            continue
        corrected += old is not None
        rows.append({
            "indicator_id": v.indicator_id, "region_code": v.region_code, "period": v.period,
            "value": v.value, "source_kind": source_kind, "status": status,
            "version": 1 if old is None else old[0] + 1, "source": source_of[v.indicator_id],
            "source_url": v.source_url, "note": v.note, "provenance": v.provenance,
            "recorded_by": recorded_by, "recorded_at": now, "records": v.records,
        })
    for start in range(0, len(rows), 20_000):
        conn.execute(insert(observation), rows[start:start + 20_000])
    return WriteReport(len(rows) - corrected, corrected, unchanged)


def seed_regions(conn: Connection, registry: Registry) -> int:
    """Insert the registry's regions that the database lacks; return how many."""
    known = set(conn.scalars(select(region.c.code)))
    rows = [
        {"code": r.code, "level": r.level, "name": r.name, "parent_code": r.parent_code}
        for r in sorted(registry, key=lambda r: (r.code.count("."), r.code != "ID", r.code))
        if r.code not in known
    ]
    if rows:
        conn.execute(insert(region), rows)
    return len(rows)


def indicator_row(ind: Indicator) -> dict[str, object]:
    """Return the ``indicator`` table row of a catalogue entry, without its id."""
    return {
        "short_name": ind.short_name, "name_id": ind.name_id, "name_en": ind.name_en,
        "publisher": ind.publisher, "unit_id": ind.unit_id, "unit_en": ind.unit_en,
        "scale_min": ind.scale_min, "scale_max": ind.scale_max,
        "direction": ind.direction, "aggregation": ind.aggregation,
        "lowest_level": ind.lowest_level, "cadence": ind.cadence, "decimals": ind.decimals,
        "periods": ",".join(map(str, ind.periods)),
        "notes_id": ind.notes_id, "notes_en": ind.notes_en, "from_records": ind.from_records,
    }


def seed_catalogue(conn: Connection, catalogue: dict[str, Indicator]) -> None:
    """Make the catalogue tables equal to ``catalogue`` (reference data, not user data)."""
    conn.execute(indicator_category.delete())
    conn.execute(indicator_break.delete())
    known = set(conn.scalars(select(indicator.c.id)))
    for ind in catalogue.values():
        row = indicator_row(ind)
        if ind.id in known:
            conn.execute(indicator.update().where(indicator.c.id == ind.id).values(**row))
        else:
            conn.execute(insert(indicator).values(id=ind.id, **row))
        bands = [(ed, c) for ed in ind.editions for c in ed.categories]
        for pos, (ed, c) in enumerate(bands):
            conn.execute(insert(indicator_category).values(
                indicator_id=ind.id, position=pos, label_id=c.label_id, label_en=c.label_en,
                min=c.min, max=c.max, include_min=c.include_min, include_max=c.include_max,
                valid_from=ed.valid_from, valid_to=ed.valid_to))
        for b in ind.breaks:
            conn.execute(insert(indicator_break).values(
                indicator_id=ind.id, period=b.period, note_id=b.note_id, note_en=b.note_en))


def write_targets(conn: Connection, rows: Sequence[dict[str, object]], recorded_by: str) -> int:
    """Append national targets as new versions where they differ; return how many were written."""
    t = target.c
    newest: dict[tuple[str, int], tuple[int, tuple[object, ...]]] = {}
    for r in conn.execute(select(t.indicator_id, t.period, t.version, t.target_low, t.target_high,
                                 t.source_url, t.note).where(t.region_code == NATIONAL_CODE)):
        key = (r[0], r[1])
        if key not in newest or r[2] > newest[key][0]:
            newest[key] = (r[2], tuple(r[3:]))
    now = datetime.now(UTC)
    new_rows = []
    for row in rows:
        key = (str(row["indicator_id"]), int(str(row["period"])))
        old = newest.get(key)
        content = (row["target_low"], row["target_high"], row["source_url"], row["note"])
        if old is not None and old[1] == content:
            continue
        new_rows.append({**row, "region_code": NATIONAL_CODE, "version": old[0] + 1 if old else 1,
                         "recorded_by": recorded_by, "recorded_at": now})
    if new_rows:
        conn.execute(insert(target), new_rows)
    return len(new_rows)
