"""The data-entry page over HTTP: scope below the UI, hand-made callbacks refused (403)."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from flask.testing import FlaskClient

import ids
from queries.schema import audit_log, observation
from tests.test_signin import app_client, sign_in

__all__ = ["app_client"]


def callback(client: FlaskClient, outputs: list[tuple[str, str]],
             inputs: list[object], state: list[dict[str, object]],
             changed: list[str] | None = None) -> object:
    token = client.get_cookie("mg_csrf")
    assert token is not None
    many = len(outputs) > 1
    described = [{"id": i, "property": p} for i, p in outputs]
    body = {"output": f"..{'...'.join(f'{i}.{p}' for i, p in outputs)}.." if many
            else f"{outputs[0][0]}.{outputs[0][1]}",
            "outputs": described if many else described[0],
            "inputs": inputs, "state": state, "changedPropIds": changed or []}
    return client.post("/_dash-update-component", json=body,
                       headers={"X-CSRFToken": token.value})


def switch_user(client: FlaskClient, username: str, password: str) -> None:
    token = client.get_cookie("mg_csrf")
    assert token is not None
    client.post("/keluar", data={"csrf_token": token.value})
    page = client.get("/masuk").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    signed = client.post("/masuk", data={"username": username, "password": password,
                                         "csrf_token": csrf})
    assert signed.status_code == 302


def load(client: FlaskClient, area: str | None = "32") -> object:
    return callback(client, [(ids.ENTRY_GRID, "rowData"), (ids.ENTRY_PERIOD, "data")],
                    [{"id": ids.ENTRY_INDICATOR, "property": "value", "value": "ikp"},
                     {"id": ids.ENTRY_PERIOD, "property": "value", "value": "2024"},
                     {"id": ids.ENTRY_REFRESH, "property": "data", "value": 0},
                     {"id": ids.ENTRY_AREA, "property": "value", "value": area}], [])


def run(client: FlaskClient, action: str, rows: list[dict[str, object]]) -> object:
    return callback(
        client, [(ids.ENTRY_MESSAGE, "children"), (ids.ENTRY_REFRESH, "data")],
        [[{"id": {"type": ids.ENTRY_ACTION, "action": a}, "property": "n_clicks",
           "value": 1 if a == action else None}
          for a in ("save", "submit", "verify", "reject")]],
        [{"id": ids.ENTRY_GRID, "property": "rowData", "value": rows},
         {"id": ids.ENTRY_GRID, "property": "selectedRows", "value": rows},
         {"id": ids.ENTRY_INDICATOR, "property": "value", "value": "ikp"},
         {"id": ids.ENTRY_PERIOD, "property": "value", "value": "2024"},
         {"id": ids.ENTRY_COMMENT, "property": "value", "value": ""},
         {"id": ids.ENTRY_REFRESH, "property": "data", "value": 0},
         {"id": ids.SHELL_LANG_STORE, "property": "data", "value": "id"}],
        [json.dumps({"action": action, "type": ids.ENTRY_ACTION}, separators=(",", ":"))
         + ".n_clicks"],
    )


def observations(tmp_path: Path) -> list[tuple[object, ...]]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'mata_garuda.db'}")
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(observation))]


def test_operator_sees_only_its_regions(app_client: FlaskClient) -> None:
    app_client.get("/health")  # the CSRF cookie, as any page load sets it
    assert load(app_client).status_code == 401  # type: ignore[attr-defined]
    sign_in(app_client)
    response = load(app_client)
    rows = response.get_json()["response"][ids.ENTRY_GRID]["rowData"]  # type: ignore[attr-defined]
    codes = {r["code"] for r in rows}
    assert "32" in codes and "32.73" in codes and len(codes) == 28  # IKP: province + 27 kab/kota
    assert all(c == "32" or c.startswith("32.") for c in codes)


def test_saving_in_scope_and_a_forged_region(app_client: FlaskClient, tmp_path: Path) -> None:
    sign_in(app_client)
    ok = run(app_client, "save", [{"code": "32.73", "version": None, "new_value": "41,5",
                                   "reason": "rekap Bawaslu"}])
    assert ok.status_code == 200  # type: ignore[attr-defined]
    assert [r[4] for r in observations(tmp_path)] == [41.5]
    before = observations(tmp_path)
    forged = run(app_client, "save", [{"code": "33.01", "version": None, "new_value": "50"}])
    assert forged.status_code == 403  # type: ignore[attr-defined]
    assert "may not write 33.01" in forged.get_json()["error"]  # type: ignore[attr-defined]
    assert observations(tmp_path) == before
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'mata_garuda.db'}")
    with engine.connect() as conn:
        actions = conn.execute(sa.select(audit_log.c.action, audit_log.c.target)).all()
    # the forged save wrote nothing but its refusal
    assert [tuple(a) for a in actions[-2:]] == [("entry.draft", "ikp 32.73 2024"),
                                                 ("request.refused", "/_dash-update-component")]


def test_bad_values_and_conflicts_leave_nothing_half_written(app_client: FlaskClient,
                                                             tmp_path: Path) -> None:
    sign_in(app_client)
    run(app_client, "save", [{"code": "32.73", "version": None, "new_value": "40"}])
    before = observations(tmp_path)
    for rows, message in (
        ([{"code": "32.04", "version": None, "new_value": "30"},
          {"code": "32.01", "version": None, "new_value": "abc"}], "32.01: bukan angka: 'abc'"),
        ([{"code": "32.04", "version": None, "new_value": "30"},
          {"code": "32.73", "version": None, "new_value": "45"}],  # stale: version 1 exists
         "nilai sudah diubah oleh jabar pada "),
        ([{"code": "32.04", "version": None, "new_value": "1000"}], "1000 di luar rentang ikp"),
    ):
        response = run(app_client, "save", rows)
        alert = response.get_json()["response"][ids.ENTRY_MESSAGE]  # type: ignore[attr-defined]
        text = json.dumps(alert["children"], ensure_ascii=False)
        conflict = "diubah oleh" in message
        assert ("Nilai sudah berubah; tidak ada yang disimpan" if conflict
                else "Tidak ada yang disimpan") in text
        assert alert["children"]["props"]["color"] == ("orange" if conflict else "red")
        assert message in text, text  # the write path's message, in Indonesian
        assert observations(tmp_path) == before


COMPLETENESS_OUTPUTS = [(ids.COMPLETENESS_PERIOD, "data"), (ids.COMPLETENESS_PERIOD, "value"),
                   (ids.COMPLETENESS_LEVEL, "data"), (ids.COMPLETENESS_LEVEL, "value"),
                   (ids.COMPLETENESS_SUMMARY, "children"), (ids.COMPLETENESS_GRID, "rowData"),
                   (ids.COMPLETENESS_GRID, "columnDefs"), (ids.COMPLETENESS_GEOJSON, "url"),
                   (ids.COMPLETENESS_GEOJSON, "hideout"), (ids.COMPLETENESS_LEGEND, "children"),
                   (ids.COMPLETENESS_EXPORT, "children")]


def completeness_view(client: FlaskClient, indicator: str, level: str) -> object:
    return callback(client, COMPLETENESS_OUTPUTS,
                    [{"id": ids.COMPLETENESS_INDICATOR, "property": "value", "value": indicator},
                     {"id": ids.COMPLETENESS_PERIOD, "property": "value", "value": "2024"},
                     {"id": ids.COMPLETENESS_LEVEL, "property": "value", "value": level},
                     {"id": ids.SHELL_LANG_STORE, "property": "data", "value": "id"}], [])


def test_completeness_counts_and_maps_offices(app_client: FlaskClient, tmp_path: Path) -> None:
    from auth.accounts import add_account
    from geodata.registry import load_registry

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'mata_garuda.db'}")
    with engine.begin() as conn:
        add_account(conn, load_registry(), username="pusat", role="pusat",
                    password="Ditjen-Polpum-2026")
    sign_in(app_client)  # jabar saves and submits Kota Bandung and Kabupaten Bogor
    run(app_client, "save", [{"code": "32.73", "version": None, "new_value": "40"},
                             {"code": "32.01", "version": None, "new_value": "50"}])
    run(app_client, "submit", [{"code": "32.73", "version": 1}])
    denied = completeness_view(app_client, "ikp", "kabkota")
    assert denied.status_code == 403  # type: ignore[attr-defined]
    switch_user(app_client, "pusat", "Ditjen-Polpum-2026")
    data = completeness_view(app_client, "ikp", "kabkota").get_json()["response"]  # type: ignore[attr-defined]
    text = json.dumps(data[ids.COMPLETENESS_SUMMARY])
    assert "0 dari 38 mengajukan" in text and "1 dari 514 mengajukan" in text
    rows = {r["code"]: r for r in data[ids.COMPLETENESS_GRID]["rowData"]}
    assert rows["32.73"]["status_label"] == "Diajukan" and rows["32.01"]["status_label"] == "Draf"
    assert rows["33.01"]["status_label"] == "Belum mengisi" and len(rows) == 514
    assert rows["32.73"]["parent"] == "Jawa Barat"
    # The map colours the offices that entered something; the rest stay hatched.
    assert data[ids.COMPLETENESS_GEOJSON]["url"].startswith("/geo/kabkota.json?v=")
    colouring = data[ids.COMPLETENESS_GEOJSON]["hideout"]
    assert set(colouring["d"]) == {"32.73", "32.01"}
    assert colouring["labels"][colouring["d"]["32.73"][0]] == "Diajukan"
    assert colouring["d"]["32.73"][1] == "jabar"
    legend = json.dumps(data[ids.COMPLETENESS_LEGEND])
    assert '"Belum mengisi"' in legend and '"512"' in legend
    # Provinces: 38 offices, none entered their own value; each counts its kab/kota.
    data = completeness_view(app_client, "ikp", "provinsi").get_json()["response"]  # type: ignore[attr-defined]
    jabar = next(r for r in data[ids.COMPLETENESS_GRID]["rowData"] if r["code"] == "32")
    assert (jabar["kab_offices"], jabar["kab_submitted"], jabar["kab_verified"]) == (27, 1, 0)
    assert data[ids.COMPLETENESS_GEOJSON]["hideout"]["d"]["32"] == [
        None, None, "Kab/kota: 1 dari 27 mengajukan, 0 diverifikasi"]  # hatched, with its count
    # IDI is only defined for provinces.
    data = completeness_view(app_client, "idi", "kabkota").get_json()["response"]  # type: ignore[attr-defined]
    assert data[ids.COMPLETENESS_LEVEL]["value"] == "provinsi"
    assert len(data[ids.COMPLETENESS_GRID]["rowData"]) == 38
    assert data[ids.COMPLETENESS_GEOJSON]["hideout"]["d"] == {}
    assert [o["disabled"] for o in data[ids.COMPLETENESS_LEVEL]["data"]] == [False, True]


def test_audit_log_is_for_admins_only(app_client: FlaskClient, tmp_path: Path) -> None:
    from auth.accounts import add_account
    from geodata.registry import load_registry

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'mata_garuda.db'}")
    with engine.begin() as conn:
        add_account(conn, load_registry(), username="admin", role="admin",
                    password="Kunci-Ditjen-Polpum-9")
    inputs = [{"id": ids.SHELL_LANG_STORE, "property": "data", "value": "id"}]
    sign_in(app_client)
    assert callback(app_client, [(ids.AUDIT_GRID, "rowData")], inputs,
                    []).status_code == 403  # type: ignore[attr-defined]
    switch_user(app_client, "admin", "Kunci-Ditjen-Polpum-9")
    response = callback(app_client, [(ids.AUDIT_GRID, "rowData")], inputs, [])
    rows = response.get_json()["response"][ids.AUDIT_GRID]["rowData"]  # type: ignore[attr-defined]
    actions = [r["action"] for r in rows]
    # newest first: the admin's sign-in, the operator's sign-out (switching), the refusal
    assert actions[:4] == ["signin", "signout", "request.refused", "signin"]
    assert "account.add" in actions


def test_history_and_restore(app_client: FlaskClient, tmp_path: Path) -> None:
    sign_in(app_client)
    run(app_client, "save", [{"code": "32.73", "version": None, "new_value": "40"}])
    run(app_client, "save", [{"code": "32.73", "version": 1, "new_value": "44",
                              "reason": "koreksi"}])
    row = {"code": "32.73", "name": "Kota Bandung", "version": 2}
    state = [{"id": ids.ENTRY_INDICATOR, "property": "value", "value": "ikp"},
             {"id": ids.ENTRY_PERIOD, "property": "value", "value": "2024"},
             {"id": ids.SHELL_LANG_STORE, "property": "data", "value": "id"}]
    shown = callback(app_client, [(ids.ENTRY_HISTORY, "children")],
                     [{"id": ids.ENTRY_GRID, "property": "selectedRows", "value": [row]},
                      {"id": ids.ENTRY_REFRESH, "property": "data", "value": 0}], state)
    text = json.dumps(shown.get_json())  # type: ignore[attr-defined]
    assert "Riwayat perubahan" in text and "koreksi" in text and "44,00" in text
    # The restore callback shares its outputs (allow_duplicate): ask Dash for their keys.
    deps = app_client.get("/_dash-dependencies").get_json()
    spec = next(d for d in deps if d["inputs"] == [{"id": ids.ENTRY_RESTORE,
                                                      "property": "n_clicks"}])
    token = app_client.get_cookie("mg_csrf")
    assert token is not None
    restored = app_client.post("/_dash-update-component", headers={"X-CSRFToken": token.value},
                               json={
        "output": spec["output"],
        "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]}
                    for o in spec["output"].strip(".").split("...")],
        "inputs": [{"id": ids.ENTRY_RESTORE, "property": "n_clicks", "value": 1}],
        "state": [{"id": ids.ENTRY_GRID, "property": "selectedRows", "value": [row]},
                  {"id": ids.ENTRY_RESTORE_VERSION, "property": "value", "value": 1},
                  *state[:2], {"id": ids.ENTRY_REFRESH, "property": "data", "value": 0},
                  state[2]],
        "changedPropIds": [f"{ids.ENTRY_RESTORE}.n_clicks"]})
    assert restored.status_code == 200, restored.get_data(as_text=True)
    values = [r[4] for r in observations(tmp_path)]
    assert values == [40.0, 44.0, 40.0]  # restored as version 3; nothing was overwritten


def test_choosing_an_indicator_shows_its_unit_range_and_checks(app_client: FlaskClient) -> None:
    sign_in(app_client)
    response = callback(app_client,
                        [(ids.ENTRY_HELP, "children"), (ids.ENTRY_GRID, "columnDefs")],
                        [{"id": ids.ENTRY_INDICATOR, "property": "value", "value": "ormas"}],
                        [{"id": ids.SHELL_LANG_STORE, "property": "data", "value": "en"}])
    data = response.get_json()["response"]  # type: ignore[attr-defined]
    text = json.dumps(data[ids.ENTRY_HELP])
    assert "Registered civil-society organisations" in text and "organisations" in text
    assert "at least 0; whole number" in text and "neither better nor worse" in text
    column = next(c for c in data[ids.ENTRY_GRID]["columnDefs"] if c["field"] == "new_value")
    assert column["editable"] and "whole number" in column["headerTooltip"]
    rule = column["cellClassRules"]["cell-invalid"]
    assert rule == "isInvalidEntry(params.value, 0.0, null, true)"


def test_the_last_note_is_shown_not_reused(app_client: FlaskClient, tmp_path: Path) -> None:
    sign_in(app_client)
    run(app_client, "save", [{"code": "32.73", "version": None, "new_value": "40",
                              "reason": "rekap Bawaslu"}])
    rows = {r["code"]: r for r in load(app_client).get_json()[  # type: ignore[attr-defined]
        "response"][ids.ENTRY_GRID]["rowData"]}
    bandung = rows["32.73"]
    assert (bandung["last_reason"], bandung["reason"]) == ("rekap Bawaslu", None)
    assert (bandung["level_label"], rows["32"]["level_label"]) == ("Kab/kota", "Provinsi")
    run(app_client, "save", [{**bandung, "new_value": "41"}])  # the grid row sent back as is
    assert [r[4] for r in observations(tmp_path)] == [40.0, 41.0]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'mata_garuda.db'}")
    with engine.connect() as conn:
        reasons = conn.scalars(sa.select(observation.c.reason).order_by(observation.c.id)).all()
    assert reasons[0] == "rekap Bawaslu" and reasons[1] != "rekap Bawaslu"


def test_every_indicator_has_its_entry_help_in_both_languages() -> None:
    import dash

    from components.entry import indicator_help, new_value_column
    from queries.catalogue import load_catalogue_file

    for ind in load_catalogue_file().values():
        for lang in ("id", "en"):
            text = json.dumps(indicator_help(ind, lang).to_plotly_json(),
                              default=lambda c: c.to_plotly_json()
                              if isinstance(c, dash.development.base_component.Component)
                              else str(c))
            assert ind.unit(lang) in text and ind.name(lang) in text, (ind.id, lang)
            assert ind.unit(lang) in new_value_column(ind, lang)["headerName"]
