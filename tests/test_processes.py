"""More than one server process (issue 10): two servers on one PostgreSQL and one Redis.

A ministry runs several app processes behind a reverse proxy. Here two real servers (as
``mata-garuda serve`` starts them) share a private PostgreSQL schema, a Redis database and
the secret key; clients go to one or the other as a proxy would send them.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis

from auth.accounts import FREE_FAILURES, add_account
from geodata.registry import Registry
from ingest.bootstrap import prepare_database
from queries.db import make_engine
from tests.conftest import _database_url, unavailable
from tests.live import Client, Server, serve

PASSWORD = "Dua-Proses-Satu-Basis-9"
REDIS_URL = "redis://127.0.0.1:6379/7"
KAB = "32.73"  # Kota Bandung


@pytest.fixture
def servers(tmp_path: Path, pg_ok: bool, registry: Registry) -> Iterator[tuple[Server, Server]]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis not reachable at {REDIS_URL}: {exc}")
    for url in _database_url("postgresql", tmp_path, pg_ok):
        engine = make_engine(url)
        prepare_database(engine, registry)
        with engine.begin() as conn:
            add_account(conn, registry, username="jabar", role="provinsi", region_code="32",
                        password=PASSWORD)
            add_account(conn, registry, username="bandung", role="kabkota", region_code=KAB,
                        password=PASSWORD)
        engine.dispose()
        shared = {"MATA_GARUDA_SECRET_KEY": secrets.token_hex(32),
                  "MATA_GARUDA_REDIS_URL": REDIS_URL}
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
        with ExitStack() as stack:
            yield tuple(stack.enter_context(  # type: ignore[misc]
                serve(url, tmp_path / name, settings=shared)) for name in ("a", "b"))


def _on(server: Server, client: Client) -> Client:
    """Return a client for ``server`` that shares ``client``'s cookies (the same browser)."""
    other = Client(server.url, client.username, client.password)
    other.http = client.http
    return other


def _row(grid: list[dict[str, object]] | None, code: str) -> dict[str, object]:
    assert grid is not None
    return next(r for r in grid if r["code"] == code)


def test_a_session_works_on_both_and_sign_out_ends_it_on_both(
        servers: tuple[Server, Server]) -> None:
    a, b = servers
    on_a = Client(a.url, "jabar", PASSWORD)
    assert on_a.sign_in().status == 302
    on_b = _on(b, on_a)
    call, grid = on_b.load()
    assert call.status == 200 and grid is not None
    token = on_a.http.cookies.get("mg_csrf")
    out = on_a.http.post(a.url + "/keluar", data={"csrf_token": token}, allow_redirects=False)
    assert out.status_code == 302
    assert on_b.load()[0].status == 401
    assert on_a.load()[0].status == 401


def test_a_value_saved_on_one_is_shown_by_the_other_at_once(
        servers: tuple[Server, Server]) -> None:
    a, b = servers
    operator = Client(a.url, "bandung", PASSWORD)
    assert operator.sign_in().status == 302
    _, grid = operator.load()
    assert grid is not None
    edited = [{**r, "new_value": "42.5" if r["code"] == KAB else None} for r in grid]
    saved = operator.run("save", edited, [])
    assert (saved.outcome, saved.processed) == ("processed", 1), saved
    on_b = _on(b, operator)
    row = _row(on_b.load()[1], KAB)
    assert (row["value"], row["status"]) == (42.5, "draft")
    submitted = on_b.run("submit", on_b.load()[1] or [], [row])
    assert (submitted.outcome, submitted.processed) == ("processed", 1), submitted
    verifier = Client(a.url, "jabar", PASSWORD)  # the province verifies its kab/kota
    assert verifier.sign_in().status == 302
    _, province_grid = verifier.load()
    verified = verifier.run("verify", province_grid or [], [_row(province_grid, KAB)])
    assert (verified.outcome, verified.processed) == ("processed", 1), verified
    csv = on_b.http.get(f"{b.url}/ekspor/peta.csv?kode=32&indikator=ikp&tahun=2024",
                        timeout=60)
    assert csv.status_code == 200, csv.text[:300]
    line = next(row for row in csv.text.splitlines() if f",{KAB}," in row)
    assert re.search(r",42[.,]50?,", line), line


def _sign_in(server: Server, password: str) -> tuple[int, str]:
    """Post the sign-in form of ``server`` as jabar; return status and page."""
    client = Client(server.url, "jabar", password)
    page = client.http.get(server.url + "/masuk", timeout=60).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, page
    response = client.http.post(server.url + "/masuk", allow_redirects=False, timeout=60,
                                data={"username": "jabar", "password": password,
                                      "csrf_token": token.group(1)})
    return response.status_code, response.text


def test_failed_sign_ins_count_across_both(servers: tuple[Server, Server]) -> None:
    a, b = servers
    for n in range(FREE_FAILURES):
        assert _sign_in((a, b)[n % 2], "Salah-Sandi-0000")[0] == 401
    # Two more failures after their waits (1 s, then 2 s) make the next wait 4 s.
    for wait in (1.05, 2.05):
        time.sleep(wait)  # the throttling's own delay, not a synchronisation
        status, page = _sign_in(b, "Salah-Sandi-0000")
        assert status == 401 and "Nama pengguna atau kata sandi salah." in page
    for server in (a, b):  # both servers hold this address back, even with the right password
        status, page = _sign_in(server, PASSWORD)
        assert status == 401 and "Terlalu banyak percobaan gagal" in page
