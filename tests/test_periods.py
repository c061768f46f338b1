"""Periods come from the data: every imported year is reachable, in a running server too."""

from __future__ import annotations

import csv
import io
import os
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from settings import PROJECT_ROOT
from tests.live import CLI, Client, serve

USERNAME, PASSWORD = "pusat-uji", "Uji-Periode-Dari-Data-7"


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> str:
    done = subprocess.run([*CLI, *args], cwd=PROJECT_ROOT, env=env, input=stdin.encode(),
                          capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout.decode() + done.stderr.decode()


def _export(client: Client, query: str) -> tuple[int, list[dict[str, str]]]:
    response = client.http.get(f"{client.base}/ekspor/peta.csv?{query}", timeout=60)
    if response.status_code != 200:
        return response.status_code, []
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return 200, [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_every_published_row_is_in_the_map_export_of_a_running_server(
        tmp_path: Path, published_dir: Path) -> None:
    """Held-out check: import ../shared/data/published into a running server, walk all rows."""
    env = {**os.environ, "MATA_GARUDA_VAR_DIR": str(tmp_path),
           "MATA_GARUDA_DATABASE_URL": f"sqlite:///{tmp_path / 'mata_garuda.db'}",
           "MATA_GARUDA_BOUNDARIES_DIR": str(tmp_path / "none"),
           "MATA_GARUDA_PUBLISHED_DIR": str(tmp_path / "none")}
    _cli(env, "user", "add", USERNAME, "--role", "pusat", "--password-stdin", stdin=PASSWORD)
    files = sorted(published_dir.glob("*.csv"))  # the targets too, which no map shows
    published = [row for path in files if not path.name.startswith("targets")
                 for row in csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines())]
    assert len(published) > 250 and {r["indicator"] for r in published} >= {"idi", "ikp"}
    with serve(env["MATA_GARUDA_DATABASE_URL"], tmp_path) as server:
        client = Client(server.url, USERNAME, PASSWORD)
        try:
            assert client.sign_in().status == 302
            assert _export(client, "indikator=idi&tahun=2012")[0] == 400  # nothing yet
            out = _cli(env, "data", "import", *map(str, files))
            assert f"idi.csv: {sum(r['indicator'] == 'idi' for r in published)} rows:" in out

            # The running server shows the new years at once: the issue's own example.
            status, rows = _export(client, "indikator=idi&tahun=2012")
            assert status == 200
            assert rows[0]["Kode"] == "ID" and rows[0]["Nilai"] == "62.63"
            # The 34 provinces of 2012 (before the 2022 Papua split), none with a value.
            assert len(rows) == 1 + 34 and all(r["Nilai"] == "" for r in rows[1:])

            views: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
            for row in published:
                parent = "ID" if row["level"] in ("nasional", "provinsi") else (
                    row["code"].rsplit(".", 1)[0])
                views[row["indicator"], row["year"], parent].append(row)
            checked = 0
            for (indikator, tahun, kode), expected in sorted(views.items()):
                query = f"indikator={indikator}&tahun={tahun}&kode={kode}"
                status, rows = _export(client, query)
                assert status == 200, query
                shown = {r["Kode"]: r for r in rows}
                for row in expected:
                    got = shown[row["code"] or "ID"]
                    assert float(got["Nilai"]) == pytest.approx(float(row["value"])), (
                        query, row)
                    assert got["Simulasi"] == "Tidak" and got["Tahun"] == tahun
                    assert got["Tautan sumber"] == row["source_url"]
                    checked += 1
            assert checked == len(published)
        finally:
            client.close()
