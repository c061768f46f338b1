"""Sign-in, sessions and CSRF on the real app (Flask test client)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

import auth.accounts
import auth.web
from app import create_app
from auth.accounts import FREE_FAILURES, add_account, set_active, set_password
from geodata.registry import Registry
from ingest.bootstrap import prepare_database
from queries.db import make_engine
from queries.schema import audit_log
from settings import Settings

PASSWORD = "Laporan-Bulanan-7"
DASH_BODY = {"output": "..tabel-summary.children...tabel-table.children..",
             "outputs": [{"id": "tabel-summary", "property": "children"},
                         {"id": "tabel-table", "property": "children"}],
             "inputs": [{"id": "shell-lang-store", "property": "data", "value": "id"}],
             "changedPropIds": [], "state": []}


def jabar_app(tmp_path: Path, registry: Registry, **settings: Any) -> Flask:
    """Return the app's server on a new SQLite database holding the account ``jabar``."""
    config = Settings(var_dir=tmp_path, boundaries_dir=tmp_path / "none",
                      published_dir=tmp_path / "none", **settings)
    engine = make_engine(config.db_url)
    prepare_database(engine, registry)
    with engine.begin() as conn:
        add_account(conn, registry, username="jabar", role="provinsi", region_code="32",
                    password=PASSWORD)
    server = create_app(config).server
    server.config["TESTING"] = True
    return server


@pytest.fixture
def app_client(tmp_path: Path, registry: Registry) -> Iterator[FlaskClient]:
    yield jabar_app(tmp_path, registry).test_client()


def form_token(client: FlaskClient) -> str:
    page = client.get("/masuk").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def sign_in(client: FlaskClient, password: str = PASSWORD, next_url: str = "/") -> int:
    token = form_token(client)
    response = client.post("/masuk", data={"username": "jabar", "password": password,
                                           "csrf_token": token, "next": next_url})
    return response.status_code


def test_everything_needs_a_signed_in_account(app_client: FlaskClient) -> None:
    response = app_client.get("/wilayah/32?indikator=idi")
    assert response.status_code == 302
    assert response.headers["Location"] == "/masuk?next=/wilayah/32%3Findikator%3Didi"
    assert app_client.get("/_dash-layout").status_code == 401
    assert app_client.get("/geo/provinsi.json").status_code == 401
    assert app_client.get("/health").status_code == 200
    assert app_client.get("/assets/style.css").status_code == 200


def test_sign_in_then_out(app_client: FlaskClient) -> None:
    assert sign_in(app_client, "wrong-Password-1") == 401
    token = form_token(app_client)
    ok = app_client.post("/masuk", data={"username": "jabar", "password": PASSWORD,
                                         "csrf_token": token, "next": "/tabel"})
    assert ok.status_code == 302 and ok.headers["Location"] == "/tabel"
    assert app_client.get("/tabel").status_code == 200
    layout = app_client.get("/_dash-layout").get_data(as_text=True)
    assert "Kesbangpol" not in layout and "jabar" in layout and "Keluar" in layout
    csrf = app_client.get_cookie("mg_csrf")
    assert csrf is not None
    assert app_client.post("/keluar", data={"csrf_token": csrf.value}).status_code == 302
    assert app_client.get("/tabel").status_code == 302


def test_wrong_password_message_and_lock(app_client: FlaskClient,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # Every attempt at the same instant: the wait after the fifth failure is not over.
    frozen = datetime.now(UTC)
    monkeypatch.setattr(auth.accounts, "_now", lambda: frozen)
    token = form_token(app_client)
    for _ in range(FREE_FAILURES):
        page = app_client.post("/masuk", data={"username": "jabar", "password": "x",
                                               "csrf_token": token})
        assert "Nama pengguna atau kata sandi salah." in page.get_data(as_text=True)
    locked = app_client.post("/masuk", data={"username": "jabar", "password": PASSWORD,
                                             "csrf_token": token})
    assert locked.status_code == 401
    assert (f"Terlalu banyak percobaan gagal. Coba lagi setelah pukul"
            f" {frozen + timedelta(seconds=1):%H:%M:%S} UTC.") in locked.get_data(as_text=True)


def test_csrf_is_required_for_forms_and_callbacks(app_client: FlaskClient) -> None:
    form_token(app_client)
    forged = app_client.post("/masuk", data={"username": "jabar", "password": PASSWORD,
                                             "csrf_token": "forged"})
    assert forged.status_code == 400 and "kedaluwarsa" in forged.get_data(as_text=True)
    assert sign_in(app_client) == 302
    assert app_client.post("/_dash-update-component", json=DASH_BODY).status_code == 403
    assert app_client.post("/_dash-update-component", json=DASH_BODY,
                           headers={"X-CSRFToken": "forged"}).status_code == 403
    token = app_client.get_cookie("mg_csrf")
    assert token is not None
    good = app_client.post("/_dash-update-component", json=DASH_BODY,
                           headers={"X-CSRFToken": token.value})
    assert good.status_code == 200


def test_no_open_redirect_and_session_expiry(app_client: FlaskClient) -> None:
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        token = form_token(app_client)
        response = app_client.post("/masuk", data={"username": "jabar", "password": PASSWORD,
                                                   "csrf_token": token, "next": target})
        assert response.headers["Location"] == "/"
    app = app_client.application
    app.permanent_session_lifetime = timedelta(seconds=-1)  # every session already expired
    assert app_client.get("/tabel").status_code == 302


def test_public_view_reads_but_cannot_post_without_token(tmp_path: Path,
                                                         registry: Registry) -> None:
    settings = Settings(var_dir=tmp_path, boundaries_dir=tmp_path / "none",
                        published_dir=tmp_path / "none", public_view=True)
    prepare_database(make_engine(settings.db_url), registry)
    client = create_app(settings).server.test_client()
    assert client.get("/").status_code == 200
    assert "Masuk" in client.get("/_dash-layout").get_data(as_text=True)
    assert client.post("/_dash-update-component", json=DASH_BODY).status_code == 403
    assert client.post("/keluar").status_code == 403


def test_sign_ins_are_audited(app_client: FlaskClient, tmp_path: Path) -> None:
    sign_in(app_client, "wrong-Password-1")
    sign_in(app_client)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'mata_garuda.db'}")
    with engine.connect() as conn:
        actions = conn.scalars(sa.select(audit_log.c.action).order_by(audit_log.c.id)).all()
    assert actions[-2:] == ["signin.failed", "signin"]


