"""The lake store: snapshots, manifest replaced atomically, a crashed ingest, vacuum."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import lake.store as store
from cli import main
from geodata.registry import load_registry
from lake.ingest import ingest
from lake.store import Lake, LakeError, status, vacuum
from lake.streams import STREAMS
from settings import PROJECT_ROOT


def media(ids: list[str], region: str = "32.73.01", day: date = date(2024, 5, 1)) -> pl.DataFrame:
    """Media rows with the given ids, all in one partition."""
    return pl.DataFrame({"mention_id": ids, "date": [day] * len(ids),
                         "region_code": [region] * len(ids), "topic": ["pilkada"] * len(ids),
                         "tone": [0] * len(ids), "simulated": [False] * len(ids)})


def test_empty_lake_scans_as_empty_frames_of_each_schema(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    assert lake.snapshot().id == 0
    for name, spec in STREAMS.items():
        frame = lake.scan(name).collect()
        assert frame.height == 0 and frame.schema == spec.schema
    with pytest.raises(ValueError, match="unknown stream 'tpss'"):
        lake.files("tpss")


def test_commit_writes_partition_files_and_scan_reads_the_manifest(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    first = lake.commit("media", {(2024, "32"): media(["a", "b"]),
                                  (2023, "31"): media(["c"], "31.71", date(2023, 1, 2))},
                        base=lake.snapshot())
    assert first.id == 1
    assert sorted(p.relative_to(tmp_path).as_posix() for p in lake.files("media")) == [
        "data/stream=media/year=2023/prov=31/1-0.parquet",
        "data/stream=media/year=2024/prov=32/1-1.parquet"]
    assert lake.scan("media").collect().schema == STREAMS["media"].schema
    assert lake.scan("media", years=[2024]).collect()["mention_id"].sort().to_list() == ["a", "b"]
    assert lake.scan("media", provs=["31"]).collect()["mention_id"].to_list() == ["c"]
    assert lake.files("media", years=[2024], provs=["31"]) == []
    # A file no manifest names is never read, even inside a live partition.
    media(["stray"]).write_parquet(tmp_path / "data/stream=media/year=2024/prov=32/9-0.parquet")
    assert lake.scan("media").collect().height == 3

    second = lake.commit("media", {(2024, "32"): media(["a2"])}, base=first)
    assert second.id == 2
    assert lake.scan("media").collect()["mention_id"].sort().to_list() == ["a2", "c"]
    assert (tmp_path / "data/stream=media/year=2024/prov=32/1-1.parquet").exists()
    removed = vacuum(lake)
    assert sorted(p.name for p in removed) == ["1-1.parquet", "9-0.parquet"]
    assert lake.scan("media").collect()["mention_id"].sort().to_list() == ["a2", "c"]
    # An empty frame removes the partition.
    lake.commit("media", {(2023, "31"): media([])}, base=second)
    assert lake.scan("media").collect()["mention_id"].to_list() == ["a2"]
    snapshot, streams = status(lake)
    assert snapshot == 3
    assert [(s.stream, s.files, s.rows, s.years) for s in streams if s.files] == [
        ("media", 1, 1, (2024,))]


def test_commit_on_a_stale_snapshot_is_refused(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    base = lake.snapshot()
    lake.commit("media", {(2024, "32"): media(["a"])}, base=base)
    with pytest.raises(LakeError, match="changed while media"):
        lake.commit("media", {(2024, "32"): media(["b"])}, base=base)
    assert lake.scan("media").collect()["mention_id"].to_list() == ["a"]


def test_manifest_is_replaced_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lake = Lake(tmp_path)
    lake.commit("media", {(2024, "32"): media(["a"])}, base=lake.snapshot())
    before = lake.manifest_path.read_bytes()
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)

    def crash(tmp: Path, target: Path) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(store, "_replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        lake.commit("media", {(2024, "32"): media(["b"])}, base=lake.snapshot())
    # The new manifest was written and synced in full, but never replaced the old one.
    assert lake.manifest_path.read_bytes() == before
    assert lake.scan("media").collect()["mention_id"].to_list() == ["a"]
    tmp = [Path(p) for p in synced if p.endswith(".tmp")]
    assert tmp and json.loads(tmp[0].read_text())["snapshot"] == 2
    assert tmp[0] in vacuum(lake) and not tmp[0].exists()

    monkeypatch.undo()
    monkeypatch.setattr(os, "fsync", fsync)
    synced.clear()
    lake.commit("media", {(2024, "32"): media(["c"])}, base=lake.snapshot())
    assert lake.snapshot().id == 2
    # The data file, the new manifest and the directory holding it are all synced.
    assert any(p.endswith("/2-0.parquet") for p in synced)
    assert any(p.endswith(".tmp") for p in synced)
    assert str(tmp_path) in synced
    assert not list(tmp_path.glob(".manifest.json.*"))


CRASHING_INGEST = """
import sys
from pathlib import Path

