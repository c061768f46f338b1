"""Sign-in, sessions and CSRF on the real app (Flask test client)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app import create_app
from auth.accounts import add_account
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


@pytest.fixture
def app_client(tmp_path: Path, registry: Registry) -> Iterator[FlaskClient]:
    settings = Settings(var_dir=tmp_path, boundaries_dir=tmp_path / "none",
                        published_dir=tmp_path / "none")
    engine = make_engine(settings.db_url)
    prepare_database(engine, registry)
    with engine.begin() as conn:
        add_account(conn, registry, username="jabar", role="provinsi", region_code="32",
                    password=PASSWORD)
    app = create_app(settings)
    app.server.config["TESTING"] = True
    yield app.server.test_client()


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


def test_wrong_password_message_and_lock(app_client: FlaskClient) -> None:
    token = form_token(app_client)
    for _ in range(5):
        page = app_client.post("/masuk", data={"username": "jabar", "password": "x",
                                               "csrf_token": token})
        assert "Nama pengguna atau kata sandi salah." in page.get_data(as_text=True)
    locked = app_client.post("/masuk", data={"username": "jabar", "password": PASSWORD,
                                             "csrf_token": token})
    assert locked.status_code == 401
    assert "Terlalu banyak percobaan gagal" in locked.get_data(as_text=True)


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
    weak = client.post("/sandi", data={"password": "short", "again": "short",
                                       "csrf_token": csrf})
    assert weak.status_code == 400
    assert "Kata sandi perlu: minimal 12 karakter" in weak.get_data(as_text=True)
    differ = client.post("/sandi", data={"password": PASSWORD, "again": PASSWORD + "x",
                                         "csrf_token": csrf})
    assert "Kedua kata sandi tidak sama." in differ.get_data(as_text=True)
    done = client.post("/sandi", data={"password": PASSWORD, "again": PASSWORD,
                                       "csrf_token": csrf})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/").status_code == 200
