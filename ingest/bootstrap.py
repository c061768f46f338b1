"""First-run set-up: schema, registry, catalogue, published figures and demo data.

Every step is idempotent. What has been loaded is recorded in ``dataset_load`` with a
fingerprint (file hash; for the demo its generator version, seed and the published values
it was conditioned on), so a second start skips it in milliseconds.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Engine, insert, select, update

from auth.accounts import add_account
from geodata.registry import Registry, load_registry
from ingest.aggregates import refresh
from ingest.demo import SCHEMA, generate
from ingest.demo.records import (
    RECORD_DERIVED,
    RECORDS_VERSION,
    read_published,
    write_demo_records,
)
from ingest.published import import_file, import_targets
from ingest.store import (
    NewValue,
    WriteReport,
    current_values,
    seed_catalogue,
    seed_regions,
    write_values,
)
from lake.ingest import ingest
from lake.store import Lake
from queries.catalogue import Indicator, load_catalogue_file, read_catalogue
from queries.db import upgrade
from queries.schema import dataset_load

Echo = Callable[[str], None]
DEMO_SEED = 2024
DEMO_VERSION = 2  # bump when the generator changes, so existing databases get the new values


def _fingerprint(conn_engine: Engine, name: str) -> str | None:
    with conn_engine.connect() as conn:
        return conn.scalar(select(dataset_load.c.fingerprint).where(dataset_load.c.name == name))


def _mark_loaded(engine: Engine, name: str, fingerprint: str) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        done = conn.execute(update(dataset_load).where(dataset_load.c.name == name)
                            .values(fingerprint=fingerprint, loaded_at=now)).rowcount
        if not done:
            conn.execute(insert(dataset_load).values(name=name, fingerprint=fingerprint,
                                                     loaded_at=now))


def prepare_database(engine: Engine, registry: Registry | None = None) -> None:
    """Migrate to the newest schema and seed the region registry and catalogue.

    The regions are the registry's down to desa (values rolled up from records exist
    there), unless ``registry`` is given (tests pass a smaller one).
    """
    upgrade(engine)
    with engine.begin() as conn:
        seed_regions(conn, registry or load_registry(include_desa=True))
        seed_catalogue(conn, load_catalogue_file())


def load_published(engine: Engine, directory: Path, registry: Registry,
                   echo: Echo = print) -> None:
    """Import every ``*.csv`` of ``directory`` not yet loaded with the same content."""
    for path in sorted(directory.glob("*.csv")):
        name = f"published:{path.name}"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if _fingerprint(engine, name) == digest:
            continue
        if path.name == "targets.csv":
            written = import_targets(path, engine)
            echo(f"  {path.name}: {written} target(s) stored")
        else:
            result = import_file(path, engine, registry)
            r = result.report
            echo(f"  {path.name}: {result.rows} rows, {r.inserted} new, {r.corrected} corrected,"
                 f" {r.unchanged} unchanged")
        _mark_loaded(engine, name, digest)


def published_values(conn: Connection, indicator_ids: Iterable[str]) -> pl.DataFrame:
    """Return the newest version of every published value of the given indicators.

    Returns
    -------
    polars.DataFrame
        Columns as in :data:`ingest.demo.SCHEMA`, sorted by indicator, region and period:
        the ``published`` argument of :func:`ingest.demo.generate`.
    """
    current = current_values(conn, "published", indicator_ids)
    rows = [(*key, found[1]) for key, found in sorted(current.items())]
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def _digest(published: pl.DataFrame) -> str:
    """Return a short hash of the published values the demo data is conditioned on."""
    return hashlib.sha256(published.write_csv().encode()).hexdigest()[:16]


def store_demo(engine: Engine, registry: Registry, catalogue: dict[str, Indicator],
               published: pl.DataFrame, seed: int = DEMO_SEED,
               exclude: Mapping[str, Iterable[int]] | None = None) -> WriteReport:
    """Generate the synthetic data set around ``published`` and store it as ``simulasi``.

    A simulated value that changed (for example because a published figure above it
    arrived) is stored as a new version; nothing is overwritten or deleted. ``exclude``
    (indicator id -> periods, e.g. ``ingest.demo.records.RECORD_DERIVED``) leaves out the
    values the roll-up of the demo records writes instead.
    """
    frame = generate(registry, catalogue, seed=seed, published=published, exclude=exclude)
    provenance = (f"demo generator v{DEMO_VERSION} seed {seed},"
                  f" conditioned on published values {_digest(published)}")
    values = [NewValue(ind, code, int(period), float(value), provenance)
              for ind, code, period, value in frame.iter_rows()]
    with engine.begin() as conn:
        return write_values(conn, values, source_kind="simulasi", status="simulasi",
                            source_of={k: "simulasi" for k in catalogue}, recorded_by="demo")


def load_demo(engine: Engine, registry: Registry, echo: Echo = print,
              seed: int = DEMO_SEED, exclude: Mapping[str, Iterable[int]] | None = None) -> None:
    """Store the demo data once per (generator version, seed, published values).

    Run again after new published figures were imported, it re-conditions the simulated
    values on them (see :func:`store_demo`); with the same published values it does
    nothing.
    """
    with engine.connect() as conn:
        catalogue = read_catalogue(conn)
        published = published_values(conn, catalogue)
    fingerprint = f"v{DEMO_VERSION} seed {seed} published {_digest(published)}"
    if exclude:
        left_out = sorted((k, sorted(v)) for k, v in exclude.items())
        fingerprint += f" without {hashlib.sha256(repr(left_out).encode()).hexdigest()[:12]}"
    if _fingerprint(engine, "demo") == fingerprint:
        return
    report = store_demo(engine, registry, catalogue, published, seed, exclude)
    echo(f"  demo data (DATA SIMULASI): {report.inserted} new values, {report.corrected} changed")
    _mark_loaded(engine, "demo", fingerprint)


DEMO_ACCOUNTS = (
    ("admin", "admin", None, "Administrator"),
    ("pusat", "pusat", None, "Ditjen Polpum (pusat)"),
    ("jabar", "provinsi", "32", "Kesbangpol Provinsi Jawa Barat"),
    ("kotabandung", "kabkota", "32.73", "Kesbangpol Kota Bandung"),
    ("pengamat", "viewer", None, "Pengamat (baca saja)"),
)


def load_demo_accounts(engine: Engine, registry: Registry, echo: Echo = print) -> None:
    """Create the demo accounts once, printing their generated passwords that one time."""
    if _fingerprint(engine, "accounts:demo") is not None:
        return
    lines = []
    with engine.begin() as conn:
        for username, role, region, name in DEMO_ACCOUNTS:
            password = add_account(conn, registry, username=username, role=role,
                                   region_code=region, display_name=name, by="make run")
            lines.append(f"  {username:<12} {password}  ({role}{' ' + region if region else ''})")
    _mark_loaded(engine, "accounts:demo", "v1")
    echo("  demo accounts (passwords shown once, stored only as hashes):")
    for line in lines:
        echo(line)


@dataclass(frozen=True)
class DemoRecords:
    """Where the synthetic record streams go: generated files, the lake, and their size."""

    directory: Path   # the generated Parquet files, one folder per scale and seed
    lake: Path        # the lake they are ingested into (``Settings.lake_dir``)
    boundaries: Path  # for the incident points, inside their kecamatan
    published: Path | None = None  # the published turnout the TPS records match
    scale: str = "small"
    seed: int = DEMO_SEED


def demo_record_files(records: DemoRecords, registry: Registry,
                      echo: Echo = print) -> dict[str, list[Path]]:
    """Return the demo's record files per stream, writing them first if absent.

    They are written to a partial folder renamed when complete, so a folder that exists
    is whole; a partial folder left by an interrupted run is never read.
    """
    target = records.directory / f"v{RECORDS_VERSION}-{records.scale}-seed{records.seed}"
    if not target.is_dir():
        partial = target.with_name(f".{target.name}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        published = records.published
        write_demo_records(partial, registry, records.boundaries, records.scale, records.seed,
                           published=read_published(published)
                           if published is not None and published.is_dir() else None)
        os.replace(partial, target)
        echo(f"  demo records (DATA SIMULASI, {records.scale}) written to {target}")
    return {stream.name: sorted(stream.glob("*.parquet"))
            for stream in sorted(target.iterdir()) if stream.is_dir()}


def load_demo_records(engine: Engine, records: DemoRecords, echo: Echo = print) -> None:
    """Ingest the demo's record streams into the lake and roll them up into the store.

    Once per (scale, seed); the values are DATA SIMULASI computed from their records
    (turnout down to desa from TPS, incidents, ormas, media), where the direct demo
    leaves them out (:data:`ingest.demo.records.RECORD_DERIVED`).
    """
    fingerprint = f"v{RECORDS_VERSION} {records.scale} seed {records.seed}"
    if _fingerprint(engine, "demo:records") == fingerprint:
        return
    registry = load_registry(include_desa=True)
    lake = Lake(records.lake)
    for stream, paths in demo_record_files(records, registry, echo).items():
        result = ingest(lake, stream, paths, registry=registry,
                        boundaries=records.boundaries, simulated=True)
        echo(f"  lake {stream}: {result.stored} records stored, {result.quarantined}"
             " quarantined")
    report = refresh(engine, lake)
    echo(f"  values computed from the records (DATA SIMULASI): {report.inserted} new,"
         f" {report.corrected} changed")
    _mark_loaded(engine, "demo:records", fingerprint)


Step = tuple[str, Callable[[], None]]


def bootstrap_steps(engine: Engine, published_dir: Path | None, *, demo: bool = True,
                    records: DemoRecords | None = None, echo: Echo = print) -> list[Step]:
    """Return the labelled steps ``make run`` takes before serving; fast when already done.

    With ``records``, the demo also has its record streams, and the direct demo leaves
    out the values their rollup computes.
    """
    registry = load_registry()
    steps: list[Step] = [("database", lambda: prepare_database(engine))]
    if published_dir is not None and published_dir.is_dir():
        steps.append(("published figures",
                      lambda: load_published(engine, published_dir, registry, echo)))
    if demo:
        exclude = RECORD_DERIVED if records is not None else None
        steps.append(("demo data", lambda: load_demo(engine, registry, echo, exclude=exclude)))
        if records is not None:
            steps.append(("demo records", lambda: load_demo_records(engine, records, echo)))
        steps.append(("demo accounts", lambda: load_demo_accounts(engine, registry, echo)))
    return steps


def bootstrap(engine: Engine, published_dir: Path | None, *, demo: bool = True,
              records: DemoRecords | None = None, echo: Echo = print) -> None:
    """Run every step of :func:`bootstrap_steps`."""
    for _label, step in bootstrap_steps(engine, published_dir, demo=demo, records=records,
                                        echo=echo):
        step()
