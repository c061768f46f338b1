"""Rollups in the indicator store (ingest/aggregates.py) on SQLite and PostgreSQL.

Values computed from records are stored as versions of kind ``agregat`` (``simulasi``
for rollups of simulated records) with their record count; the views rank them below
published figures and verified entries, label them with the count, and the exports carry
the count in a column.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import openpyxl
import polars as pl
import pytest
import sqlalchemy as sa

from components.map import hideout
from export.files import to_csv, to_xlsx
from export.tables import province_export
from export.trend import trend, trend_table
from geodata.registry import Registry, level_of
from ingest.aggregates import ROLLUP_SCHEMA, RollupRejectedError, RollupReport, store_rollup
from ingest.store import NewValue, write_values
from queries.catalogue import read_catalogue
from queries.indicators import indicator_values, time_series
from queries.mapview import View, map_data, summary
from queries.schema import observation

HASHES = {"turnout_pilpres": "3f9a1c", "konflik_korban": "b7e210"}
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
Row = tuple[str, str, int, float | None, int, bool]
ROWS: list[Row] = [
    ("turnout_pilpres", "ID", 2024, 81.5, 820_000, False),
    ("turnout_pilpres", "32", 2024, 82.0, 140_000, False),
    ("turnout_pilpres", "32.73", 2024, None, 0, False),  # zero denominator: no value
    ("turnout_pilpres", "11", 2024, 70.0, 9_000, True),  # from simulated records
    ("konflik_korban", "32.73.01", 2024, 3.0, 2, False),
]


def rollup(rows: list[Row]) -> pl.DataFrame:
    """A rollup frame as lake/rollup.py returns it."""
    return pl.DataFrame([(i, c, level_of(c), p, v, n, s) for i, c, p, v, n, s in rows],
                        schema=ROLLUP_SCHEMA, orient="row")


def stored(engine: sa.Engine) -> list[tuple[object, ...]]:
    o = observation.c
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(o.indicator_id, o.region_code, o.period, o.value, o.source_kind, o.status,
                      o.version, o.records, o.source, o.provenance, o.recorded_by)
            .order_by(o.indicator_id, o.region_code, o.source_kind, o.version))]


def store(engine: sa.Engine, rows: list[Row], snapshot: int = 7) -> RollupReport:
    with engine.begin() as conn:
        return store_rollup(conn, rollup(rows), snapshot=snapshot, definitions=HASHES)


def test_a_rollup_is_stored_with_its_kind_records_and_provenance(engine: sa.Engine) -> None:
    assert store(engine, ROWS) == RollupReport(inserted=4, corrected=0, unchanged=0, missing=1)
    rows = stored(engine)
    assert [r[:8] for r in rows] == [
        ("konflik_korban", "32.73.01", 2024, 3.0, "agregat", "agregat", 1, 2),
        ("turnout_pilpres", "11", 2024, 70.0, "simulasi", "simulasi", 1, 9_000),
        ("turnout_pilpres", "32", 2024, 82.0, "agregat", "agregat", 1, 140_000),
        ("turnout_pilpres", "ID", 2024, 81.5, "agregat", "agregat", 1, 820_000),
    ]  # nothing for 32.73: missing stays missing
    assert [r[8] for r in rows] == ["ACLED / laporan Kesbangpol", "simulasi", "KPU",
                                    "KPU"]
    assert json.loads(str(rows[2][9])) == {"lake_snapshot": 7, "definition": "turnout_pilpres",
                                           "hash": "3f9a1c"}
    assert {r[10] for r in rows} == {"rollup"}


def test_a_rerun_changes_nothing_and_a_change_is_a_new_version(engine: sa.Engine) -> None:
    store(engine, ROWS)
    before = stored(engine)
    # The same values from a newer snapshot: nothing written.
    assert store(engine, ROWS, snapshot=8) == RollupReport(0, 0, 4, 1)
    assert stored(engine) == before
    changed: list[Row] = [("turnout_pilpres", "32", 2024, 82.5, 140_000, False),  # value
                          ("turnout_pilpres", "ID", 2024, 81.5, 820_001, False),  # count
                          ("turnout_pilpres", "11", 2024, 70.0, 9_000, True)]     # same
    assert store(engine, changed, snapshot=9) == RollupReport(0, 2, 1, 0)
    after = stored(engine)
    assert set(before) < set(after)  # the old versions are kept
    newest = {(r[1], r[4]): r for r in after}  # ordered by version: the newest last
    assert newest[("32", "agregat")][3:8] == (82.5, "agregat", "agregat", 2, 140_000)
    assert newest[("ID", "agregat")][6:8] == (2, 820_001)
    assert json.loads(str(newest[("32", "agregat")][9]))["lake_snapshot"] == 9
    assert newest[("11", "simulasi")][6] == 1


@pytest.mark.parametrize(("change", "message"), [
    (lambda f: f.drop("records"), "lacks columns records"),
    (lambda f: f.with_columns(pl.col("records").cast(pl.Float64)), "records is Float64"),
    (lambda f: f.with_columns(pl.lit("idx").alias("indicator_id")),
     "no definition hash for indicator(s) idx"),
    (lambda f: f.with_columns(pl.when(pl.col("region_code") == "32").then(pl.lit("32.73.99"))
                              .otherwise(pl.col("region_code")).alias("region_code")),
     "not in the region table, e.g. '32.73.99'"),
    (lambda f: f.with_columns(pl.when(pl.col("region_code") == "32").then(pl.lit("kabkota"))
                              .otherwise(pl.col("level")).alias("level")),
     "region '32' is a provinsi code, level says kabkota"),
    (lambda f: pl.concat([f, f.head(1)]), "turnout_pilpres ID 2024 more than once"),
    (lambda f: f.with_columns(pl.col("records") - 10), "negative counts"),
    (lambda f: f.with_columns(pl.lit(None, pl.Boolean).alias("simulated")),
     "simulated has missing values"),
])
def test_a_bad_rollup_is_refused_whole(engine: sa.Engine, change: object,
                                       message: str) -> None:
    frame = change(rollup(ROWS))  # type: ignore[operator]
    with pytest.raises(RollupRejectedError, match=message.replace("(", r"\(").replace(")", r"\)")):
        with engine.begin() as conn:
            store_rollup(conn, frame, snapshot=7, definitions=HASHES)
    assert stored(engine) == []


def test_an_indicator_outside_the_catalogue_is_refused(engine: sa.Engine) -> None:
    frame = rollup(ROWS).with_columns(pl.lit("lain").alias("indicator_id")).head(1)
    with pytest.raises(RollupRejectedError, match="not in the catalogue: lain"):
        with engine.begin() as conn:
            store_rollup(conn, frame, snapshot=7, definitions={"lain": "00"})


def _write(engine: sa.Engine, kind: str, status: str, values: dict[str, float]) -> None:
    with engine.begin() as conn:
        write_values(conn, [NewValue("turnout_pilpres", code, 2024, value, "test")
                            for code, value in values.items()],
                     source_kind=kind, status=status,
                     source_of={"turnout_pilpres": "KPU" if kind == "published"
                                else "Kesbangpol Jawa Barat"}, recorded_by="test")


def test_published_beats_entry_beats_agregat_beats_simulated(engine: sa.Engine,
                                                             registry: Registry) -> None:
    # 32: published and agregat; 33: verified entry and agregat; 31: a submitted entry
    # (not shown) and agregat; 34: agregat and a simulated rollup; 35: simulated only.
    _write(engine, "published", "published", {"32": 80.0})
    _write(engine, "entry", "verified", {"33": 77.0})
    _write(engine, "entry", "submitted", {"31": 60.0})
    store(engine, [("turnout_pilpres", "35", 2024, 66.0, 10, True),
                   ("turnout_pilpres", "34", 2024, 65.0, 20, True)])
    store(engine, [("turnout_pilpres", c, 2024, v, 1_234, False)
                   for c, v in (("32", 82.0), ("33", 78.0), ("31", 70.0), ("34", 71.0))])
    with engine.connect() as conn:
        catalogue = read_catalogue(conn)
        ind = catalogue["turnout_pilpres"]
        frame = indicator_values(conn, ind, "provinsi", 2024)
        official = indicator_values(conn, ind, "provinsi", 2024, simulated=False)
        data = map_data(conn, View(indikator="turnout_pilpres", tahun=2024), registry,
                        catalogue)
        panel = summary(conn, map_data(conn, View(kode="31", indikator="turnout_pilpres",
                                                  tahun=2024), registry, catalogue), registry)
        series = time_series(conn, ind, "34")
    shown = {r["code"]: (r["value"], r["kind"], r["records"], r["provenance"])
             for r in frame.iter_rows(named=True) if r["value"] is not None}
    assert shown == {
        "32": (80.0, "published", None, "KPU"),
        "33": (77.0, "entry", None, "Isian terverifikasi: Kesbangpol Jawa Barat"),
        "31": (70.0, "aggregated", 1_234, "KPU: dihitung dari 1.234 catatan"),
        "34": (71.0, "aggregated", 1_234, "KPU: dihitung dari 1.234 catatan"),
        "35": (66.0, "simulated", 10, "DATA SIMULASI · dihitung dari 10 catatan"),
    }
    assert frame.filter(pl.col("code") == "35")["simulated"].to_list() == [True]
    # Official data only: the rollups of real records stay, the simulated one goes.
    assert official.filter(pl.col("value").is_not_null()).height == 4
    # The same label on the map's tooltips, in the side panel and in the trend.
    assert "KPU: dihitung dari 1.234 catatan" in hideout(data, "id")["srcs"]
    assert "DATA SIMULASI · dihitung dari 10 catatan" in hideout(data, "id")["srcs"]
    assert data.counts.simulated == 1 and data.counts.official == 4
    assert panel.provenance == "KPU: dihitung dari 1.234 catatan"
    assert series.select("value", "records", "kind").row(0) == (71.0, 1_234, "aggregated")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_exports_carry_the_record_count(engine: sa.Engine, registry: Registry,
                                        lang: str) -> None:
    store(engine, ROWS)
    with engine.connect() as conn:
        catalogue = read_catalogue(conn)
        table = province_export(conn, catalogue["turnout_pilpres"], 2024, NOW, lang)
        trend_tab = trend_table(trend(conn, View(kode="32", indikator="turnout_pilpres",
                                                 tahun=2024), registry, catalogue, lang),
                                NOW, lang)
    header = {"id": "Jumlah catatan", "en": "Number of records"}[lang]
    label = {"id": "KPU: dihitung dari 140.000 catatan",
             "en": "KPU: computed from 140,000 records"}[lang]
    rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
    start = next(n for n, r in enumerate(rows) if header in r)
    headers = {c.key: c.header for c in table.columns}
    records, source = rows[start].index(header), rows[start].index(headers["source_text"])
    by_code = {r[rows[start].index(headers["code"])]: r for r in rows[start + 1:]}
    assert (by_code["32"][records], by_code["32"][source]) == ("140000", label)
    assert by_code["11"][records] == "9000"  # a simulated rollup says its count too
    assert by_code["33"][records] == ""  # no value, no count: not zero
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(table))).active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    head = next(n for n, r in enumerate(cells) if header in r)
    row_32 = next(r for r in cells[head + 1:] if r[cells[head].index(headers["code"])] == "32")
    assert row_32[cells[head].index(header)] == 140_000
    trend_rows = {r[0]: r for r in trend_tab.rows()}
    keys = [c.key for c in trend_tab.columns]
    assert trend_rows[2024][keys.index("records")] == 140_000
    assert trend_rows[2024][keys.index("source_text")] == label
