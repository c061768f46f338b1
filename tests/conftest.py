"""Shared fixtures: the registry, the shared data folders, SQLite and PostgreSQL databases.

Tests that need the shared data folders (``../shared``), PostgreSQL or Chromium skip when
these are absent, unless the run requires everything (``MATA_GARUDA_TEST_REQUIRE_ALL=1``,
or ``CI`` set, as ``.ci/run`` does): then they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
import sqlalchemy as sa

from geodata.registry import Registry, load_registry
from ingest.bootstrap import prepare_database
from queries.db import make_engine
from settings import PROJECT_ROOT

SHARED = PROJECT_ROOT.parent / "shared"
PG_URL = os.environ.get("MATA_GARUDA_TEST_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_ALL = "MATA_GARUDA_TEST_REQUIRE_ALL"


def _on(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def everything_required() -> bool:
    """Return whether this run must have the shared data, PostgreSQL and Chromium."""
    return _on(REQUIRE_ALL) or _on("CI")


def unavailable(reason: str) -> NoReturn:
    """Skip the test for want of ``reason``'s resource, or fail if the run requires it."""
    if everything_required():
        pytest.fail(f"{reason} ({REQUIRE_ALL} or CI is set: this run needs it)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture(scope="session")
def published_dir() -> Path:
    path = Path(os.environ.get("MATA_GARUDA_PUBLISHED_DIR", SHARED / "data" / "published"))
    if not path.is_dir():
        unavailable(f"published figures not found at {path}")
    return path


@pytest.fixture(scope="session")
def boundaries_dir() -> Path:
    path = Path(os.environ.get("MATA_GARUDA_BOUNDARIES_DIR", SHARED / "geodata"))
    if not (path / "provinsi.parquet").exists():
        unavailable(f"boundaries not found at {path}")
    return path


def _pg_available() -> bool:
    try:
        with sa.create_engine(PG_URL).connect() as conn:
            conn.execute(sa.text("select 1"))
        return True
    except sa.exc.OperationalError:
        return False


@pytest.fixture(scope="session")
def pg_ok() -> bool:
    """Return whether PostgreSQL answers; a run that requires it fails here if not."""
    ok = _pg_available()
    if not ok and everything_required():
        unavailable(f"PostgreSQL not reachable at {PG_URL}")
    return ok


def _database_url(kind: str, tmp: Path, pg_ok: bool) -> Iterator[str]:
    """Yield a fresh, empty database: a SQLite file or a private PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'test.db'}"
        return
    if not pg_ok:
        unavailable(f"PostgreSQL not reachable at {PG_URL}")
    schema = f"mg_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, pg_ok: bool) -> Iterator[str]:
    """A fresh empty database of each kind, per test."""
    yield from _database_url(request.param, tmp_path, pg_ok)


@pytest.fixture
def engine(db_url: str, registry: Registry) -> Iterator[sa.Engine]:
    """A migrated database with regions and the catalogue, per test."""
    eng = make_engine(db_url)
    prepare_database(eng, registry)
    yield eng
    eng.dispose()


def _loaded(kind: str, tmp: Path, pg_ok: bool, registry: Registry, published_dir: Path,
            demo: bool) -> Iterator[sa.Engine]:
    from ingest.bootstrap import load_demo, load_published

    for url in _database_url(kind, tmp, pg_ok):
        eng = make_engine(url)
        prepare_database(eng, registry)
        load_published(eng, published_dir, registry, echo=lambda _msg: None)
        if demo:
            load_demo(eng, registry, echo=lambda _msg: None)
        yield eng
        eng.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                  pg_ok: bool, registry: Registry, published_dir: Path) -> Iterator[sa.Engine]:
    """A database with the published figures, shared by a module's read-only tests."""
    yield from _loaded(request.param, tmp_path_factory.mktemp("db"), pg_ok, registry,
                       published_dir, demo=False)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                pg_ok: bool, registry: Registry, published_dir: Path) -> Iterator[sa.Engine]:
    """A database with the published figures and the demo data, as `make run` makes it."""
    yield from _loaded(request.param, tmp_path_factory.mktemp("db"), pg_ok, registry,
                       published_dir, demo=True)
