"""Provenance of a value: one function decides its kind and label (queries/provenance.py)."""

from __future__ import annotations

import polars as pl
import pytest
import sqlalchemy as sa

from components.map import hideout, status_line
from geodata.registry import Registry
from queries.catalogue import read_catalogue
from queries.indicators import indicator_values, time_series
from queries.mapview import View, map_data, summary
from queries.provenance import (
    KINDS,
    KindCounts,
    count_kinds,
    kind_label,
    label,
    provenance_counts,
    simulated_label,
    stored_kinds,
    with_provenance,
)
from queries.schema import observation


def values(*rows: tuple[str | None, str | None, float | None]
           | tuple[str | None, str | None, float | None, int | None]) -> pl.DataFrame:
    """A value frame: source kind, source, value and (optionally) the record count."""
    return pl.DataFrame([(*r, None)[:4] for r in rows],
                        schema={"source_kind": pl.String, "source": pl.String,
                                "value": pl.Float64, "records": pl.Int64}, orient="row")


def test_each_stored_kind_gets_its_kind_and_label() -> None:
    frame = with_provenance(values(("published", "BPS", 80.0), ("entry", None, 70.0),
                                   ("simulasi", "simulasi", 60.0), (None, None, None)).lazy(),
                            "id").collect()
    assert frame["kind"].to_list() == ["published", "entry", "simulated", None]
    assert frame["simulated"].to_list() == [False, False, True, None]
    assert frame["provenance"].to_list() == ["BPS", "Isian kantor terverifikasi",
                                             "DATA SIMULASI", None]


def test_labels_in_both_languages() -> None:
    assert label("published", "BPS", "en") == "BPS"  # the publisher names a published value
    assert label("published", None, "en") == "Published figure"
    assert label("entry", "Kesbangpol Jawa Barat", "en") == "Verified entry: Kesbangpol Jawa Barat"
    assert label("entry", None, "en") == "Verified office entry"
    assert label("aggregated", None, "id") == "Dihitung dari catatan"
    assert label("simulated", "simulasi", "en") == "SIMULATED DATA"
    assert label(None, "BPS", "id") is None
    names = pl.DataFrame({"kind": [*KINDS, None]}).select(kind_label("kind", "en"))
    assert names["kind"].to_list() == ["Published figure", "Verified office entry",
                                       "Computed from records", "SIMULATED DATA", None]


def test_a_value_from_records_says_how_many_in_both_languages() -> None:
    frame = with_provenance(values(("agregat", "KPU (data TPS)", 2.5, 1234),
                                   ("simulasi", "simulasi", 3.1, 1),
                                   ("simulasi", "simulasi", 3.1, None),
                                   ("published", "KPU", 80.0, None)).lazy(), "id").collect()
    assert frame["kind"].to_list() == ["aggregated", "simulated", "simulated", "published"]
    assert frame["simulated"].to_list() == [False, True, True, False]
    assert frame["provenance"].to_list() == [
        "KPU (data TPS): dihitung dari 1.234 catatan", "DATA SIMULASI · dihitung dari 1 catatan",
        "DATA SIMULASI", "KPU"]
    assert label("aggregated", "KPU (data TPS)", "en", 1234) == (
        "KPU (data TPS): computed from 1,234 records")
    assert label("aggregated", None, "id", 1234) == "Dihitung dari 1.234 catatan"
    assert label("aggregated", None, "en", 1) == "Computed from 1 record"
    assert label("simulated", "simulasi", "en", 12_345) == (
        "SIMULATED DATA · computed from 12,345 records")
    assert label("simulated", "simulasi", "en", 1) == "SIMULATED DATA · computed from 1 record"


def test_an_unknown_stored_kind_is_refused() -> None:
    with pytest.raises(pl.exceptions.PolarsError):
        with_provenance(values(("rumor", None, 1.0)).lazy(), "id").collect()


def test_stored_kinds_leave_out_the_simulated_only_when_asked() -> None:
    assert set(stored_kinds(True)) == {"published", "entry", "agregat", "simulasi"}
    assert set(stored_kinds(False)) == {"published", "entry", "agregat"}


def test_count_kinds_counts_the_shown_column() -> None:
    frame = pl.DataFrame({"value": [1.0, 2.0, 3.0, None], "change": [None, 1.0, None, None],
                          "simulated": [False, True, True, None]})
    assert count_kinds(frame) == KindCounts(official=1, simulated=2, missing=1)
    assert count_kinds(frame, "change") == KindCounts(official=0, simulated=1, missing=3)
    assert count_kinds(frame).total == 4


def test_without_simulated_values_their_regions_are_missing(demo_engine: sa.Engine,
                                                            registry: Registry) -> None:
    o = observation.c
    with demo_engine.connect() as conn:
        ind = read_catalogue(conn)["idi"]
        published = set(conn.scalars(sa.select(o.region_code).where(
            o.indicator_id == "idi", o.period == 2024, o.source_kind == "published",
            o.region_code.in_(sa.select(sa.literal_column("code")).select_from(
                sa.table("region")).where(sa.literal_column("level") == "provinsi")))))
        every = indicator_values(conn, ind, "provinsi", 2024)
        official = indicator_values(conn, ind, "provinsi", 2024, simulated=False)
        national = time_series(conn, ind, "ID", simulated=False)
    assert every["simulated"].any() and published
    assert set(official.filter(pl.col("value").is_not_null())["code"]) == published
    assert not official["simulated"].fill_null(False).any()
    assert official.filter(pl.col("value").is_not_null())["rank"].max() == len(published)
    assert set(national["kind"]) == {"published"}


@pytest.mark.parametrize(("view", "demo"), [(View(resmi=True), True), (View(), False)])
def test_official_only_and_no_demo_hide_simulated_values_everywhere(
        demo_engine: sa.Engine, registry: Registry, view: View, demo: bool) -> None:
    with demo_engine.connect() as conn:
        catalogue = read_catalogue(conn)
        shown = map_data(conn, View(), registry, catalogue)
        data = map_data(conn, view, registry, catalogue, demo=demo)
        s = summary(conn, data, registry)
    assert shown.counts.simulated > 0 and data.counts.simulated == 0
    assert data.counts.official == shown.counts.official
    assert data.counts.missing == 38 - shown.counts.official == data.classes.missing
    line = status_line(data, "id")  # the sources, no DATA SIMULASI badge
    assert not data.any_simulated and [x.children for x in line] == ["Sumber: BPS"]
    assert not any(row[7] for row in hideout(data, "id")["d"].values())
    assert not s.highest["simulated"].any() and not s.lowest["simulated"].any()
    assert not s.series["simulated"].fill_null(False).any()
    assert not s.series["national_simulated"].fill_null(False).any()


def test_the_badge_says_how_much_is_simulated(demo_engine: sa.Engine,
                                              registry: Registry) -> None:
    with demo_engine.connect() as conn:
        data = map_data(conn, View(indikator="ikp", tahun=2024), registry,
                        read_catalogue(conn))
    counts = data.counts
    assert 0 < counts.simulated < counts.official  # IKP 2024: mostly published
    badge = status_line(data, "en")[0].children[0]  # the badge, its note beside it
    assert badge.children == f"SIMULATED DATA · {counts.simulated} of 38 regions"
    assert provenance_counts(KindCounts(1, 1, 0), "en") == (
        "1 official value · 1 simulated value · 0 without data")
    assert simulated_label(KindCounts(0, 1, 0), "en") == "SIMULATED DATA · 1 of 1 region"
    assert provenance_counts(KindCounts(11, 26, 1), "id") == (
        "11 resmi · 26 simulasi · 1 tidak tersedia")
