"""The lake on disk: immutable Parquet files and the manifest that names the live ones.

Layout under the root (setting ``lake_dir``)::

    manifest.json                                   the live snapshot
    data/stream=<s>/year=<YYYY>/prov=<PP>/<snapshot>-<n>.parquet
    quarantine/<stream>/<snapshot>-<file stem>.csv  rows an ingest refused, with the reason

A data file is never changed once written. :meth:`Lake.commit` writes the new files of the
partitions it replaces, then replaces ``manifest.json`` atomically (temporary file, fsync,
``os.replace``, fsync of the directory). Readers take the file list from the manifest,
never from the directory: a crash before the replace leaves the previous snapshot, whole,
and its new files as orphans that :func:`vacuum` removes.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from lake.streams import STREAMS

MANIFEST = "manifest.json"
ROW_GROUP_ROWS = 128 * 1024
FORMAT = 1  # manifest format version

Partition = tuple[int, str]
"""A partition of a stream: (year of ``date``, province code = first 2 digits of the region)."""


class LakeError(RuntimeError):
    """The lake cannot do what was asked (a concurrent commit, an unreadable manifest)."""


@dataclass(frozen=True)
class DataFile:
    """One live data file: its path relative to the root, partition, rows and size."""

    path: str
    year: int
    prov: str
    rows: int
    bytes: int


@dataclass(frozen=True)
class Source:
    """One ingested input file, kept so that the same file again changes nothing."""

    stream: str
    name: str
    sha256: str
    snapshot: int
    rows_read: int
    stored: int
    replaced: int
    quarantined: int
    at: str  # ISO timestamp, UTC
    quarantine: str | None = None  # the quarantine file, relative to the root


@dataclass(frozen=True)
class Snapshot:
    """The lake as one manifest describes it; ``id`` 0 is the empty lake."""

    id: int = 0
    files: dict[str, tuple[DataFile, ...]] = field(default_factory=dict)
    sources: tuple[Source, ...] = ()

    def stream_files(self, stream: str) -> tuple[DataFile, ...]:
        """Return the live files of ``stream``."""
        return self.files.get(stream, ())

    def to_json(self) -> dict[str, Any]:
        """Return the manifest document."""
        return {"format": FORMAT, "snapshot": self.id,
                "files": {s: [asdict(f) for f in fs] for s, fs in sorted(self.files.items())},
                "sources": [asdict(s) for s in self.sources]}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Snapshot:
        """Read a manifest document."""
        return cls(id=int(doc["snapshot"]),
                   files={s: tuple(DataFile(**f) for f in fs) for s, fs in doc["files"].items()},
                   sources=tuple(Source(**s) for s in doc["sources"]))


def partition_dir(stream: str, year: int, prov: str) -> str:
    """Return the directory of a partition, relative to the lake root."""
    return f"data/stream={stream}/year={year:04d}/prov={prov}"


def _check_stream(stream: str) -> None:
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}; expected one of {', '.join(STREAMS)}")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace(tmp: Path, target: Path) -> None:
    """Move ``tmp`` over ``target`` atomically and make the rename durable."""
    os.replace(tmp, target)
    _fsync_dir(target.parent)


def write_atomically(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data``: readers see the old content or the new, whole."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    _replace(tmp, target)


class Lake:
    """A lake rooted at a directory (created on the first commit).

    Parameters
    ----------
    root
        The lake directory (setting ``lake_dir``).
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def manifest_path(self) -> Path:
        """Path of ``manifest.json``."""
        return self.root / MANIFEST

    def snapshot(self) -> Snapshot:
        """Return the live snapshot (``id`` 0 when nothing was ever committed)."""
        try:
            text = self.manifest_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Snapshot()
        try:
            return Snapshot.from_json(json.loads(text))
        except (ValueError, KeyError, TypeError) as exc:
            raise LakeError(f"unreadable lake manifest {self.manifest_path}: {exc}") from exc

    def files(self, stream: str, *, years: Iterable[int] | None = None,
              provs: Iterable[str] | None = None,
              snapshot: Snapshot | None = None) -> list[Path]:
        """Return the absolute paths of the live files of ``stream``, optionally filtered.

        Parameters
        ----------
        stream
            A name in :data:`lake.streams.STREAMS`.
        years, provs
            Keep only these partitions (years of ``date``; 2-digit province codes).
        snapshot
            Read this snapshot instead of the live one.
        """
        _check_stream(stream)
        snap = snapshot or self.snapshot()
        year_set = None if years is None else {int(y) for y in years}
        prov_set = None if provs is None else set(provs)
        return [self.root / f.path for f in snap.stream_files(stream)
                if (year_set is None or f.year in year_set)
                and (prov_set is None or f.prov in prov_set)]

    def scan(self, stream: str, *, years: Iterable[int] | None = None,
             provs: Iterable[str] | None = None,
             snapshot: Snapshot | None = None) -> pl.LazyFrame:
        """Return the records of ``stream`` with exactly ``STREAMS[stream].schema``.

        The files are the manifest's, never a glob of the directory; with no file, an
        empty frame of that schema.
        """
        paths = self.files(stream, years=years, provs=provs, snapshot=snapshot)
        schema = STREAMS[stream].schema
        if not paths:
            return pl.LazyFrame(schema=schema)
        return pl.scan_parquet(paths, schema=schema)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the lake's writer lock (one commit at a time, across processes)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def commit(self, stream: str,
               partitions: Mapping[Partition, pl.DataFrame | pl.LazyFrame], *,
               base: Snapshot, sources: Iterable[Source] = ()) -> Snapshot:
        """Replace whole partitions of ``stream`` and publish the result as a new snapshot.

        Parameters
        ----------
        stream
            The stream written.
        partitions
            The complete new content of each partition replaced (an empty frame removes
            the partition). Frames hold the stream's columns, in any order; lazy frames are
            collected one partition at a time.
        base
            The snapshot the new content was computed from; if another commit happened
            since, nothing is published and :class:`LakeError` is raised.
        sources
            Input files to record with the new snapshot (their ``snapshot`` is set to it).

        Returns
        -------
        Snapshot
            The new live snapshot, ``base.id + 1``.
        """
        _check_stream(stream)
        schema = STREAMS[stream].schema
        new_id = base.id + 1
        with self._locked():
            if self.snapshot().id != base.id:
                raise LakeError(f"the lake changed while {stream} was being ingested (snapshot"
                                f" {base.id} is no longer live); run the ingest again")
            kept = [f for f in base.stream_files(stream) if (f.year, f.prov) not in partitions]
            written = []
            for n, (key, frame) in enumerate(sorted(partitions.items())):
                rows = frame.lazy().select(schema.names()).cast(schema).collect()
                if rows.height:
                    written.append(self._write(stream, key, rows, new_id, n))
            files = dict(base.files)
            files[stream] = tuple(sorted(kept + written, key=lambda f: (f.year, f.prov, f.path)))
            recorded = tuple(Source(**{**asdict(s), "snapshot": new_id}) for s in sources)
            snap = Snapshot(id=new_id, files=files, sources=base.sources + recorded)
            self._publish(snap)
        return snap

    def _write(self, stream: str, key: Partition, frame: pl.DataFrame, snapshot: int,
               n: int) -> DataFile:
        year, prov = key
        rel = f"{partition_dir(stream, year, prov)}/{snapshot}-{n}.parquet"
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path, compression="zstd", row_group_size=ROW_GROUP_ROWS)
        with open(path, "rb") as written:
            os.fsync(written.fileno())
        return DataFile(path=rel, year=year, prov=prov, rows=frame.height,
                        bytes=path.stat().st_size)

    def _publish(self, snap: Snapshot) -> None:
        """Make ``snap`` the live snapshot (the one moment a commit takes effect)."""
        data = json.dumps(snap.to_json(), indent=1, ensure_ascii=False).encode()
        write_atomically(self.manifest_path, data)