def test_a_generated_password_must_be_changed_first(tmp_path: Path,
                                                    registry: Registry) -> None:
    settings = Settings(var_dir=tmp_path, boundaries_dir=tmp_path / "none",
                        published_dir=tmp_path / "none")
    engine = make_engine(settings.db_url)
    prepare_database(engine, registry)
    with engine.begin() as conn:
        generated = add_account(conn, registry, username="pusat", role="pusat")
    client = create_app(settings).server.test_client()
    token = form_token(client)
    client.post("/masuk", data={"username": "pusat", "password": generated,
                                "csrf_token": token})
    assert client.get("/").headers["Location"] == "/sandi"
    assert client.get("/_dash-layout").status_code == 403
    page = client.get("/sandi").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    weak = client.post("/sandi", data={"current": generated, "password": "short",
                                       "again": "short", "csrf_token": csrf})
    assert weak.status_code == 400
    assert "Kata sandi perlu: minimal 12 karakter" in weak.get_data(as_text=True)
    differ = client.post("/sandi", data={"current": generated, "password": PASSWORD,
                                         "again": PASSWORD + "x", "csrf_token": csrf})
    assert "Kedua kata sandi tidak sama." in differ.get_data(as_text=True)
    done = client.post("/sandi", data={"current": generated, "password": PASSWORD,
                                       "again": PASSWORD, "csrf_token": csrf})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/").status_code == 200


# Sessions that end (issue 10, findings 1, 8 and 12).

def _copy(client: FlaskClient) -> FlaskClient:
    """Return a second client holding a copy of ``client``'s cookies (a stolen cookie)."""
    thief = client.application.test_client()
    for name in ("session", "mg_csrf"):
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def _saves(client: FlaskClient) -> int:
    """Post a Dash callback as the page does; return the status."""
    token = client.get_cookie("mg_csrf")
    assert token is not None
    return client.post("/_dash-update-component", json=DASH_BODY,
                       headers={"X-CSRFToken": token.value}).status_code


def _db(tmp_path: Path) -> sa.Engine:
    return make_engine(f"sqlite:///{tmp_path / 'mata_garuda.db'}")


