"""Settings from the environment, and the README documenting every setting and command."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from queries.db import make_engine
from settings import PROJECT_ROOT, Settings, SettingsError, help_texts
from tests.conftest import REQUIRE_ALL


def test_defaults() -> None:
    s = Settings.from_env({})
    assert s.db_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'mata_garuda.db'}"
    assert s.port == 8050
    assert s.language == "id"


def test_environment_values(tmp_path: Path) -> None:
    s = Settings.from_env({
        "MATA_GARUDA_PORT": "9000", "MATA_GARUDA_LANGUAGE": "en",
        "MATA_GARUDA_DATABASE_URL": "postgresql+psycopg://u@h/db",
        "MATA_GARUDA_BOUNDARIES_DIR": str(tmp_path),
    })
    assert (s.port, s.language, s.db_url, s.boundaries_dir) == (
        9000, "en", "postgresql+psycopg://u@h/db", tmp_path)


@pytest.mark.parametrize(("env", "shown"), [
    ({}, True),  # development, as `make run` starts it
    ({"MATA_GARUDA_ENV": "production"}, False),
    ({"MATA_GARUDA_ENV": "production", "MATA_GARUDA_DEMO": "true"}, True),
    ({"MATA_GARUDA_DEMO": "false"}, False),
    ({"MATA_GARUDA_DEMO": "0"}, False),
])
def test_simulated_values_are_shown_in_development_only_unless_set(env: dict[str, str],
                                                                   shown: bool) -> None:
    key = {"MATA_GARUDA_SECRET_KEY": secrets.token_hex(32)}
    assert Settings.from_env({**key, **env}).show_simulated is shown


@pytest.mark.parametrize(("env", "message"), [
    ({"MATA_GARUDA_DEMO": "maybe"}, "MATA_GARUDA_DEMO must be true or false, got 'maybe'"),
    ({"MATA_GARUDA_PORT": "80x"}, "MATA_GARUDA_PORT must be a port number"),
    ({"MATA_GARUDA_LANGUAGE": "fr"}, "MATA_GARUDA_LANGUAGE must be id or en"),
    ({"MATA_GARUDA_ENV": "production"}, "MATA_GARUDA_SECRET_KEY is required"),
    ({"MATA_GARUDA_ENV": "staging"}, "MATA_GARUDA_ENV must be development or production"),
])
def test_bad_values_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


@pytest.mark.parametrize("key", [
    "x", "a" * 64, "secret" * 8, "0123456789abcdef" * 2, "Passw0rd!Passw0rd!Passw0rd!Passw0rd!",
    "9f86d081884c7d659a2feaa0c55ad015",  # 16 random bytes: half of what is needed
])
def test_production_refuses_a_weak_secret_key(key: str) -> None:
    with pytest.raises(SettingsError, match="32 random bytes.*token_hex"):
        Settings.from_env({"MATA_GARUDA_ENV": "production", "MATA_GARUDA_SECRET_KEY": key})


@pytest.mark.parametrize("key", [secrets.token_hex(32), secrets.token_urlsafe(32),
                                 secrets.token_urlsafe(48)], ids=["hex", "base64", "longer"])
def test_production_accepts_a_random_secret_key(key: str) -> None:
    settings = Settings.from_env({"MATA_GARUDA_ENV": "production",
                                  "MATA_GARUDA_SECRET_KEY": key})
    assert settings.resolved_secret_key() == key


def test_var_dir_and_its_files_are_private(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)  # as an older version left it
    (var / "secret_key").write_text(secrets.token_hex(32))
    (var / "secret_key").chmod(0o644)
    settings = Settings.from_env({"MATA_GARUDA_VAR_DIR": str(var)})
    settings.prepare_var_dir()
    assert var.stat().st_mode & 0o777 == 0o700
    assert (var / "secret_key").stat().st_mode & 0o777 == 0o600
    engine = make_engine(settings.db_url)
    with engine.connect() as conn:
        conn.exec_driver_sql("create table t (x int)")
        conn.commit()
    engine.dispose()
    assert (var / "mata_garuda.db").stat().st_mode & 0o777 == 0o600


def test_new_var_dir_is_private(tmp_path: Path) -> None:
    settings = Settings.from_env({"MATA_GARUDA_VAR_DIR": str(tmp_path / "new" / "var")})
    settings.resolved_secret_key()
    assert (tmp_path / "new" / "var").stat().st_mode & 0o777 == 0o700


def test_secret_key_is_generated_once(tmp_path: Path) -> None:
    s = Settings.from_env({"MATA_GARUDA_VAR_DIR": str(tmp_path)})
    key = s.resolved_secret_key()
    assert len(key) == 64
    assert s.resolved_secret_key() == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_readme_documents_every_setting_and_command() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    for name in help_texts():
        assert f"`{name}`" in readme, f"README does not document {name}"
    documented = set(re.findall(r"mata-garuda ([a-z]+(?: [a-z][a-z-]*)?)", readme))
    runner = CliRunner()
    for command in documented:
        result = runner.invoke(main, [*command.split(), "--help"])
        assert result.exit_code == 0, f"`mata-garuda {command}` in README fails: {result.output}"
    for command in ("serve", "db upgrade", "geodata import", "data import", "demo"):
        assert f"mata-garuda {command}" in readme
    assert "make run" in readme and "make test" in readme


def test_files_a_command_writes_are_private(tmp_path: Path) -> None:
    env = {"MATA_GARUDA_VAR_DIR": str(tmp_path / "var")}
    umask = os.umask(0o022)  # the command sets its own; give the test process its own back
    try:
        for command in (["db", "upgrade"], ["db", "backup", str(tmp_path / "b.zip")]):
            result = CliRunner().invoke(main, command, env=env)
            assert result.exit_code == 0, result.output
    finally:
        os.umask(umask)
    assert (tmp_path / "b.zip").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "var" / "mata_garuda.db").stat().st_mode & 0o777 == 0o600


def test_readme_and_ci_name_the_test_switches() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert f"`{REQUIRE_ALL}=1`" in readme and "`MATA_GARUDA_TEST_PG_URL`" in readme
    assert f"export {REQUIRE_ALL}=1" in (PROJECT_ROOT / ".ci" / "run").read_text()


def test_lake_dir_defaults_to_var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(var_dir=tmp_path).lake_dir == tmp_path / "lake"
    assert Settings.from_env({"MATA_GARUDA_VAR_DIR": str(tmp_path)}).lake_dir == tmp_path / "lake"
    given = Settings.from_env({"MATA_GARUDA_VAR_DIR": str(tmp_path),
                               "MATA_GARUDA_LAKE_DIR": str(tmp_path / "big")})
    assert given.lake_dir == tmp_path / "big"
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({"MATA_GARUDA_LAKE_DIR": "."}).lake_dir == tmp_path
