"""The ``mata-garuda`` command: serve, db (upgrade, backup, restore), geodata, data, lake, demo."""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
import waitress
from tqdm import tqdm

from geodata.registry import load_registry
from settings import Settings, SettingsError

if TYPE_CHECKING:
    from ingest.backup import BackupKey
    from ingest.bootstrap import DemoRecords
    from lake.ingest import IngestResult

# Each command imports the rest of the application inside its function, to keep start-up
# fast: importing it all here (the app alone takes seconds: Dash, matplotlib, geopandas)
# would slow down every command, `mata-garuda --help` included (half a second as it is).


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    """Return the database engine, refusing a database a newer version has upgraded."""
    from queries.db import SchemaTooNewError, check_not_newer, make_engine

    engine = make_engine(settings.db_url)
    try:
        check_not_newer(engine)
    except SchemaTooNewError as exc:
        raise click.ClickException(str(exc)) from None
    return engine


def _store(settings: Settings):  # type: ignore[no-untyped-def]
    """Return the engine of the indicator store, migrated and seeded with the catalogue."""
    from ingest.bootstrap import prepare_database

    engine = _engine(settings)
    prepare_database(engine)
    return engine


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Mata Garuda: monitoring dashboard for Kemendagri and the Kesbangpol offices.

    Settings come from MATA_GARUDA_* environment variables (see README.md).
    """
    os.umask(0o077)  # what a command writes (database, backups, boundaries) is the owner's only


@main.command()
@click.option("--demo/--no-demo", default=True, show_default=True,
              help="Load the synthetic demo data (labelled DATA SIMULASI) on first run.")
@click.option("--port", type=int, default=None, help="Port (default MATA_GARUDA_PORT or 8050).")
def serve(demo: bool, port: int | None) -> None:
    """Set up the database on first run, then serve the dashboard."""
    from app import create_app
    from ingest.bootstrap import bootstrap_steps

    settings = _settings()
    if port is not None:
        settings = replace(settings, port=port)
    steps = bootstrap_steps(_engine(settings), settings.published_dir, demo=demo,
                            records=_demo_records(settings) if demo else None,
                            echo=tqdm.write)
    for label, step in tqdm(steps, desc="set-up", unit="step", file=sys.stderr):
        tqdm.write(f"- {label}")
        step()
    app = create_app(settings)
    threading.Thread(target=_warm, args=(app,), daemon=True, name="warm-up").start()
    click.echo(f"Mata Garuda: http://{settings.host}:{settings.port}")
    waitress.serve(app.server, host=settings.host, port=settings.port, threads=8,
                   ident="mata-garuda")


def _warm(app) -> None:  # type: ignore[no-untyped-def]
    """Build the national boundary views, then freeze what start-up allocated.

    Freezing moves the long-lived objects (registry, boundary layers and payloads) out
    of the garbage collector's way, so a full collection during a request stays short.
    """
    from app import services_of

    services_of(app).boundaries.warm()
    gc.collect()
    gc.freeze()


@main.group()
def db() -> None:
    """Manage the database: schema, backup and restore."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema and seed regions and the catalogue."""
    from queries.db import current_revision

    engine = _store(_settings())
    click.echo(f"database at revision {current_revision(engine)}")


def _progress_bar(bar: tqdm) -> Callable[[str, int, int], None]:
    """Return a backup/restore progress callback drawing one bar per table or step."""
    def update(step: str, done: int, total: int) -> None:
        if step != bar.desc:
            bar.reset(total=total or None)
            bar.set_description_str(step)
        bar.n = done
        bar.refresh()

    return update


def _backup_key(settings: Settings) -> BackupKey:
    """Return the key that signs backups.

    MATA_GARUDA_BACKUP_KEY when set, else a key derived from the secret key (not the
    secret key itself, which also signs sessions).
    """
    from ingest.backup import BackupKey

    if settings.backup_key:
        return BackupKey.configured(settings.backup_key)
    return BackupKey.derived(settings.resolved_secret_key())


@db.command("backup")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def db_backup(file: Path | None) -> None:
    """Write the whole database to one backup FILE (ZIP; default var/backups/<time>.zip).

    The backup is a consistent snapshot taken while the dashboard keeps running, signed
    with MATA_GARUDA_BACKUP_KEY (default: derived from the secret key), which is not
    written into it. It is not encrypted and holds password hashes: keep it as safe as
    the database.
    """
    from ingest.backup import BackupError, backup

    settings = _settings()
    target = file or (settings.var_dir / "backups"
                      / f"mata-garuda-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.zip")
    with tqdm(unit="row", file=sys.stderr, leave=False) as bar:
        try:
            report = backup(_engine(settings), target, key=_backup_key(settings),
                            progress=_progress_bar(bar))
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(str(report))
    if report.extra_tables:
        click.echo("warning: tables unknown to Mata Garuda, kept in the file but skipped by a"
                   " restore: " + ", ".join(report.extra_tables), err=True)


