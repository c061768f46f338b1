"""Database engine and schema upgrades (Alembic) for SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout.

    A SQLite file (and its parent directory, when missing) is readable by the owner only:
    it holds password hashes and every office's data. SQLite gives its ``-wal`` and
    ``-shm`` files the same mode.
    """
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.chmod(0o600)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(engine: Engine) -> Config:
    """Return an Alembic config whose migrations run on ``engine``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


class SchemaTooNewError(RuntimeError):
    """The database was upgraded by a newer version of the code than this one."""


def check_not_newer(engine: Engine) -> None:
    """Refuse a database whose schema revision this code does not know.

    Raises
    ------
    SchemaTooNewError
        Naming the database's revision and the newest one the code knows, and what to do.
    """
    current = current_revision(engine)
    if current is None:
        return
    script = ScriptDirectory.from_config(alembic_config(engine))
    known = {rev.revision for rev in script.walk_revisions()}
    if current not in known:
        raise SchemaTooNewError(
            f"the database is at schema revision {current}, which this version of Mata Garuda"
            f" does not know (its newest is {script.get_current_head()}): a newer version"
            " upgraded it. Run that newer version, or roll back by restoring the backup taken"
            " before the upgrade into an empty database (README: Upgrades and rollback).")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the schema to ``revision`` (idempotent).

    Raises
    ------
    SchemaTooNewError
        If a newer version of the code has already upgraded the database.
    """
    check_not_newer(engine)
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """Return the schema revision of the database, or None when it was never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    """Return the newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
