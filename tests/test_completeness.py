"""The completeness page and its export show the same counts and statuses for the same data."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask.testing import FlaskClient

import ids
from auth.accounts import add_account
from geodata.registry import load_registry
from tests.test_entry_page import completeness_view, run, switch_user
from tests.test_export import read_xlsx
from tests.test_signin import app_client, sign_in

__all__ = ["app_client"]
PUSAT = ("pusat", "Ditjen-Polpum-2026")
KAB = ("Jumlah kantor kab/kota", "Kab/kota mengajukan", "Kab/kota diverifikasi")


def _texts(node: object) -> list[str]:
    """Return the texts of a serialised component, in order."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return _texts(node.get("props", {}).get("children"))
    if isinstance(node, list):
        return [text for child in node for text in _texts(child)]
    return []


def _enter(client: FlaskClient, tmp_path: Path) -> None:
    """Kab/kota values entered, submitted and verified by jabar; provinces' by pusat."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'mata_garuda.db'}")
    with engine.begin() as conn:
        add_account(conn, load_registry(), username=PUSAT[0], role="pusat", password=PUSAT[1])
    sign_in(client)
    run(client, "save", [{"code": c, "version": None, "new_value": "40"}
                         for c in ("32.73", "32.01", "32.71")])
    run(client, "submit", [{"code": c, "version": 1} for c in ("32.73", "32.71")])
    run(client, "verify", [{"code": "32.73", "version": 2}])
    switch_user(client, *PUSAT)
    run(client, "save", [{"code": c, "version": None, "new_value": "55"} for c in ("32", "33")])
    run(client, "submit", [{"code": "32", "version": 1}])


def test_page_and_export_agree(app_client: FlaskClient, tmp_path: Path) -> None:
    _enter(app_client, tmp_path)
    lines = {}
    for level, name in (("provinsi", "Provinsi"), ("kabkota", "Kab/kota")):
        page = completeness_view(app_client, "ikp", level).get_json()["response"]  # type: ignore[attr-defined]
        cards = page[ids.COMPLETENESS_SUMMARY]["children"]
        label, count, verified = _texts(cards[["provinsi", "kabkota"].index(level)])
        lines[level] = f"{label}: {count}, {verified}"
        assert label == name
        shown = {r["code"]: (r["status_label"], *(r.get(k) for k in
                                                   ("kab_offices", "kab_submitted",
                                                    "kab_verified")))
                 for r in page[ids.COMPLETENESS_GRID]["rowData"]}
        body = app_client.get(f"/ekspor/kelengkapan.xlsx?indikator=ikp&tahun=2024"
                              f"&tingkat={level}")
        assert body.status_code == 200
        sheet = read_xlsx(body.get_data(), "Indikator")
        exported = {code: (row["Status"], *(row[k] for k in KAB))
                    for code, row in sheet.by_code().items()}
        assert shown == exported, level
        assert lines[level] in sheet.lines, (lines[level], sheet.lines)
    # The data of _enter, counted: both agree with it, not only with each other.
    assert lines == {"provinsi": "Provinsi: 1 dari 38 mengajukan, 0 diverifikasi",
                     "kabkota": "Kab/kota: 2 dari 514 mengajukan, 1 diverifikasi"}
