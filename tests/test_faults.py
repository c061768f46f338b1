"""Faults in the write path: a database connection lost mid-write, an error mid-batch.

A batch of entries is one transaction: whatever goes wrong half-way, the database holds
none of it, and the next write (through a fresh connection from the same engine, with
``pool_pre_ping`` as ``app.py`` makes it) succeeds. On PostgreSQL the connection is
killed for real with ``pg_terminate_backend`` from another connection, directly and
under the running server.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import ingest.entry as entry
from auth.accounts import Account, add_account, get_account
from geodata.registry import Registry
from ingest.bootstrap import prepare_database
from queries.catalogue import load_catalogue_file
from queries.db import make_engine
from queries.schema import app_user, audit_log, observation
from tests.conftest import PG_URL, _database_url, unavailable
from tests.live import Client, log_tail, serve

PASSWORD = "Uji-Gangguan-Koneksi-7"
PROVINCE = "32"
ROWS = 20  # kab/kota of Jawa Barat written in one batch
KILL_AFTER = 10  # rows written before the connection dies
IKP = load_catalogue_file()["ikp"]


def batch(registry: Registry, offset: float = 0) -> list[dict[str, object]]:
    """Return 20 new values for kab/kota of Jawa Barat, as the entry grid sends them."""
    return [{"code": r.code, "version": None, "new_value": f"{10 + i + offset:g}"}
            for i, r in enumerate(registry.children(PROVINCE)[:ROWS])]


def entries(engine: sa.Engine) -> tuple[list[tuple[Any, ...]], int]:
    """Return the entered versions (code, version, value) and the count of their audits."""
    o = observation.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(o.region_code, o.version, o.value)
                            .where(o.source_kind == "entry")
                            .order_by(o.region_code, o.version)).all()
        audits = conn.scalar(sa.select(sa.func.count()).select_from(audit_log)
                             .where(audit_log.c.action.like("entry.%")))
    return [tuple(r) for r in rows], int(audits or 0)


def operator(engine: sa.Engine, registry: Registry) -> Account:
    with engine.begin() as conn:
        add_account(conn, registry, username="jabar", role="provinsi", region_code=PROVINCE,
                    password=PASSWORD)
        account = get_account(conn, conn.scalar(
            sa.select(app_user.c.id).where(app_user.c.username == "jabar")))
    assert account is not None
    return account


def backend_pid(conn: sa.Connection) -> int:
    return int(conn.exec_driver_sql("select pg_backend_pid()").scalar_one())


def terminate(admin: sa.Engine, pid: int) -> None:
    """Kill a PostgreSQL backend from another connection and wait until it is gone."""
    with admin.connect() as conn:
        assert conn.execute(sa.text("select pg_terminate_backend(:pid, 5000)"),
                            {"pid": pid}).scalar_one()


@pytest.fixture
def admin(pg_ok: bool) -> Iterator[sa.Engine]:
    if not pg_ok:
        unavailable(f"PostgreSQL not reachable at {PG_URL}")
    engine = sa.create_engine(PG_URL)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(tmp_path: Path, pg_ok: bool, registry: Registry) -> Iterator[sa.Engine]:
    """A migrated private PostgreSQL schema, with the engine configured as ``app.py`` does."""
    for url in _database_url("postgresql", tmp_path, pg_ok):
        engine = make_engine(url, pool_pre_ping=True)
        prepare_database(engine, registry)
        yield engine
        engine.dispose()


# --- (a) PostgreSQL: the connection dies in the middle of act() -------------------------

def test_connection_killed_mid_batch_writes_nothing_and_the_app_recovers(
        pg_engine: sa.Engine, admin: sa.Engine, registry: Registry,
        monkeypatch: pytest.MonkeyPatch) -> None:
    account = operator(pg_engine, registry)
    written: list[str] = []
    save_draft = entry.save_draft

    def save_then_die(conn: sa.Connection, *args: Any, **kwargs: Any) -> int:
        version = save_draft(conn, *args, **kwargs)
        written.append(args[2].code)
        if len(written) == KILL_AFTER:
            terminate(admin, backend_pid(conn))
        return version

    monkeypatch.setattr(entry, "save_draft", save_then_die)
    with pytest.raises(sa.exc.OperationalError) as failure:
        with pg_engine.begin() as conn:
            entry.act(conn, registry, account, IKP, 2024, "save", batch(registry))
    assert failure.value.connection_invalidated
    assert len(written) == KILL_AFTER  # ten rows were in the transaction when it died
    assert entries(pg_engine) == ([], 0)  # ... and none of them, nor their audits, stayed

    monkeypatch.setattr(entry, "save_draft", save_draft)
    with pg_engine.begin() as conn:
        assert entry.act(conn, registry, account, IKP, 2024, "save", batch(registry)) == ROWS
    rows, audits = entries(pg_engine)
    assert len(rows) == audits == ROWS and {v for _, v, _ in rows} == {1}


def test_pooled_connection_killed_while_idle_is_replaced(
        pg_engine: sa.Engine, admin: sa.Engine, registry: Registry) -> None:
    account = operator(pg_engine, registry)
    with pg_engine.connect() as conn:
        idle = backend_pid(conn)  # back in the pool after this block
    terminate(admin, idle)  # as a database restart or an idle timeout would
    with pg_engine.begin() as conn:
        assert backend_pid(conn) != idle  # the pre-ping noticed and reconnected
        assert entry.act(conn, registry, account, IKP, 2024, "save", batch(registry)) == ROWS
    assert len(entries(pg_engine)[0]) == ROWS


# --- (b) the same under the running server ---------------------------------------------

@dataclass
class Live:
    url: str
    db_url: str
    app_name: str  # the server's connections carry it as application_name
    log: Path


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, pg_ok: bool,
         registry: Registry) -> Iterator[Live]:
    var = tmp_path_factory.mktemp("faults")
    for url in _database_url("postgresql", var, pg_ok):
        engine = make_engine(url)
        prepare_database(engine, registry)
        operator(engine, registry)
        engine.dispose()
        app_name = f"mg-faults-{var.name}"[:63]
        with serve(f"{url}&application_name={app_name}", var) as server:
            yield Live(server.url, url, app_name, server.log)


def blocked_by(admin: sa.Engine, holder: int, timeout: float = 30) -> tuple[int, str]:
    """Wait until a backend waits on ``holder``'s lock; return its pid and application."""
    deadline = time.monotonic() + timeout
    with admin.connect() as conn:
        while time.monotonic() < deadline:
            row = conn.execute(sa.text(
                "select pid, application_name from pg_stat_activity"
                " where :holder = any(pg_blocking_pids(pid))"), {"holder": holder}).first()
            if row is not None:
                return int(row.pid), str(row.application_name)
            time.sleep(0.05)  # polling another process's state, with a deadline
    raise TimeoutError(f"no backend waited on {holder} within {timeout} s")


