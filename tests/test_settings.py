"""Settings from the environment, and the README documenting every setting and command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
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


@pytest.mark.parametrize(("env", "message"), [
    ({"MATA_GARUDA_PORT": "80x"}, "MATA_GARUDA_PORT must be a port number"),
    ({"MATA_GARUDA_LANGUAGE": "fr"}, "MATA_GARUDA_LANGUAGE must be id or en"),
    ({"MATA_GARUDA_ENV": "production"}, "MATA_GARUDA_SECRET_KEY is required"),
    ({"MATA_GARUDA_ENV": "staging"}, "MATA_GARUDA_ENV must be development or production"),
])
def test_bad_values_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


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


def test_readme_and_ci_name_the_test_switches() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert f"`{REQUIRE_ALL}=1`" in readme and "`MATA_GARUDA_TEST_PG_URL`" in readme
    assert f"export {REQUIRE_ALL}=1" in (PROJECT_ROOT / ".ci" / "run").read_text()