@db.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--accept-unsigned", is_flag=True,
              help="Restore a backup whose signature cannot be checked: made by a version"
                   " that did not sign backups, or signed with a key that is lost. Only for"
                   " a file you know to be unaltered.")
def db_restore(file: Path, accept_unsigned: bool) -> None:
    """Restore a backup FILE into an empty database (MATA_GARUDA_DATABASE_URL).

    The file is checked first: its signature (with the key that `db backup` used), then
    the manifest and checksums; an unsigned, altered or otherwise signed file is refused.
    A database that already holds data is refused: nothing is ever deleted, so point
    MATA_GARUDA_DATABASE_URL at a new, empty SQLite file or PostgreSQL database. The rows
    go in all or nothing, then the schema is upgraded to the newest revision.
    """
    from ingest.backup import BackupError, restore

    settings = _settings()
    with tqdm(unit="row", file=sys.stderr, leave=False) as bar:
        try:
            report = restore(_engine(settings), file, key=_backup_key(settings),
                             accept_unsigned=accept_unsigned, progress=_progress_bar(bar))
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(str(report))
    if report.changed_by_upgrade:
        click.echo("note: the schema upgrade changed the content of "
                   + ", ".join(report.changed_by_upgrade))
    if report.not_restored:
        click.echo("warning: tables unknown to Mata Garuda were not restored (their rows stay"
                   " in the backup file): " + ", ".join(report.not_restored), err=True)


@main.group()
def geodata() -> None:
    """Manage region boundaries."""


@geodata.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--level", type=click.Choice(["provinsi", "kabkota", "kecamatan"]), required=True,
              help="Level of the polygons in PATH; kecamatan also builds kab/kota and provinsi.")
@click.option("--code-column", required=True, help="Column holding the Kemendagri code.")
@click.option("--name-column", default=None, help="Optional column with names to cross-check.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Target directory (default MATA_GARUDA_BOUNDARIES_DIR).")
def geodata_import(path: Path, level: str, code_column: str, name_column: str | None,
                   out_dir: Path | None) -> None:
    """Import boundaries from GeoParquet, GeoPackage, Shapefile or GeoJSON (any CRS)."""
    from geodata.importer import import_boundaries

    settings = _settings()
    target = out_dir or settings.boundaries_dir
    with tqdm(desc="import", unit="step", file=sys.stderr) as bar:
        try:
            report = import_boundaries(path, level=level, code_column=code_column,
                                       name_column=name_column, out_dir=target,
                                       registry=load_registry(),
                                       progress=lambda msg: (bar.set_postfix_str(msg),
                                                             bar.update()))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(str(report))


@geodata.command("check")
def geodata_check() -> None:
    """Validate the installed boundaries against the region registry."""
    from geodata.boundaries import available_levels, read_layer, validate_layer

    settings = _settings()
    levels = available_levels(settings.boundaries_dir)
    if not levels:
        raise click.ClickException(f"no boundaries in {settings.boundaries_dir}")
    failed = False
    for level in levels:
        problems = validate_layer(read_layer(settings.boundaries_dir, level), level,
                                  load_registry())
        click.echo(f"{level}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        for p in problems[:20]:
            click.echo(f"  {p}")
        failed |= bool(problems)
    if failed:
        sys.exit(1)


@main.group()
def user() -> None:
    """Manage accounts (passwords are stored as argon2id hashes only)."""


def _echo_password(username: str, password: str) -> None:
    click.echo(f"{username}: {password}")
    click.echo("(shown once; it is stored only as a hash)", err=True)


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "pusat", "provinsi", "kabkota", "viewer"]),
              required=True, help="admin, pusat (whole country), provinsi or kabkota operator, "
                                  "viewer (read only).")
@click.option("--region", default=None, help="Region code of a provinsi/kabkota operator.")
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input instead of generating one.")
def user_add(username: str, role: str, region: str | None, name: str,
             password_stdin: bool) -> None:
    """Add an account; a generated password is printed once."""
    from auth.accounts import AccountError, add_account

    engine = _store(_settings())
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        with engine.begin() as conn:
            password = add_account(conn, load_registry(), username=username, role=role,
                                   region_code=region, display_name=name, password=password,
                                   by="cli")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    if not password_stdin:
        _echo_password(username, password)


