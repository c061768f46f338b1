"""The audit log: append-only, hash-chained, verifiable.

Each entry's ``chain_hash`` is the SHA-256 of the previous entry's hash and the entry's own
fields (:func:`chain_hash`); the one-row ``audit_head`` table holds the number of entries
and the newest hash (it is made with the first entry, so an empty database stays empty
and a backup restores into it). Changing, inserting or removing a row breaks the chain at that row;
removing the newest rows leaves the head pointing past the end. :func:`verify_chain` walks
the log and names the first entry that does not fit (``mata-garuda audit verify``).

An entry is appended inside the caller's transaction, so an action and its entry are
written together or not at all. Appends are serialised by updating the head row first:
PostgreSQL locks that row until commit, SQLite takes its write lock, so two processes
never chain onto the same predecessor.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Connection, Insert, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from queries.schema import audit_head, audit_log

GENESIS = "0" * 64  # the predecessor of the first entry
FIELDS = ("at", "username", "action", "target", "detail", "remote_addr")


def _utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored in UTC."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def chain_hash(previous: str, entry: dict[str, object]) -> str:
    """Return the hash of ``entry`` (its :data:`FIELDS`) chained to ``previous``.

    Part of the stored format: changing it needs a migration that rehashes the log.
    """
    at = entry["at"]
    assert isinstance(at, datetime)
    fields = [_utc(at).isoformat(timespec="microseconds")]
    fields += [str(entry[name]) for name in FIELDS[1:]]
    text = previous + "\n" + json.dumps(fields, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def audit(conn: Connection, username: str, action: str, target: str = "", detail: str = "",
          remote_addr: str = "") -> None:
    """Append one entry to the audit log, chained to the newest one."""
    count = update(audit_head).values(entries=audit_head.c.entries + 1)
    if not conn.execute(count).rowcount:  # the first entry: make the head, then lock it
        conn.execute(_insert_ignore(conn).values(id=1, entries=0, hash=GENESIS))
        conn.execute(count)
    previous = str(conn.scalar(select(audit_head.c.hash)))
    entry: dict[str, object] = {
        "at": datetime.now(UTC), "username": username[:64], "action": action,
        "target": target[:200], "detail": detail, "remote_addr": remote_addr[:64]}
    digest = chain_hash(previous, entry)
    conn.execute(insert(audit_log).values(**entry, chain_hash=digest))
    conn.execute(update(audit_head).values(hash=digest))


def _insert_ignore(conn: Connection) -> Insert:
    """Return an insert into the head that does nothing if another writer made it first."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return cast(Insert, dialect.insert(audit_head).on_conflict_do_nothing())


def audit_entries(conn: Connection, limit: int = 2000) -> list[dict[str, object]]:
    """Return the newest audit log entries, newest first (without their hashes)."""
    columns = [c for c in audit_log.c if c.name != "chain_hash"]
    rows = conn.execute(select(*columns).order_by(audit_log.c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`verify_chain`."""

    entries: int
    head: str
    problem: str = ""  # empty when the log is intact

    @property
    def intact(self) -> bool:
        """Return whether every entry and the head fit together."""
        return not self.problem


def verify_chain(conn: Connection, batch: int = 5_000) -> ChainReport:
    """Recompute the chain over the whole log; report the first entry that does not fit."""
    previous, count, last_id = GENESIS, 0, None
    while True:
        query = select(audit_log).order_by(audit_log.c.id).limit(batch)
        if last_id is not None:
            query = query.where(audit_log.c.id > last_id)
        rows = conn.execute(query).all()
        for row in rows:
            entry = row._mapping
            expected = chain_hash(previous, dict(entry))
            if entry["chain_hash"] != expected:
                return ChainReport(count, previous,
                                   f"entry {entry['id']} ({entry['action']}, {entry['at']}) was"
                                   " changed, or an entry before it was removed or inserted")
            previous, count, last_id = expected, count + 1, entry["id"]
        if len(rows) < batch:
            break
    head = conn.execute(select(audit_head.c.entries, audit_head.c.hash)).first()
    recorded = (head.entries, head.hash) if head else (0, GENESIS)
    if recorded != (count, previous):
        stored = f"{head.entries} entries" if head else "no head"
        return ChainReport(count, previous, f"the log ends after {count} entries but its head"
                           f" records {stored}: the newest entries were removed or the head"
                           " was changed")
    return ChainReport(count, previous)

