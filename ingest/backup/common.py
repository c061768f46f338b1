"""What a backup, a check of a file and a restore share: errors, progress, table reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Progress = Callable[[str, int, int], None]
"""Called as ``progress(step, done, total)``, ``done`` of ``total`` rows so far: ``step``
is a table name while its rows are read or written, ``"verify file"`` or ``"check"``
while a restore checks the file or the restored tables (all rows), or ``"schema <rev>"``
while it migrates (``0, 0``)."""


def quiet(_step: str, _done: int, _total: int) -> None:
    """Report no progress: the default :data:`Progress`."""
    return None


class BackupError(Exception):
    """A backup or restore was refused or failed; the message says why and what to do."""


class BackupFileError(BackupError):
    """The backup file is missing, damaged, altered or of an unknown format."""


class RestoreRefusedError(BackupError):
    """The target database cannot receive the backup (it holds data, or is too new)."""


@dataclass(frozen=True)
class TableReport:
    """One table of a backup: its row count and the SHA-256 of its canonical content."""

    name: str
    rows: int
    sha256: str
