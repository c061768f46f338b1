"""The side panel's trend chart as an export (PNG, SVG, PDF, CSV, XLSX): the series the panel
draws, gaps for missing years, simulated points hollow, the national target dashed, texts
in the request's language; access and parameters as the map's export; on SQLite and
PostgreSQL with the demo data and the published figures."""

from __future__ import annotations

import csv
import re
import struct
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from flask.testing import FlaskClient

from components.export import TREND_FORMATS, trend_export_href
from components.map import panel
from export.files import to_csv
from export.image import PAGE
from export.trend import Trend, trend, trend_image, trend_table
from i18n import format_number
from queries.mapview import View, parse_view
from tests import test_export_image as image
from tests.test_export import NO_SUCH, assert_refused, get, read_csv, read_xlsx
from tests.test_export_image import PNG_SIGNATURE, SVG, Site, read_svg

site = image.site  # the map image's app, with boundaries, public view and a viewer account
client = image.client  # signed in as that viewer

XLINK = "{http://www.w3.org/1999/xlink}href"


def _trend(site: Site, kode: str, **query: str) -> Trend:
    view, messages = parse_view(kode, query, site.registry, site.catalogue)
    assert not messages
    with site.engine.connect() as conn:
        return trend(conn, view, site.registry, site.catalogue)


def _published(published_dir: Path, indicator: str, code: str) -> dict[int, float]:
    with (published_dir / f"{indicator}.csv").open(encoding="utf-8") as f:
        return {int(r["year"]): float(r["value"]) for r in csv.DictReader(f)
                if r["code"] == code and r["value"]}


def _markers(body: bytes) -> dict[str, list[dict[str, str]]]:
    """Return each marker group's points (by gid) with the marker's style."""
    root = ET.fromstring(body)
    styles = {p.get("id"): p.get("style", "") for p in root.iter(f"{SVG}path") if p.get("id")}
    found: dict[str, list[dict[str, str]]] = {}
    for group in root.iter(f"{SVG}g"):
        gid = group.get("id", "")
        if gid.startswith(("trend-points-", "trend-simulated-")):
            uses = list(group.iter(f"{SVG}use"))
            found[gid] = [_style(styles[u.get(XLINK, "").lstrip("#")]) | _style(
                u.get("style", "")) for u in uses]
    return found


def _style(text: str) -> dict[str, str]:
    return {k.strip(): v.strip() for k, v in (p.split(":", 1) for p in text.split(";")
                                              if ":" in p)}


def _number(text: str) -> float | None:
    return None if text == "" else float(text)


def _yes(flag: bool) -> str:
    return "Ya" if flag else "Tidak"


def _expected_csv_row(year: int, row: dict[str, Any], target: str) -> list[object]:
    """Return a trend CSV row as expected from the panel's series: a missing value is empty."""
    value, national = row.get("value"), row.get("national")
    return [year, value,
            "" if value is None else "DATA SIMULASI" if row["simulated"] else row["source"],
            "" if value is None else _yes(row["simulated"]),
            national, "" if national is None else _yes(row["national_simulated"]), target]


# ------------------------------------------------------------------------------- data


def test_csv_rows_are_the_panel_series(site: Site, client: FlaskClient,
                                       published_dir: Path) -> None:
    tr = _trend(site, "32", indikator="idi")
    series = {r["period"]: r for r in tr.summary.series.iter_rows(named=True)}
    rows = read_csv(get(client, "/ekspor/tren.csv?kode=32&indikator=idi"))
    assert rows[0] == ["Tahun", "Nilai Jawa Barat", "Sumber", "Simulasi Jawa Barat",
                       "Nilai Nasional", "Simulasi Nasional", "Target"]
    years = [int(r[0]) for r in rows[1:]]
    assert years == list(range(years[0], years[-1] + 1))  # annual: every year a row
    assert set(series) <= set(years)
    targets = {2019: "75.0", 2023: "79.25"}  # targets.csv
    assert [[int(r[0]), _number(r[1]), *r[2:4], _number(r[4]), *r[5:]] for r in rows[1:]] == [
        _expected_csv_row(year, series.get(year, {}), targets.get(year, "")) for year in years]
    published = _published(published_dir, "idi", "32")
    real = {int(r[0]): float(r[1]) for r in rows[1:] if r[3] == "Tidak"}
    assert real == {y: v for y, v in published.items() if y in years}
    assert {2017, 2018, 2022, 2023, 2024} <= set(real)


