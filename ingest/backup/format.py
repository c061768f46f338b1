r"""The backup file format: file names, manifest fields and the encoding of values.

Version 1
---------
A ZIP archive (deflate). The file is created with mode 0600: it holds password hashes.

``tables/<table>.jsonl``
    The rows of one table in primary-key order (strings compared by code point, the
    same order on both engines), one JSON array per row with the values in the
    manifest's column order; UTF-8, every line ended by ``\n``. Values by column type:

    ===============  ===============================================================
    ``integer``      JSON integer (any size)
    ``float``        JSON number written with Python's ``repr``, the shortest form
                     that reads back to the same double (``0.30000000000000004``);
                     ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` as strings
    ``decimal``      JSON string (``"12.50"``)
    ``boolean``      ``true`` or ``false``
    ``string``       JSON string
    ``datetime_tz``  ISO 8601 in UTC with microseconds (``2025-01-31T08:15:00.000000+00:00``);
                     SQLite keeps no offset and the application writes UTC, so a
                     value read from SQLite is taken as UTC
    ``datetime``     ISO 8601 without offset
    ``date``         ``YYYY-MM-DD``
    ``bytes``        base64 string
    ===============  ===============================================================

    NULL is ``null`` whatever the type. A column of any other type makes the backup
    fail with a message naming it (extend :func:`ingest.backup.tables.kind_of` and
    :data:`ENCODERS` / :data:`DECODERS` before such a column ships).

``manifest.json``
    ``format`` (``"mata-garuda-backup"``), ``format_version`` (``1``), ``revision``
    (the Alembic schema revision of the database), ``created_at`` (UTC, ISO 8601),
    ``dialect`` (the engine it came from) and ``tables``: in insertion (dependency)
    order, each with ``name``, ``member``, ``columns`` (``name`` and ``type`` as
    above), ``primary_key``, ``rows`` and ``sha256``.

``manifest.sig``
    The HMAC-SHA256 signature of the exact bytes of ``manifest.json`` and the id of the
    key that made it, not the key (:mod:`ingest.backup.signing`). Added within version
    1: older backups have none, and older versions of the application ignore it.

The SHA-256 of a member's bytes is the checksum of the table's canonical content: a
table read back the same way, from either engine, gives the same bytes.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingest.backup.common import BackupFileError

FORMAT = "mata-garuda-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


def member_name(table: str) -> str:
    """Return the name of the archive member that holds the rows of ``table``."""
    return f"tables/{table}.jsonl"


@dataclass(frozen=True)
class Column:
    """A column as stored in a backup: its name and its type (a key of :data:`ENCODERS`)."""

    name: str
    kind: str


@dataclass(frozen=True)
class TableEntry:
    """A table listed in a manifest."""

    name: str
    member: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    rows: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """The content of ``manifest.json`` that a restore needs."""

    revision: str
    created_at: datetime
    tables: tuple[TableEntry, ...]


# ---------------------------------------------------------------------------- values

def _enc_float(v: Any) -> Any:
    f = float(v)
    if math.isfinite(f):
        return f
    return "NaN" if math.isnan(f) else ("Infinity" if f > 0 else "-Infinity")


def _enc_datetime_tz(v: datetime) -> str:
    v = v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
    return v.isoformat(timespec="microseconds")


def _enc_datetime(v: datetime) -> str:
    if v.tzinfo is not None:
        v = v.astimezone(UTC).replace(tzinfo=None)
    return v.isoformat(timespec="microseconds")


ENCODERS: dict[str, Callable[[Any], Any] | None] = {
    "integer": None,
    "float": _enc_float,
    "decimal": str,
    "boolean": None,
    "string": None,
    "datetime_tz": _enc_datetime_tz,
    "datetime": _enc_datetime,
    "date": date.isoformat,
    "bytes": lambda v: base64.b64encode(bytes(v)).decode("ascii"),
}
"""Per column type, the function from a driver's value to its JSON value; None when the
driver's value is already what JSON needs (int, bool, str)."""


def _dec_datetime_tz(v: str) -> datetime:
    parsed = datetime.fromisoformat(v)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


DECODERS: dict[str, Callable[[Any], Any]] = {
    "integer": int,
    "float": float,
    "decimal": Decimal,
    "boolean": bool,
    "string": str,
    "datetime_tz": _dec_datetime_tz,
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "bytes": base64.b64decode,
}
"""Per column type, the function from a JSON value back to the value to insert."""

dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
"""Write one row (a list of JSON values) as one line of a member, without its ``\\n``."""


# ---------------------------------------------------------------------------- manifest

def manifest_bytes(manifest: Manifest, dialect: str) -> bytes:
    """Return the content of ``manifest.json`` for ``manifest``, made on ``dialect``."""
    data = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "revision": manifest.revision,
        "created_at": manifest.created_at.isoformat(timespec="microseconds"),
        "dialect": dialect,
        "tables": [{
            "name": t.name, "member": t.member,
            "columns": [{"name": c.name, "type": c.kind} for c in t.columns],
            "primary_key": list(t.primary_key), "rows": t.rows, "sha256": t.sha256,
        } for t in manifest.tables],
    }
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def parse_manifest(raw: bytes, source: Path) -> Manifest:
    """Parse and validate the content of ``manifest.json``.

    Parameters
    ----------
    raw
        The bytes of the member.
    source
        The backup file, named in messages.

    Returns
    -------
    Manifest
        The schema revision, creation time and tables of the backup.

    Raises
    ------
    BackupFileError
        If the manifest is not JSON, not of this format or version, or a field is
        missing or malformed; the message names the problem.
    """
    def bad(problem: str) -> BackupFileError:
        return BackupFileError(f"{source}: {MANIFEST}: {problem}; nothing was restored")

    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise bad(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise bad(f"not a Mata Garuda backup (expected \"format\": \"{FORMAT}\")")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise bad(f"format version {version!r} is not known (this version of Mata Garuda"
                  f" reads version {FORMAT_VERSION}); restore it with the version that made it")
    revision = data.get("revision")
    if not isinstance(revision, str) or not revision:
        raise bad("\"revision\" is missing")
    try:
        created_at = datetime.fromisoformat(str(data.get("created_at")))
    except ValueError:
        raise bad("\"created_at\" is not an ISO 8601 date-time") from None
    entries = data.get("tables")
    if not isinstance(entries, list):
        raise bad("\"tables\" is missing")
    tables: list[TableEntry] = []
    for i, e in enumerate(entries):
        try:
            columns = tuple(Column(str(c["name"]), str(c["type"])) for c in e["columns"])
            entry = TableEntry(str(e["name"]), str(e["member"]), columns,
                               tuple(str(k) for k in e["primary_key"]), int(e["rows"]),
                               str(e["sha256"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(f"table entry {i + 1} is malformed ({exc!r})") from None
        unknown = [c.name for c in columns if c.kind not in DECODERS]
        if unknown:
            raise bad(f"table {entry.name}: unknown column type for {', '.join(unknown)}")
        tables.append(entry)
    return Manifest(revision, created_at, tuple(tables))