@user.command("reset-password")
@click.argument("username")
def user_reset_password(username: str) -> None:
    """Give an account a new generated password (to be changed at next sign-in)."""
    from auth.accounts import AccountError, set_password

    engine = _engine(_settings())
    try:
        with engine.begin() as conn:
            password = set_password(conn, username, by="cli")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    _echo_password(username, password)


@user.command("deactivate")
@click.argument("username")
def user_deactivate(username: str) -> None:
    """Deactivate an account: it can no longer sign in and its sessions end at once."""
    _set_active(username, False)


@user.command("activate")
@click.argument("username")
def user_activate(username: str) -> None:
    """Activate a deactivated account again."""
    _set_active(username, True)


def _set_active(username: str, active: bool) -> None:
    from auth.accounts import AccountError, set_active

    try:
        with _engine(_settings()).begin() as conn:
            set_active(conn, username, active, by="cli")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{username}: {'active' if active else 'deactivated, signed out everywhere'}")


@user.command("unlock")
@click.argument("username", required=False)
@click.option("--address", default=None, help="Also (or only) forget failures from this address.")
def user_unlock(username: str | None, address: str | None) -> None:
    """Forget failed sign-ins of an account and/or an address, so no wait is left."""
    from auth.accounts import AccountError, unlock

    try:
        with _engine(_settings()).begin() as conn:
            forgotten = unlock(conn, username, address, by="cli")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{forgotten} failed sign-in(s) forgotten")


@main.group()
def audit() -> None:
    """Check the audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain; exit 1 and name the first entry that does not fit."""
    from auth.audit import verify_chain

    with _engine(_settings()).connect() as conn:
        report = verify_chain(conn)
    if not report.intact:
        click.echo(f"audit log BROKEN: {report.problem}", err=True)
        sys.exit(1)
    click.echo(f"audit log intact: {report.entries} entries, newest hash {report.head}")


@user.command("list")
def user_list() -> None:
    """List the accounts with role, region and state."""
    from auth.accounts import list_accounts

    with _engine(_settings()).connect() as conn:
        for a in list_accounts(conn):
            state = "active" if a["active"] else "inactive"
            click.echo(f"{a['username']:<24} {a['role']:<9} {a['region_code'] or '-':<10} {state}")


@main.group()
def data() -> None:
    """Import indicator data."""


@data.command("import")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
def data_import(files: tuple[Path, ...]) -> None:
    """Import published figures (CSV or XLSX, tidy format), each file all or nothing."""
    from ingest.published import ImportRejectedError, import_file, import_targets

    engine = _store(_settings())
    registry = load_registry()
    failed = False
    for path in tqdm(files, desc="import", unit="file", file=sys.stderr):
        try:
            if path.name.startswith("targets"):
                tqdm.write(f"{path.name}: {import_targets(path, engine)} target(s) stored")
                continue
            result = import_file(path, engine, registry)
        except ImportRejectedError as exc:
            tqdm.write(str(exc))
            failed = True
            continue
        r = result.report
        tqdm.write(f"{path.name}: {result.rows} rows: {r.inserted} new, {r.corrected} corrected,"
                   f" {r.unchanged} unchanged")
    if failed:
        sys.exit(1)


@main.group()
def lake() -> None:
    """Manage the record lake: TPS results, ormas, incidents and media as Parquet files."""


@lake.command("status")
def lake_status() -> None:
    """Show the live snapshot: files, rows, partitions, years and size per stream."""
    from lake.store import Lake, status

    settings = _settings()
    snapshot, streams = status(Lake(settings.lake_dir))
    click.echo(f"lake {settings.lake_dir}, snapshot {snapshot}")
    for s in streams:
        years = f"{s.years[0]}-{s.years[-1]}" if s.years else "-"
        click.echo(f"{s.stream:10} {s.rows:>12,} rows {s.files:>6} files {s.partitions:>6}"
                   f" partitions  years {years}  {s.bytes / 1e6:,.1f} MB")
        for src in s.last_sources:
            click.echo(f"    {src.at} snapshot {src.snapshot}: {src.name}: {src.rows_read:,} read,"
                       f" {src.stored:,} stored, {src.replaced:,} replaced,"
                       f" {src.quarantined:,} quarantined")