def test_xlsx_numbers_and_lines(site: Site, client: FlaskClient) -> None:
    tr = _trend(site, "32", indikator="idi")
    sheet = read_xlsx(get(client, "/ekspor/tren.xlsx?kode=32&indikator=idi"), "Tahun")
    assert sheet.lines[0] == f"Tren IDI {tr.years()} · Jawa Barat"
    expected = {r["period"]: r["value"] for r in tr.summary.series.iter_rows(named=True)}
    for row in sheet.rows:
        assert row[1] == expected.get(row[0])  # numbers stay numbers; missing is empty
    assert any(line.startswith("Metodologi 2021: Metodologi baru") for line in sheet.lines)
    assert tr.any_simulated()  # the demo data fills Jawa Barat's unpublished years
    assert sheet.lines[1].startswith("DATA SIMULASI: ")


def test_national_table_and_english(client: FlaskClient) -> None:
    client.set_cookie("lang", "en")
    rows = read_csv(get(client, "/ekspor/tren.csv?indikator=turnout_pilkada"))
    assert rows[0] == ["Year", "Indonesia value", "Source", "Indonesia simulated", "Target"]
    targets = {int(r[0]): r[4] for r in rows[1:] if r[4]}
    assert targets == {2018: "77.0", 2024: "82.0"}


# ------------------------------------------------------------------------------ image


def test_svg_draws_the_series(site: Site, client: FlaskClient) -> None:
    tr = _trend(site, "32", indikator="idi")
    response = client.get("/ekspor/tren.svg?kode=32&indikator=idi")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("image/svg+xml")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="mata-garuda_idi_tren_32.svg"')
    body = response.get_data()
    drawing = read_svg(body)
    assert f"Tren IDI {tr.years()} · Jawa Barat" in drawing.texts
    assert ("Indeks Demokrasi Indonesia · satuan: indeks 0-100 · makin tinggi makin baik"
            in drawing.texts)
    frame = tr.frame()
    for year in frame["period"]:
        assert str(year) in drawing.texts  # the years, as text, no thousands separator
    assert {"Jawa Barat", "Nasional", "indeks 0-100", "Tahun"} <= set(drawing.texts)
    assert {"title", "subtitle", "footer", "trend-line-region", "trend-line-national",
            "trend-break-2021"} <= drawing.ids
    assert "trend-target" not in drawing.ids  # no national target for IDI 2024
    markers = _markers(body)
    for who, value, simulated in (("region", "value", "simulated"),
                                  ("national", "national", "national_simulated")):
        present = frame.filter(frame[value].is_not_null())
        fake = int(present[simulated].sum())
        assert len(markers.get(f"trend-points-{who}", [])) == present.height - fake
        assert len(markers.get(f"trend-simulated-{who}", [])) == fake
        for point in markers.get(f"trend-simulated-{who}", []):
            assert point["fill"] == "#ffffff"  # hollow
        for point in markers.get(f"trend-points-{who}", []):
            assert point["fill"] != "#ffffff"
    last = frame.filter(frame["value"].is_not_null())["value"][-1]
    assert format_number(last, 2, "id") in drawing.texts  # 82,80: the Indonesian comma
    assert tr.any_simulated()
    assert "DATA SIMULASI" in drawing.texts and "simulasi" in drawing.texts
    assert any(re.fullmatch(r"Mata Garuda · diekspor \d{4}-\d\d-\d\d \d\d:\d\d UTC", s)
               for s in drawing.texts)


def test_gaps_are_gaps(site: Site) -> None:
    """A year without a value breaks the line and leaves an empty cell, never a 0."""
    tr = _trend(site, "32", indikator="idi")
    gap = pl.when(pl.col("period") == 2020).then(None)
    series = tr.summary.series.with_columns(value=gap.otherwise(pl.col("value")),
                                            national=gap.otherwise(pl.col("national")))
    gappy = replace(tr, summary=replace(tr.summary, series=series))
    now = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    body = trend_image(gappy, now, "svg")
    root = ET.fromstring(body)
    line = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "trend-line-region")
    path = next(line.iter(f"{SVG}path")).get("d", "")
    # Four runs: the published 2009 and 2011 (2010, 2012-2014 unmeasured), 2015-2019,
    # from 2021.
    assert path.count("M") == 4
    markers = _markers(body)
    assert sum(len(v) for k, v in markers.items() if k.endswith("-region")) == 2 + 9
    rows = read_csv(to_csv(trend_table(gappy, now)))
    assert [r[1:6] for r in rows if r[0] == "2020"] == [["", "", "", "", ""]]


