"""The dashboard as deployed: the installed command, started outside the checkout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from settings import PROJECT_ROOT
from tests.live import Client, serve

COMMAND = Path(sys.executable).with_name("mata-garuda")  # what `pip install -e .` installed
USERNAME, PASSWORD = "pusat-uji", "Uji-Deploy-Dari-Luar-7"


def test_server_started_from_another_directory_serves_working_callbacks(
        tmp_path: Path) -> None:
    assert COMMAND.exists(), f"{COMMAND} missing: `pip install -e .` installs it"
    elsewhere, var = tmp_path / "elsewhere", tmp_path / "var"
    elsewhere.mkdir()
    env = {"PATH": "/usr/bin:/bin", "MATA_GARUDA_VAR_DIR": str(var),
           "MATA_GARUDA_BOUNDARIES_DIR": str(var / "none"),
           "MATA_GARUDA_PUBLISHED_DIR": str(var / "none")}
    subprocess.run([str(COMMAND), "user", "add", USERNAME, "--role", "pusat",
                    "--password-stdin"], cwd=elsewhere, env=env, input=PASSWORD.encode(),
                   check=True, capture_output=True)
    database = f"sqlite:///{var / 'mata_garuda.db'}"
    with serve(database, var, command=[str(COMMAND)], cwd=elsewhere) as server:
        client = Client(server.url, USERNAME, PASSWORD)
        try:
            assert client.sign_in().status == 302
            page = client.http.get(server.url + "/isian", timeout=60)
            assert page.status_code == 200 and "/assets/csrf.js" in page.text
            for asset in ("csrf.js", "map.js", "style.css"):
                response = client.http.get(f"{server.url}/assets/{asset}", timeout=60)
                assert response.status_code == 200, asset
            call, rows = client.load()  # a Dash callback, with the CSRF header csrf.js sets
            assert call.status == 200, call.message
            assert rows is not None and {row["code"] for row in rows} >= {"32", "91"}
        finally:
            client.close()
    assert sorted(p.name for p in elsewhere.iterdir()) == []  # no state in the working dir
    assert (var / "mata_garuda.db").is_file() and (var / "secret_key").is_file()


def test_default_var_dir_is_the_checkout_or_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import settings

    assert settings.Settings().var_dir == PROJECT_ROOT / "var"
    monkeypatch.setattr(settings, "PROJECT_ROOT", tmp_path / "site-packages")
    monkeypatch.chdir(tmp_path)
    assert settings.Settings().var_dir == tmp_path / "var"  # never inside site-packages


def test_pyproject_declares_every_module_and_asset() -> None:
    """A module or asset missing from pyproject.toml would be missing from a wheel."""
    import tomllib

    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"] == {"": "."}  # a plain .pth editable install, no warning
    tracked = [Path(f) for f in subprocess.run(
        ["git", "ls-files"], cwd=PROJECT_ROOT, check=True, capture_output=True,
        text=True).stdout.splitlines()]
    shipped = [f for f in tracked if f.parts[0] not in ("tests", "benchmarks", ".ci")]
    code = [f for f in shipped if f.suffix == ".py"]
    assert set(config["py-modules"]) == {f.stem for f in code if len(f.parts) == 1}
    packages = {".".join(f.parts[:-1]) for f in code if len(f.parts) > 1}
    assert set(config["packages"]) == packages | {"assets"}
    data = config["package-data"]
    for folder in {f.parent for f in shipped if f.parts[0] in config["packages"]
                   and f.suffix != ".py"}:
        files = {f.name for f in shipped if f.parent == folder and f.suffix != ".py"}
        declared = {p.name for pattern in data.get(str(folder), ())
                    for p in (PROJECT_ROOT / folder).glob(pattern)}
        assert files == declared, f"{folder}: undeclared {sorted(files - declared)}"
