"""Storing the demo data: conditioned on the published figures, idempotent and versioned.

Issue 11, finding 2: a re-run with the same published figures changes nothing; after an
import it re-conditions the simulated values as new versions, overwriting and deleting
nothing. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from geodata.registry import Registry
from ingest.bootstrap import load_demo, load_published, published_values, store_demo
from ingest.demo import weights
from ingest.published import import_file
from queries.catalogue import read_catalogue
from queries.indicators import indicator_values
from queries.schema import observation

Row = tuple[str, str, int, str, int, float]


def stored(engine: sa.Engine) -> dict[int, Row]:
    """Every observation row by id: indicator, region, period, source kind, version, value."""
    o = observation.c
    with engine.connect() as conn:
        result = conn.execute(sa.select(o.id, o.indicator_id, o.region_code, o.period,
                                        o.source_kind, o.version, o.value))
        return {r[0]: (r[1], r[2], r[3], r[4], r[5], r[6]) for r in result}


def test_demo_reconditioned_after_an_import_as_new_versions_only(
    engine: sa.Engine, registry: Registry, published_dir: Path, tmp_path: Path
) -> None:
    # Everything published but IKP, then the demo data.
    early = tmp_path / "published"
    early.mkdir()
    for path in published_dir.glob("*.csv"):
        if path.name != "ikp.csv":
            shutil.copy(path, early)
    load_published(engine, early, registry, echo=lambda _msg: None)
    said: list[str] = []
    load_demo(engine, registry, echo=said.append)
    first = stored(engine)
    assert len(said) == 1

    # The same published figures: the load is skipped, and a forced store writes nothing.
    load_demo(engine, registry, echo=said.append)
    assert len(said) == 1
    with engine.connect() as conn:
        catalogue = read_catalogue(conn)
        published = published_values(conn, catalogue)
    report = store_demo(engine, registry, catalogue, published)
    assert (report.inserted, report.corrected) == (0, 0)
    assert report.unchanged > 100_000
    assert stored(engine) == first

    # IKP arrives: the next load re-conditions around it.
    import_file(published_dir / "ikp.csv", engine, registry)
    load_demo(engine, registry, echo=said.append)
    assert len(said) == 2
    after = stored(engine)
    assert {i: after[i] for i in first} == first  # nothing overwritten, nothing deleted
    new = [after[i] for i in sorted(set(after) - set(first))]
    simulated = [row for row in new if row[3] == "simulasi"]
    assert {row[0] for row in new} == {"ikp"}
    newest: dict[tuple[str, str, int], int] = {}
    for ind, code, period, kind, version, _value in first.values():
        if kind == "simulasi":
            newest[(ind, code, period)] = max(version, newest.get((ind, code, period), 0))
    corrected = [row for row in simulated if row[:3] in newest]
    assert len(corrected) > 100
    assert all(row[4] == newest[row[:3]] + 1 for row in corrected)
    assert all(row[4] == 1 for row in simulated if row[:3] not in newest)

    # What the map shows now: Jawa Barat's kab/kota around its published 77.04, and a
    # simulated nation that is the roll-up of the (mostly published) provinces.
    w = weights(registry).select(pl.col("region_code").alias("code"), "weight")
    with engine.connect() as conn:
        ikp = read_catalogue(conn)["ikp"]
        kab = indicator_values(conn, ikp, "kabkota", 2024).drop_nulls("value").join(
            w, on="code", validate="1:1")
        provinces = indicator_values(conn, ikp, "provinsi", 2024).drop_nulls("value")
        nation = indicator_values(conn, ikp, "nasional", 2024)
    jabar = kab.filter(pl.col("parent_code") == "32")
    assert provinces.filter(pl.col("code") == "32")["value"].item() == 77.04
    rolled = (jabar["value"] * jabar["weight"]).sum() / jabar["weight"].sum()
    assert abs(rolled - 77.04) <= 0.005 + 1e-9
    assert (jabar["source_kind"] == "simulasi").all()
    province_weight = kab.group_by(pl.col("parent_code").alias("code")).agg(pl.col("weight").sum())
    both = provinces.join(province_weight, on="code", validate="1:1")
    assert (both["source_kind"] == "published").sum() > 20
    national = (both["value"] * both["weight"]).sum() / both["weight"].sum()
    assert nation["source_kind"].item() == "simulasi"
    assert abs(nation["value"].item() - national) <= 0.01 + 1e-9


def test_demo_load_can_leave_the_record_derived_periods_to_the_records(
    engine: sa.Engine, registry: Registry
) -> None:
    from ingest.demo.records import RECORD_DERIVED

    said: list[str] = []
    load_demo(engine, registry, echo=said.append, exclude=RECORD_DERIVED)
    keys = {(row[0], row[2]) for row in stored(engine).values()}
    derived = {(ind, period) for ind, periods in RECORD_DERIVED.items() for period in periods}
    assert not keys & derived
    assert {("idi", 2015), ("turnout_pilkada", 2018), ("ikp", 2024)} <= keys
    load_demo(engine, registry, echo=said.append, exclude=RECORD_DERIVED)
    assert len(said) == 1  # same data set: skipped
    load_demo(engine, registry, echo=said.append)  # a different data set: loaded
    assert len(said) == 2
    assert ("konflik", 2015) in {(row[0], row[2]) for row in stored(engine).values()}
