"""Checking a backup file before anything touches a database.

The checks, in order: the file is a ZIP archive; the signature in ``manifest.sig``
authenticates the manifest's bytes as read, before they are parsed
(:func:`ingest.backup.signing.check_signature`); the manifest is a manifest of a known
format version (:func:`ingest.backup.format.parse_manifest`); every member the manifest
lists is present, undamaged and has the row count and SHA-256 the manifest gives.

The checksums alone detect damage, not deliberate alteration: whoever changes a member
can recompute its checksum in the manifest. The signature makes the manifest, and
through its checksums every table, what the holder of the key wrote.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from ingest.backup.common import BackupFileError, Progress
from ingest.backup.format import MANIFEST, Manifest, TableEntry, parse_manifest
from ingest.backup.signing import SIGNATURE, BackupKey, check_signature


def open_archive(source: Path) -> zipfile.ZipFile:
    """Open a backup file for reading.

    Parameters
    ----------
    source
        The backup file.

    Returns
    -------
    zipfile.ZipFile
        The archive; the caller closes it.

    Raises
    ------
    BackupFileError
        If the file is missing or is not a readable ZIP archive.
    """
    try:
        return zipfile.ZipFile(source)
    except FileNotFoundError:
        raise BackupFileError(f"{source}: no such file") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupFileError(f"{source}: not a Mata Garuda backup (not a readable ZIP file:"
                              f" {exc})") from None


def verify_archive(zf: zipfile.ZipFile, source: Path, key: BackupKey, progress: Progress,
                   *, accept_unsigned: bool = False) -> tuple[Manifest, str | None]:
    """Check the signature, the manifest and every member of an open backup.

    Parameters
    ----------
    zf
        The archive, from :func:`open_archive`.
    source
        The backup file, named in messages.
    key
        The key that signed the backup.
    progress
        Called as ``progress("verify file", rows read, rows in the manifest)``.
    accept_unsigned
        Accept a backup whose signature cannot be checked (it has none, or it was made
        with another key) instead of refusing it. A signature that ``key`` checks and
        finds wrong is refused all the same.

    Returns
    -------
    tuple of Manifest and str or None
        The checked manifest, and why its signature was not checked (None when it was).

    Raises
    ------
    BackupFileError
        If the signature is missing, made with another key (unless ``accept_unsigned``),
        malformed or wrong, the manifest is missing, damaged or invalid, or a member is
        missing, damaged, or differs from the manifest in row count or checksum.
    """
    raw = _read_member(zf, source, MANIFEST)
    if raw is None:
        raise BackupFileError(f"{source}: not a Mata Garuda backup: {MANIFEST} is missing"
                              " (nothing was restored)")
    unchecked = check_signature(_read_member(zf, source, SIGNATURE), raw, key, source)
    if unchecked and not accept_unsigned:
        raise BackupFileError(f"{source}: {unchecked}. Nothing was restored; to restore a file"
                              " you know to be unaltered without its signature, use"
                              " `mata-garuda db restore --accept-unsigned`")
    manifest = parse_manifest(raw, source)
    total = sum(e.rows for e in manifest.tables)

    def advance(rows: int) -> None:
        progress("verify file", rows, total)

    seen = 0
    for entry in manifest.tables:
        seen += _check_member(zf, source, entry, advance, seen)
    progress("verify file", seen, total)
    return manifest, unchecked


def _read_member(zf: zipfile.ZipFile, source: Path, name: str) -> bytes | None:
    """Return the bytes of a small member (the manifest, its signature), None if absent."""
    try:
        return zf.read(name)
    except KeyError:
        return None
    except (zipfile.BadZipFile, zlib.error, OSError) as exc:
        raise BackupFileError(f"{source}: {name} is damaged ({exc}); nothing was restored"
                              ) from None


def _check_member(zf: zipfile.ZipFile, source: Path, entry: TableEntry,
                  advance: Callable[[int], None], before: int) -> int:
    """Check one member's checksum and row count against the manifest; return the rows.

    After each block ``advance`` is called with the rows read so far, counting
    ``before`` rows of the members checked earlier.
    """
    h = hashlib.sha256()
    lines = 0
    try:
        with zf.open(entry.member) as fh:
            while block := fh.read(1 << 20):
                h.update(block)
                lines += block.count(b"\n")
                advance(before + lines)
    except KeyError:
        raise BackupFileError(f"{source}: member {entry.member} of table {entry.name} is"
                              " missing; nothing was restored") from None
    except (zipfile.BadZipFile, zlib.error, OSError) as exc:
        raise BackupFileError(f"{source}: member {entry.member} is damaged ({exc});"
                              " nothing was restored") from None
    if h.hexdigest() != entry.sha256:
        raise BackupFileError(
            f"{source}: table {entry.name}: checksum mismatch (SHA-256 of {entry.member}"
            f" is {h.hexdigest()}, the manifest says {entry.sha256}); the file was"
            " altered or damaged, nothing was restored")
    if lines != entry.rows:
        raise BackupFileError(f"{source}: table {entry.name}: {lines} rows in the file, the"
                              f" manifest says {entry.rows}; nothing was restored")
    return lines
