"""Backup and restore of the whole indicator store as one portable file.

A backup is a consistent snapshot of every table of the application, read in one
transaction (REPEATABLE READ on PostgreSQL, one read transaction on SQLite) and written
to one ZIP file. It restores into an *empty* SQLite or PostgreSQL database, whichever
engine it came from, and an older backup into a newer application. A restore checks
every member against the manifest before touching the database, and checks the restored
tables against it again before committing. The manifest is signed with a key that is
not in the file (HMAC-SHA256), so an altered file is refused; the file is not encrypted.

Where the parts are:

* :mod:`ingest.backup.format`: the file format (file names, manifest fields, encoding
  of values);
* :mod:`ingest.backup.tables`: reading a table of the database in its canonical form;
* :mod:`ingest.backup.snapshot`: :func:`backup`, writing the file;
* :mod:`ingest.backup.signing`: :class:`BackupKey`, signing the manifest and checking
  its signature;
* :mod:`ingest.backup.verify`: checking a file (signature, manifest, members, checksums);
* :mod:`ingest.backup.restoring`: :func:`restore`, into an empty database, all or
  nothing, then upgrade (a module named ``restore`` would be hidden by the function);
* :mod:`ingest.backup.common`: errors, progress callback and table reports.
"""

from ingest.backup.common import (
    BackupError,
    BackupFileError,
    Progress,
    RestoreRefusedError,
    TableReport,
)
from ingest.backup.restoring import RestoreReport, restore
from ingest.backup.signing import BackupKey
from ingest.backup.snapshot import BackupReport, backup

__all__ = [
    "BackupError",
    "BackupFileError",
    "BackupKey",
    "BackupReport",
    "Progress",
    "RestoreRefusedError",
    "RestoreReport",
    "TableReport",
    "backup",
    "restore",
]
