"""The audit log is hash-chained: a changed, inserted or removed entry is found (finding 12)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from auth.audit import audit, verify_chain
from queries.schema import audit_head, audit_log


def _fill(engine: sa.Engine, n: int = 6) -> list[int]:
    with engine.begin() as conn:
        for i in range(n):
            audit(conn, f"user{i}", "entry.save", f"32.0{i}", f"reason \x01 {i}", "10.0.0.1")
        return list(conn.scalars(sa.select(audit_log.c.id).order_by(audit_log.c.id)))


def _verify(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return verify_chain(conn, batch=4).problem  # batches of 4 cross a boundary


def test_an_intact_log_verifies(engine: sa.Engine) -> None:
    _fill(engine)
    with engine.connect() as conn:
        report = verify_chain(conn, batch=4)
    assert report.intact and report.entries == 6 and len(report.head) == 64


@pytest.mark.parametrize("change", [
    {"detail": "reason changed"}, {"username": "someone-else"}, {"action": "entry.verify"},
    {"target": "32.99"}, {"remote_addr": "10.6.6.6"},
    {"at": datetime(2020, 1, 1, tzinfo=UTC)}])
def test_a_changed_entry_is_named(engine: sa.Engine, change: dict[str, object]) -> None:
    ids = _fill(engine)
    with engine.begin() as conn:
        conn.execute(sa.update(audit_log).where(audit_log.c.id == ids[4]).values(**change))
    assert f"entry {ids[4]} " in _verify(engine)


def test_a_removed_or_inserted_entry_is_found(engine: sa.Engine) -> None:
    ids = _fill(engine)
    with engine.begin() as conn:
        row = conn.execute(sa.select(audit_log).where(audit_log.c.id == ids[2])).mappings().one()
        conn.execute(sa.delete(audit_log).where(audit_log.c.id == ids[2]))
    assert f"entry {ids[3]} " in _verify(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(audit_log).values(**row))  # put back: intact again
    assert _verify(engine) == ""
    with engine.begin() as conn:
        conn.execute(sa.insert(audit_log).values(**{**row, "id": ids[-1] + 10}))
    assert f"entry {ids[-1] + 10} " in _verify(engine)


def test_removing_the_newest_entries_is_found(engine: sa.Engine) -> None:
    ids = _fill(engine)
    with engine.begin() as conn:
        conn.execute(sa.delete(audit_log).where(audit_log.c.id >= ids[-2]))
    assert "the newest entries were removed" in _verify(engine)
    with engine.begin() as conn:
        conn.execute(sa.delete(audit_head))
    assert "no head" in _verify(engine)


def test_concurrent_appends_keep_one_chain(engine: sa.Engine) -> None:
    """Eight writers at once: appends are serialised, none chains onto a stale head."""
    errors: list[BaseException] = []
    with engine.connect() as conn:
        before = verify_chain(conn).entries

    def write(n: int) -> None:
        try:
            for i in range(10):
                with engine.begin() as conn:
                    audit(conn, f"w{n}", "entry.save", str(i))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        report = verify_chain(conn)
    assert report.intact, report.problem
    assert report.entries == before + 80


def test_audit_verify_command_fails_on_a_broken_log(tmp_path, registry) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from cli import main
    from ingest.bootstrap import prepare_database
    from queries.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'mata_garuda.db'}")
    prepare_database(engine, registry)
    ids = _fill(engine)
    env = {"MATA_GARUDA_VAR_DIR": str(tmp_path), "MATA_GARUDA_PUBLISHED_DIR": str(tmp_path)}
    assert CliRunner().invoke(main, ["audit", "verify"], env=env).exit_code == 0
    with engine.begin() as conn:
        conn.execute(sa.update(audit_log).where(audit_log.c.id == ids[1]).values(detail="x"))
    broken = CliRunner().invoke(main, ["audit", "verify"], env=env)
    assert broken.exit_code == 1 and f"BROKEN: entry {ids[1]} (entry.save" in broken.output
