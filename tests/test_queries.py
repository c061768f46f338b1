"""Read queries on SQLite and PostgreSQL, against the real published figures."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from ingest.store import NewValue, write_values
from queries.catalogue import read_catalogue
from queries.indicators import (
    QueryError,
    indicator_values,
    latest_period,
    previous_period,
    ranking,
    targets,
    time_series,
)


def published(published_dir: Path, name: str, year: int) -> dict[str, float]:
    frame = pl.read_csv(published_dir / name, infer_schema=False).filter(
        (pl.col("level") == "provinsi") & (pl.col("year") == str(year)))
    return {r["code"]: float(r["value"]) for r in frame.iter_rows(named=True)}


def test_provinces_show_published_values_and_missing_as_null(
        loaded_engine: sa.Engine, published_dir: Path) -> None:
    expected = published(published_dir, "idi.csv", 2024)
    with loaded_engine.connect() as conn:
        ind = read_catalogue(conn)["idi"]
        frame = indicator_values(conn, ind, "provinsi", 2024)
    assert frame.height == 38
    assert frame["code"].to_list() == sorted(frame["code"].to_list())
    got = {r["code"]: r["value"] for r in frame.iter_rows(named=True) if r["value"] is not None}
    assert got == expected
    missing = frame.filter(pl.col("value").is_null())
    assert missing.height == 38 - len(expected)
    assert missing["category"].null_count() == missing.height
    assert missing["rank"].null_count() == missing.height
    assert not frame["simulated"].fill_null(False).any()


def test_category_rank_and_change(loaded_engine: sa.Engine, published_dir: Path) -> None:
    now = published(published_dir, "idi.csv", 2023)
    before = published(published_dir, "idi.csv", 2022)
    assert set(now) & set(before), "fixture needs provinces published in both years"
    with loaded_engine.connect() as conn:
        ind = read_catalogue(conn)["idi"]
        assert previous_period(ind, 2023) == 2022
        frame = indicator_values(conn, ind, "provinsi", 2023)
    rows = {r["code"]: r for r in frame.iter_rows(named=True)}
    best = max(now, key=lambda c: now[c])
    assert rows[best]["rank"] == 1
    for code, value in now.items():
        assert rows[code]["category"] == ind.category_of(value, 2023).label_id  # type: ignore[union-attr]
        assert rows[code]["siblings"] == len(now)
        if code in before:
            assert rows[code]["change"] == pytest.approx(value - before[code])
        else:
            assert rows[code]["change"] is None  # unknown, not zero
    ikub_2019 = published(published_dir, "ikub.csv", 2019)
    with loaded_engine.connect() as conn:
        ikub = indicator_values(conn, read_catalogue(conn)["ikub"], "provinsi", 2019)
    assert ikub["value"].count() == len(ikub_2019)
    assert ikub["change"].count() == 0  # no provincial 2018 figures


def test_higher_is_worse_ranks_lowest_first(loaded_engine: sa.Engine,
                                            published_dir: Path) -> None:
    ikp = published(published_dir, "ikp.csv", 2024)
    with loaded_engine.connect() as conn:
        ind = read_catalogue(conn)["ikp"]
        ranked = ranking(conn, ind, "ID", "provinsi", 2024, lang="en")
    assert ranked["code"][0] == min(ikp, key=lambda c: ikp[c])
    assert ranked["rank"][0] == 1
    assert ranked["value"].is_null().to_list()[-1]  # missing ones come last
    worst = ranked.filter(pl.col("value") == max(ikp.values()))
    assert worst["category"][0] == ind.category_of(max(ikp.values()), 2024).label_en  # type: ignore[union-attr]


def test_series_latest_and_targets(loaded_engine: sa.Engine) -> None:
    with loaded_engine.connect() as conn:
        ind = read_catalogue(conn)["idi"]
        series = time_series(conn, ind, "ID")
        assert series.filter(pl.col("period") == 2024)["value"].to_list() == [79.81]
        assert series["period"].is_sorted()
        assert latest_period(conn, ind, "provinsi") == 2024
        assert latest_period(conn, read_catalogue(conn)["ihai"], "provinsi") is None
        assert targets(conn, "idi")["period"].to_list() == [2019, 2023]
        with pytest.raises(QueryError, match="idi is not defined at level kecamatan"):
            indicator_values(conn, ind, "kecamatan", 2024)


def test_published_wins_over_simulated_and_parent_filter(engine: sa.Engine) -> None:
    def store(code: str, value: float, kind: str) -> None:
        with engine.begin() as conn:
            write_values(conn, [NewValue("turnout_pileg", code, 2024, value, "test")],
                         source_kind=kind, status=kind, source_of={"turnout_pileg": kind},
                         recorded_by="test")

    store("32.73", 70.0, "simulasi")
    store("32.73", 75.5, "published")
    store("32.04", 66.0, "simulasi")
    store("33.01", 90.0, "simulasi")
    with engine.connect() as conn:
        ind = read_catalogue(conn)["turnout_pileg"]
        frame = indicator_values(conn, ind, "kabkota", 2024, parent="32")
    assert frame.height == 27
    rows = {r["code"]: r for r in frame.iter_rows(named=True)}
    assert (rows["32.73"]["value"], rows["32.73"]["simulated"]) == (75.5, False)
    assert (rows["32.04"]["value"], rows["32.04"]["simulated"]) == (66.0, True)
    assert rows["32.73"]["rank"] == 1 and rows["32.04"]["rank"] == 2
    assert "33.01" not in rows