@lake.command("ingest")
@click.argument("stream", type=click.Choice(["tps", "ormas", "incidents", "media"]))
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-rollup", is_flag=True,
              help="Do not refresh the rolled-up indicators of the partitions touched.")
def lake_ingest(stream: str, files: tuple[Path, ...], no_rollup: bool) -> None:
    """Ingest CSV or Parquet record files into STREAM (bad rows go to quarantine)."""
    from lake.ingest import IngestError, ingest
    from lake.store import Lake, LakeError

    settings = _settings()
    with tqdm(desc=f"ingest {stream}", unit="rows", unit_scale=True, file=sys.stderr) as bar:
        try:
            result = ingest(Lake(settings.lake_dir), stream, list(files),
                            registry=load_registry(include_desa=True),
                            boundaries=settings.boundaries_dir, progress=bar.update)
        except (IngestError, LakeError) as exc:
            raise click.ClickException(str(exc)) from None
    for path in result.unchanged:
        click.echo(f"{path.name}: already ingested, nothing changed")
    click.echo(f"{stream}: {result.rows_read:,} rows read, {result.stored:,} stored"
               f" ({result.replaced:,} replaced), {result.quarantined:,} quarantined;"
               f" snapshot {result.snapshot}, {len(result.partitions)} partition(s) touched")
    for path in result.quarantine_files:
        click.echo(f"quarantined rows with their reasons: {path}")
    if not no_rollup and result.partitions:
        _after_ingest(result)


def _after_ingest(result: IngestResult) -> None:
    """Refresh the indicators rolled up from the partitions an ingest rewrote."""
    from ingest.aggregates import refresh
    from lake.store import Lake

    settings = _settings()
    report = refresh(_store(settings), Lake(settings.lake_dir), partitions=result.partitions)
    click.echo(f"rollup of {len(result.partitions)} partition(s): {report.inserted} new,"
               f" {report.corrected} changed, {report.unchanged} unchanged values")


@lake.command("rollup")
@click.option("--engine", "rollup_engine", type=click.Choice(["duckdb", "spark"]),
              default="duckdb", show_default=True,
              help="duckdb runs here; spark runs on MATA_GARUDA_SPARK_MASTER (default"
                   " local[2]).")
def lake_rollup(rollup_engine: str) -> None:
    """Roll every record stream up to all levels and store the indicators computed."""
    from ingest.aggregates import refresh
    from lake.store import Lake

    settings = _settings()
    report = refresh(_store(settings), Lake(settings.lake_dir), rollup_engine=rollup_engine)
    click.echo(f"rollup ({rollup_engine}): {report.inserted} new, {report.corrected} changed,"
               f" {report.unchanged} unchanged values; {report.missing} without a value")


@lake.command("vacuum")
def lake_vacuum() -> None:
    """Delete files the manifest does not name (left by a crashed ingest)."""
    from lake.store import Lake, vacuum

    removed = vacuum(Lake(_settings().lake_dir))
    click.echo(f"{len(removed)} file(s) removed")


@main.command()
@click.option("--seed", type=int, default=None, help="Random seed (default: the demo seed).")
@click.option("--scale", type=click.Choice(["small", "full"]), default="small",
              show_default=True,
              help="Size of the synthetic record streams (TPS, ormas, incidents, media):"
                   " small is fast; full has realistic sizes (100 million media rows).")
def demo(seed: int | None, scale: str) -> None:
    """Generate and store the synthetic demo data (DATA SIMULASI).

    The record streams are written once as Parquet files under
    <var_dir>/demo-records/<scale>-seed<seed>, ingested into the lake and rolled up.
    """
    from ingest.bootstrap import DEMO_SEED, load_demo, load_demo_records
    from ingest.demo.records import RECORD_DERIVED

    settings = _settings()
    engine = _store(settings)
    seed = DEMO_SEED if seed is None else seed
    load_demo(engine, load_registry(), click.echo, seed=seed, exclude=RECORD_DERIVED)
    load_demo_records(engine, _demo_records(settings, scale, seed), click.echo)
    click.echo("demo data ready")


def _demo_records(settings: Settings, scale: str = "small",
                  seed: int | None = None) -> DemoRecords:
    """Return where the demo's record streams go (:class:`ingest.bootstrap.DemoRecords`)."""
    from ingest.bootstrap import DEMO_SEED, DemoRecords

    return DemoRecords(directory=settings.var_dir / "demo-records", lake=settings.lake_dir,
                       boundaries=settings.boundaries_dir, published=settings.published_dir,
                       scale=scale, seed=DEMO_SEED if seed is None else seed)


if __name__ == "__main__":
    main()