def test_target_line_for_turnout(site: Site, client: FlaskClient) -> None:
    tr = _trend(site, "32", indikator="turnout_pilkada", tahun="2024")
    assert tr.summary.target == (82.0, 82.0)
    drawing = read_svg(get(client, "/ekspor/tren.svg?kode=32&indikator=turnout_pilkada"
                                   "&tahun=2024"))
    assert "trend-target" in drawing.ids
    assert "Target 2024: 82,00" in drawing.texts  # the Indonesian decimal comma
    assert "Target" in drawing.texts  # the legend entry


def test_national_only_and_english(site: Site, client: FlaskClient) -> None:
    client.set_cookie("lang", "en")
    tr = _trend(site, "ID", indikator="turnout_pilpres")
    body = get(client, "/ekspor/tren.svg?indikator=turnout_pilpres")
    drawing = read_svg(body)
    assert f"{tr.indicator.short_name} trend {tr.years()} · Indonesia" in drawing.texts
    assert ("Presidential election turnout · unit: % of registered voters (DPT) · higher is "
            "better") in drawing.texts
    assert "trend-line-national" in drawing.ids and "trend-line-region" not in drawing.ids
    assert "Year" in drawing.texts and "Tahun" not in drawing.texts
    assert any(s.startswith("Mata Garuda · exported ") for s in drawing.texts)
    assert not {"DATA SIMULASI", "Nasional"} & set(drawing.texts)
    present = tr.frame()["national"].drop_nulls().len()
    assert sum(len(v) for v in _markers(body).values()) == present


def test_png_and_pdf(client: FlaskClient) -> None:
    response = client.get("/ekspor/tren.png?kode=32&indikator=idi")
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="mata-garuda_idi_tren_32.png"')
    body = response.get_data()
    assert body.startswith(PNG_SIGNATURE)
    assert struct.unpack(">II", body[16:24]) == (int(PAGE[0] * 150), int(PAGE[1] * 150))
    pdf = client.get("/ekspor/tren.pdf?kode=32.73&indikator=turnout_pilpres")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.get_data().startswith(b"%PDF")


# ----------------------------------------------------------------------- requests, links


@pytest.mark.parametrize(("path", "status", "names"), [
    ("/ekspor/tren.png?indikator=xyz", 400, "'indikator' tidak valid: 'xyz'"),
    ("/ekspor/tren.csv?indikator=idi&tahun=1999", 400, "'tahun' tidak valid: '1999'"),
    ("/ekspor/tren.pdf?tahun=dua", 400, "'tahun' tidak valid: 'dua'"),
    ("/ekspor/tren.xlsx?kode=99", 400, "'kode' tidak valid: '99'"),
    ("/ekspor/tren.svg?kelas=acak", 400, "'kelas' tidak valid: 'acak'"),
    ("/ekspor/tren.gif", 404, NO_SUCH),
    ("/ekspor/tren.PNG", 404, NO_SUCH),
])
def test_bad_requests(client: FlaskClient, path: str, status: int, names: str) -> None:
    assert_refused(client, path, status, names)


@pytest.mark.parametrize("fmt", ["png", "csv"])
def test_anonymous_and_public(site: Site, fmt: str) -> None:
    closed = site.client.get(f"/ekspor/tren.{fmt}?indikator=idi")
    assert closed.status_code == 302
    assert closed.headers["Location"] == f"/masuk?next=/ekspor/tren.{fmt}%3Findikator%3Didi"
    public = site.public.get(f"/ekspor/tren.{fmt}?indikator=idi")
    assert public.status_code == 200


def test_panel_links_follow_the_view(site: Site, client: FlaskClient) -> None:
    assert trend_export_href(View(kode="32", indikator="idi", tahun=2024, kelas="jenks")) == (
        "/ekspor/tren?kode=32&indikator=idi&tahun=2024")
    assert trend_export_href(View(indikator="ikp")) == "/ekspor/tren?indikator=ikp"
    tr = _trend(site, "32.73", indikator="turnout_pilkada")
    content = str(panel(tr.summary, tr.data, "id").to_plotly_json())
    hrefs = re.findall(r"href='(/ekspor/tren[^']+)'", content)
    assert hrefs == [f"/ekspor/tren.{fmt}?kode=32.73&indikator=turnout_pilkada&tahun="
                     f"{tr.data.period}" for fmt in TREND_FORMATS]
    assert "Unduh tren (PNG)" in content
    for href in hrefs:  # every link the panel shows downloads a file
        assert get(client, href)
    english = str(panel(tr.summary, tr.data, "en").to_plotly_json())
    assert "Download the trend (XLSX)" in english