def vacuum(lake: Lake) -> list[Path]:
    """Delete data files the manifest does not name, and leftovers of crashed writes.

    Those are orphans of an ingest that crashed before publishing (or files a later
    commit replaced), temporary manifests, staging folders of processes no longer running,
    and quarantine files no ingest of the manifest names. It holds the writer lock, so it
    never removes a commit's files in flight; run it when no ingest is running, as an
    ingest writes its quarantine file before it commits. A reader still scanning an older
    snapshot may find its files gone.

    Returns
    -------
    list of Path
        The files removed.
    """
    removed: list[Path] = []
    if not lake.root.is_dir():
        return removed
    with lake._locked():
        snap = lake.snapshot()
        live = {lake.root / f.path for fs in snap.files.values() for f in fs}
        live |= {lake.root / s.quarantine for s in snap.sources if s.quarantine}
        candidates = [p for p in (lake.root / "data").rglob("*") if p.is_file()]
        candidates += list(lake.root.glob(f".{MANIFEST}.*.tmp"))
        candidates += list((lake.root / "quarantine").rglob("*.csv"))
        for path in candidates:
            if path not in live:
                path.unlink()
                removed.append(path)
        for staging in (lake.root / "staging").glob("*"):
            if not _running(int(staging.name.split("-", 1)[0])):
                removed += [p for p in staging.rglob("*") if p.is_file()]
                shutil.rmtree(staging)
        for folder in sorted((lake.root / "data").rglob("*"), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class StreamStatus:
    """Summary of one stream in the live snapshot."""

    stream: str
    files: int
    rows: int
    partitions: int
    years: tuple[int, ...]
    bytes: int
    last_sources: tuple[Source, ...]


def status(lake: Lake, last: int = 3) -> tuple[int, list[StreamStatus]]:
    """Return the live snapshot id and a summary per stream (with its ``last`` ingests)."""
    snap = lake.snapshot()
    out = []
    for name in STREAMS:
        fs = snap.stream_files(name)
        out.append(StreamStatus(
            stream=name, files=len(fs), rows=sum(f.rows for f in fs),
            partitions=len({(f.year, f.prov) for f in fs}),
            years=tuple(sorted({f.year for f in fs})), bytes=sum(f.bytes for f in fs),
            last_sources=tuple(s for s in snap.sources if s.stream == name)[-last:]))
    return snap.id, out