import lake.store
from geodata.registry import load_registry
from lake.ingest import ingest

def hang(tmp, target):
    print("publishing", flush=True)
    sys.stdin.read()  # wait here until killed

lake.store._replace = hang
ingest(lake.store.Lake(Path(sys.argv[1])), "media", [Path(sys.argv[2])],
       registry=load_registry(include_desa=True))
"""


def test_kill_9_during_an_ingest_leaves_the_previous_snapshot(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    old = tmp_path / "old.csv"
    old.write_text("mention_id,date,region_code,topic,tone\n"
                   "m1,2024-05-01,32.73.01,pilkada,1\nm2,2024-05-01,32.73.02,pilkada,0\n")
    new = tmp_path / "new.csv"
    new.write_text("mention_id,date,region_code,topic,tone\n"
                   "m1,2024-05-01,32.73.01,pilkada,-1\nm3,2025-01-01,31.71,banjir,0\n"
                   "m4,2025-01-01,99.99,banjir,0\n")
    assert ingest(lake, "media", [old], registry=load_registry(include_desa=True)).snapshot == 1
    before = lake.scan("media").collect().sort("mention_id")

    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CRASHING_INGEST),
                             str(lake.root), str(new)], cwd=PROJECT_ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    watchdog = threading.Timer(120, proc.kill)  # a hung child fails the test, never blocks it
    watchdog.start()
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "publishing\n"  # every new file is written now
    finally:
        watchdog.cancel()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    assert lake.snapshot().id == 1
    assert lake.scan("media").collect().sort("mention_id").equals(before)
    orphans = {p for p in (lake.root / "data").rglob("*.parquet")} - set(lake.files("media"))
    assert {p.name for p in orphans} == {"2-0.parquet", "2-1.parquet"}
    assert list((lake.root / "quarantine" / "media").glob("2-new.csv"))
    assert list((lake.root / "staging").iterdir())

    removed = set(vacuum(lake))
    assert orphans <= removed
    assert lake.root / "quarantine" / "media" / "2-new.csv" in removed
    assert not list((lake.root / "staging").iterdir())
    assert set((lake.root / "data").rglob("*.parquet")) == set(lake.files("media"))
    assert lake.scan("media").collect().sort("mention_id").equals(before)


def test_lake_commands(tmp_path: Path) -> None:
    env = {"MATA_GARUDA_LAKE_DIR": str(tmp_path / "lake")}
    lake = Lake(tmp_path / "lake")
    lake.commit("media", {(2024, "32"): media(["a", "b"])}, base=lake.snapshot())
    result = CliRunner().invoke(main, ["lake", "status"], env=env)
    assert result.exit_code == 0, result.output
    assert "snapshot 1" in result.output
    assert any(line.split()[:2] == ["media", "2"] for line in result.output.splitlines())
    (tmp_path / "lake" / "data" / "stream=media" / "orphan.parquet").write_bytes(b"x")
    result = CliRunner().invoke(main, ["lake", "vacuum"], env=env)
    assert result.exit_code == 0 and "1 file(s) removed" in result.output
    for command in ("status", "ingest", "vacuum"):
        result = CliRunner().invoke(main, ["lake", command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