def test_server_request_whose_connection_dies_fails_and_the_next_succeeds(
        live: Live, admin: sa.Engine, registry: Registry) -> None:
    client = Client(live.url, "jabar", PASSWORD)
    assert client.sign_in().status == 302
    _, grid = client.load()
    assert grid is not None
    values = {r["code"]: r["new_value"] for r in batch(registry)}
    edited = [{**r, "new_value": values.get(r["code"])} for r in grid]
    # The 10th row's first version is held by an open transaction, so the server's write
    # waits there with nine rows already in its own transaction; then its connection dies.
    tenth = registry.children(PROVINCE)[KILL_AFTER - 1].code
    holder_engine = sa.create_engine(live.db_url)
    try:
        with holder_engine.connect() as holder, ThreadPoolExecutor(1) as pool:
            held = holder.begin()
            holder.execute(sa.insert(observation).values(
                indicator_id=IKP.id, region_code=tenth, period=2024, value=1.0,
                source_kind="entry", status="draft", version=1, source="test", provenance="test",
                recorded_by="test", recorded_at=datetime.now(UTC)))
            request = pool.submit(client.run, "save", edited, [])
            pid, app_name = blocked_by(admin, backend_pid(holder))
            assert app_name == live.app_name
            terminate(admin, pid)
            held.rollback()
            failed = request.result(timeout=60)
    finally:
        holder_engine.dispose()
    server = log_tail(live.log)
    # An error, promptly (not a hang), told to the user: nothing was saved, try again.
    assert (failed.status, failed.outcome) == (200, "error"), (failed, server)
    assert "tidak ada yang tersimpan" in failed.message
    assert failed.seconds < 30
    assert "terminating connection due to administrator command" in server
    db = sa.create_engine(live.db_url)
    try:
        assert entries(db) == ([], 0)
        retry = client.run("save", edited, [])
        assert (retry.status, retry.outcome, retry.processed) == (200, "processed", ROWS), retry
        rows, audits = entries(db)
        assert len(rows) == audits == ROWS
    finally:
        db.dispose()
        client.close()


def test_server_recovers_when_its_idle_connections_are_killed(live: Live,
                                                              admin: sa.Engine) -> None:
    client = Client(live.url, "jabar", PASSWORD)
    assert client.sign_in().status == 302
    assert client.load()[1] is not None
    with admin.connect() as conn:
        killed = conn.execute(sa.text(
            "select pg_terminate_backend(pid, 5000) from pg_stat_activity"
            " where application_name = :name and state = 'idle'"),
            {"name": live.app_name}).scalars().all()
    assert killed and all(killed)  # the server's pool kept at least one connection
    call, grid = client.load()
    assert call.status == 200 and grid is not None and len(grid) == 28, call
    client.close()


# --- (c) an error in the middle of a batch ----------------------------------------------

@pytest.mark.parametrize("where", ["between rows", "between a value and its audit"])
def test_error_mid_batch_writes_nothing(engine: sa.Engine, registry: Registry,
                                        monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    account = operator(engine, registry)
    target = "save_draft" if where == "between rows" else "audit"
    real = getattr(entry, target)
    calls: list[object] = []

    def fail_on_the_tenth(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == KILL_AFTER:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(entry, target, fail_on_the_tenth)
    with pytest.raises(RuntimeError, match="disk full"):
        with engine.begin() as conn:
            entry.act(conn, registry, account, IKP, 2024, "save", batch(registry))
    assert entries(engine) == ([], 0)
    monkeypatch.setattr(entry, target, real)
    with engine.begin() as conn:
        assert entry.act(conn, registry, account, IKP, 2024, "save", batch(registry)) == ROWS
    assert len(entries(engine)[0]) == ROWS
