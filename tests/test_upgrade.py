"""Old code against a database that a newer version has upgraded stops with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from app import create_app
from cli import main
from queries.db import SchemaTooNewError, head_revision, make_engine, upgrade
from settings import Settings

FUTURE = "0099_from_a_newer_version"


def _upgraded_by_a_newer_version(url: str) -> str:
    engine = make_engine(url)
    upgrade(engine)
    head = head_revision(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("update alembic_version set version_num = :v"), {"v": FUTURE})
    engine.dispose()
    assert head is not None
    return head


def test_commands_name_both_revisions(db_url: str) -> None:
    head = _upgraded_by_a_newer_version(db_url)
    for command in (["db", "upgrade"], ["db", "backup", "unused.zip"], ["user", "list"],
                    ["serve", "--no-demo"]):
        result = CliRunner().invoke(main, command, env={"MATA_GARUDA_DATABASE_URL": db_url})
        assert result.exit_code == 1, (command, result.output)
        assert f"schema revision {FUTURE}" in result.output and f"its newest is {head}" in (
            result.output), command
        assert "Traceback" not in result.output


def test_the_server_does_not_start(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, boundaries_dir=tmp_path / "none")
    _upgraded_by_a_newer_version(settings.db_url)
    with pytest.raises(SchemaTooNewError, match=f"revision {FUTURE}.*restoring the backup"):
        create_app(settings)