def _actions(engine: sa.Engine) -> list[tuple[str, str, str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(  # type: ignore[misc]
            sa.select(audit_log.c.username, audit_log.c.action, audit_log.c.target,
                      audit_log.c.remote_addr).order_by(audit_log.c.id))]


def test_sign_out_ends_a_copied_session(app_client: FlaskClient, tmp_path: Path) -> None:
    assert sign_in(app_client) == 302
    thief = _copy(app_client)
    assert _saves(thief) == 200 and thief.get("/tabel").status_code == 200
    token = app_client.get_cookie("mg_csrf")
    assert token is not None
    assert app_client.post("/keluar", data={"csrf_token": token.value}).status_code == 302
    assert thief.get("/tabel").status_code == 302
    assert _saves(thief) == 401
    assert ("jabar", "signout", "jabar", "127.0.0.1") in _actions(_db(tmp_path))


def test_password_change_asks_for_the_current_one_and_ends_other_sessions(
        app_client: FlaskClient, tmp_path: Path) -> None:
    assert sign_in(app_client) == 302
    thief = _copy(app_client)
    csrf = _page_token(app_client, "/sandi")
    # The rules are stated before they are broken, as the refusal names them.
    form = app_client.get("/sandi").get_data(as_text=True)
    assert ("Kata sandi baru: minimal 12 karakter; tiga dari: huruf kecil, huruf besar, "
            "angka, karakter lain; bukan kata sandi yang umum; tidak memuat nama pengguna."
            in form)
    new = "Rapat-Koordinasi-2027"
    # The thief knows the cookie, not the password: /sandi refuses without it.
    stolen = thief.post("/sandi", data={"current": "guess", "password": new, "again": new,
                                        "csrf_token": csrf})
    assert stolen.status_code == 400
    assert "Kata sandi saat ini salah." in stolen.get_data(as_text=True)
    done = app_client.post("/sandi", data={"current": PASSWORD, "password": new, "again": new,
                                           "csrf_token": csrf})
    assert done.status_code == 302
    assert app_client.get("/tabel").status_code == 200  # this session goes on
    assert thief.get("/tabel").status_code == 302 and _saves(thief) == 401
    actions = _actions(_db(tmp_path))
    assert ("jabar", "account.password.refused", "jabar", "127.0.0.1") in actions
    assert ("jabar", "account.password", "jabar", "127.0.0.1") in actions


def _page_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


@pytest.mark.parametrize("action", ["reset", "deactivate"])
def test_reset_and_deactivation_end_every_session(app_client: FlaskClient, tmp_path: Path,
                                                  action: str) -> None:
    assert sign_in(app_client) == 302
    assert app_client.get("/tabel").status_code == 200
    with _db(tmp_path).begin() as conn:
        if action == "reset":
            set_password(conn, "jabar", by="admin")
        else:
            set_active(conn, "jabar", False, by="admin")
    assert app_client.get("/tabel").status_code == 302
    assert _saves(app_client) == 401


def test_idle_and_absolute_session_limits(app_client: FlaskClient,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_800_000_000.0]
    monkeypatch.setattr(auth.web, "_clock", lambda: now[0])
    assert sign_in(app_client) == 302
    now[0] += 29 * 60
    assert app_client.get("/tabel").status_code == 200  # renews the idle limit
    now[0] += 29 * 60
    assert app_client.get("/tabel").status_code == 200
    now[0] += 31 * 60
    assert app_client.get("/tabel").status_code == 302  # idle for 31 minutes: ended
    assert sign_in(app_client) == 302
    for _ in range(8 * 60 // 20 - 1):  # busy all day, a request every 20 minutes
        now[0] += 20 * 60
        assert app_client.get("/tabel").status_code == 200
    now[0] += 20 * 60 + 1  # 8 hours after sign-in
    assert app_client.get("/tabel").status_code == 302


def test_refusals_and_csrf_failures_are_audited(app_client: FlaskClient, tmp_path: Path) -> None:
    assert sign_in(app_client) == 302
    assert app_client.post("/_dash-update-component", json=DASH_BODY,
                           headers={"X-CSRFToken": "forged"}).status_code == 403
    assert app_client.get("/ekspor/audit.csv").status_code == 403  # admin only
    actions = [(a, t) for _u, a, t, _r in _actions(_db(tmp_path))]
    assert ("csrf.failed", "/_dash-update-component") in actions
    assert ("request.refused", "/ekspor/audit.csv") in actions


def test_a_trusted_proxy_gives_each_client_its_own_address(tmp_path: Path,
                                                           registry: Registry) -> None:
    """Finding 3: behind a proxy every user shared one address, so 20 failures locked all."""
    app = jabar_app(tmp_path, registry, trusted_proxies=1)

    def client(address: str) -> FlaskClient:
        made = app.test_client()
        made.environ_base.update(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=address)
        return made

    attacker = client("203.0.113.5")
    token = form_token(attacker)
    for n in range(25):
        attacker.post("/masuk", data={"username": f"made-up-{n}", "password": "x",
                                      "csrf_token": token})
    assert attacker.post("/masuk", data={"username": "jabar", "password": PASSWORD,
                                         "csrf_token": token}).status_code == 401
    user = client("198.51.100.7")
    token = form_token(user)
    assert user.post("/masuk", data={"username": "jabar", "password": PASSWORD,
                                     "csrf_token": token}).status_code == 302
    assert ("jabar", "signin", "jabar", "198.51.100.7") in _actions(_db(tmp_path))


def test_a_short_idle_limit_is_renewed_by_each_request(tmp_path: Path, registry: Registry,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    client = jabar_app(tmp_path, registry, session_idle_minutes=1).test_client()
    now = [1_800_000_000.0]
    monkeypatch.setattr(auth.web, "_clock", lambda: now[0])
    assert sign_in(client) == 302
    for _ in range(6):  # a request every 50 s for five minutes keeps it alive
        now[0] += 50
        assert client.get("/tabel").status_code == 200
    now[0] += 61
    assert client.get("/tabel").status_code == 302
