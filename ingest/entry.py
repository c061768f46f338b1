"""Values entered by Kesbangpol offices: draft, submit, verify, reject, withdraw, restore.

Every action adds a version (who, when, value, status, reason); nothing is updated or
deleted. The region scope is checked here, below any page or callback. An action names
the version it was based on: when someone else changed the value since, it fails with
:class:`ConflictError` and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError

from auth.accounts import Account
from auth.audit import audit
from auth.scope import Scope
from geodata.registry import LEVELS, Registry, level_of
from i18n import Message, MessageError
from ingest.tidy import parse_value
from presentation.text import TextError, clean_text
from queries.catalogue import Indicator
from queries.schema import observation

SOURCE_KIND = "entry"
STATUSES = ("draft", "submitted", "verified", "rejected", "withdrawn")
MAX_REASON = 2000


class EntryError(MessageError):
    """An entry that cannot be made; the message names what is wrong."""


class ConflictError(EntryError):
    """The value changed since the version the action was based on."""

    def __init__(self, current: EntryVersion | None) -> None:
        self.current = current
        if current is None:
            super().__init__(Message("entry.conflict.race"))
            return
        super().__init__(Message(
            "entry.conflict", by=current.recorded_by, at=f"{current.recorded_at:%Y-%m-%d %H:%M}",
            version=current.version, status=Message(f"status.{current.status}")))


@dataclass(frozen=True)
class EntryVersion:
    """One version of an entered value."""

    version: int
    value: float
    status: str
    reason: str
    recorded_by: str
    recorded_at: datetime
    source: str  # the office that entered the value


def history(conn: Connection, scope: Scope, indicator_id: str, code: str,
            period: int) -> list[EntryVersion]:
    """Return every version of an entered value, oldest first.

    Raises
    ------
    auth.scope.ScopeError
        If the user may not read unverified values of ``code``
        (:meth:`~auth.scope.Scope.can_read_unverified`).
    """
    scope.require(scope.can_read_unverified(code), "read", code)
    o = observation.c
    rows = conn.execute(
        select(o.version, o.value, o.status, o.reason, o.recorded_by, o.recorded_at, o.source)
        .where(o.indicator_id == indicator_id, o.region_code == code, o.period == period,
               o.source_kind == SOURCE_KIND)
        .order_by(o.version)
    ).all()
    return [EntryVersion(*row) for row in rows]


def current(conn: Connection, scope: Scope, indicator_id: str, code: str,
            period: int) -> EntryVersion | None:
    """Return the newest version of an entered value, or None."""
    versions = history(conn, scope, indicator_id, code, period)
    return versions[-1] if versions else None


def no_period(indicator: Indicator, period: int) -> Message:
    """Return the message for a period ``indicator`` does not have."""
    return Message("entry.no_period", indicator=indicator.id, period=period,
                   periods=", ".join(map(str, indicator.periods)))


@dataclass(frozen=True)
class Target:
    """Which value an action is about."""

    indicator: Indicator
    code: str
    period: int


def _check_target(target: Target, registry: Registry) -> None:
    ind, code = target.indicator, target.code
    if code not in registry:
        raise EntryError(Message("entry.unknown_code", code=code))
    if LEVELS.index(level_of(code)) > LEVELS.index(ind.lowest_level):
        raise EntryError(Message("entry.not_defined_below", indicator=ind.id,
                                 level=ind.lowest_level))
    if target.period not in ind.periods:
        raise EntryError(no_period(ind, target.period))


def _clean(text: str, field: Message) -> str:
    """Return a typed reason or comment normalised, or refuse it (:func:`clean_text`)."""
    try:
        return clean_text(text, field, multiline=True)
    except TextError as exc:
        raise EntryError(exc.message) from None


def _append(conn: Connection, account: Account, target: Target, *, value: float, status: str,
            reason: str, base_version: int | None, remote_addr: str,
            source: str | None = None) -> int:
    """Write the next version after ``base_version``; fail on a conflict."""
    reason = _clean(reason, Message("isian.reason"))
    if len(reason) > MAX_REASON:
        raise EntryError(Message("entry.reason_too_long", n=len(reason), limit=MAX_REASON))
    o = observation.c
    where = (o.indicator_id == target.indicator.id, o.region_code == target.code,
             o.period == target.period, o.source_kind == SOURCE_KIND)
    newest = conn.scalar(select(func.max(o.version)).where(*where))
    if newest != base_version:
        raise ConflictError(current(conn, Scope("admin"), target.indicator.id, target.code,
                                    target.period))
    version = (newest or 0) + 1
    # No savepoint: a conflict fails the caller's whole transaction, which is what we want
    # (and pysqlite's savepoints would commit on release outside an explicit BEGIN).
    try:
        conn.execute(insert(observation).values(
            indicator_id=target.indicator.id, region_code=target.code, period=target.period,
            value=value, source_kind=SOURCE_KIND, status=status, version=version,
            source=(source or account.display_name)[:200], source_url="", note="",
            provenance=f"entry by {account.username}", recorded_by=account.username,
            recorded_at=datetime.now(UTC), reason=reason))
    except IntegrityError:  # another transaction wrote this version first
        raise ConflictError(None) from None
    audit(conn, account.username, f"entry.{status}",
          f"{target.indicator.id} {target.code} {target.period}",
          f"version {version} value {value!r} {reason}".strip(), remote_addr)
    return version


def save_draft(conn: Connection, registry: Registry, account: Account, target: Target,
               value: float, *, base_version: int | None, reason: str = "",
               remote_addr: str = "") -> int:
    """Enter or correct a value as a draft; return its version."""
    scope = account.scope
    scope.require(scope.can_write(target.code), "write", target.code)
    _check_target(target, registry)
    if value != value:
        raise EntryError(Message("entry.not_number", value=repr(value)))
    if not target.indicator.in_range(value):
        raise EntryError(Message("entry.out_of_range", value=f"{value:g}",
                                 indicator=target.indicator.id,
                                 range=target.indicator.range_message()))
    return _append(conn, account, target, value=value, status="draft", reason=reason,
                   base_version=base_version, remote_addr=remote_addr)


def _transition(conn: Connection, account: Account, target: Target, *, allowed: bool,
                action: str, status: str, from_statuses: tuple[str, ...],
                base_version: int | None, reason: str, remote_addr: str) -> int:
    account.scope.require(allowed, action, target.code)
    now = current(conn, account.scope, target.indicator.id, target.code, target.period)
    if now is None or now.version != base_version:
        raise ConflictError(now)
    if now.status not in from_statuses:
        raise EntryError(Message(
            "entry.wrong_status", action=Message(f"entry.action.{action}"),
            status=Message(f"status.{now.status}"),
            allowed=tuple(Message(f"status.{s}") for s in from_statuses)))
    return _append(conn, account, target, value=now.value, status=status, reason=reason,
                   base_version=base_version, remote_addr=remote_addr, source=now.source)


def submit(conn: Connection, account: Account, target: Target, *, base_version: int,
           remote_addr: str = "") -> int:
    """Submit a draft for verification."""
    return _transition(conn, account, target, allowed=account.scope.can_write(target.code),
                       action="submit", status="submitted", from_statuses=("draft",),
                       base_version=base_version, reason="", remote_addr=remote_addr)


def verify(conn: Connection, account: Account, target: Target, *, base_version: int,
           remote_addr: str = "") -> int:
    """Verify a submitted value (the province for its kab/kota, pusat for provinces)."""
    return _transition(conn, account, target, allowed=account.scope.can_verify(target.code),
                       action="verify", status="verified", from_statuses=("submitted",),
                       base_version=base_version, reason="", remote_addr=remote_addr)


def reject(conn: Connection, account: Account, target: Target, *, base_version: int,
           comment: str, remote_addr: str = "") -> int:
    """Send a submitted value back with a comment saying what to fix."""
    if not comment.strip():
        raise EntryError(Message("entry.reject_comment"))
    comment = _clean(comment.strip(), Message("isian.comment"))
    return _transition(conn, account, target, allowed=account.scope.can_verify(target.code),
                       action="reject", status="rejected", from_statuses=("submitted",),
                       base_version=base_version, reason=comment,
                       remote_addr=remote_addr)


def withdraw(conn: Connection, account: Account, target: Target, *, base_version: int,
             reason: str, remote_addr: str = "") -> int:
    """Mark a value withdrawn (it stays in the history; nothing is deleted)."""
    if not reason.strip():
        raise EntryError(Message("entry.withdraw_reason"))
    return _transition(conn, account, target, allowed=account.scope.can_write(target.code),
                       action="withdraw", status="withdrawn",
                       from_statuses=("draft", "submitted", "verified", "rejected"),
                       base_version=base_version, reason=reason.strip(),
                       remote_addr=remote_addr)


def restore(conn: Connection, registry: Registry, account: Account, target: Target, *,
            from_version: int, base_version: int, reason: str = "",
            remote_addr: str = "") -> int:
    """Bring back the value of an earlier version as a new draft."""
    account.scope.require(account.scope.can_write(target.code), "write", target.code)
    versions = history(conn, account.scope, target.indicator.id, target.code, target.period)
    old = next((v for v in versions if v.version == from_version), None)
    if old is None:
        raise EntryError(Message("entry.no_version", version=from_version,
                                 indicator=target.indicator.id, code=target.code,
                                 period=target.period))
    return save_draft(conn, registry, account, target, old.value, base_version=base_version,
                      reason=reason or f"restored version {from_version}",
                      remote_addr=remote_addr)


ACTIONS = ("save", "submit", "verify", "reject")


def act(conn: Connection, registry: Registry, account: Account, indicator: Indicator,
        period: int, action: str, rows: list[dict[str, object]], *, comment: str = "",
        remote_addr: str = "") -> int:
    """Apply one action to several rows of the entry grid, all or nothing; return how many.

    ``save`` writes rows whose ``new_value`` is set (a draft each); the others act on the
    listed rows. Every row carries the ``version`` it was shown at, so a value changed
    meanwhile raises :class:`ConflictError` and the caller's transaction rolls back.
    """
    if action not in ACTIONS:
        raise EntryError(Message("entry.unknown_action", action=action))
    done = 0
    # A fixed order: two batches over the same rows never wait on each other crosswise.
    for row in sorted(rows, key=lambda r: str(r["code"])):
        target = Target(indicator, str(row["code"]), period)
        base = row.get("version")
        base_version = int(str(base)) if base is not None else None
        if action == "save":
            value, problem = parse_value(row.get("new_value"), None)
            if problem is not None:
                raise EntryError(Message("entry.at_code", code=row["code"], problem=problem))
            if value is None:
                continue
            try:
                reason = _clean(str(row.get("reason") or ""), Message("isian.reason"))
            except EntryError as exc:
                raise EntryError(Message("entry.at_code", code=row["code"],
                                         problem=exc.message)) from None
            save_draft(conn, registry, account, target, value, base_version=base_version,
                       reason=reason, remote_addr=remote_addr)
        elif base_version is None:
            raise EntryError(Message("entry.at_code", code=row["code"],
                                     problem=Message("entry.nothing_yet")))
        elif action == "submit":
            submit(conn, account, target, base_version=base_version, remote_addr=remote_addr)
        elif action == "verify":
            verify(conn, account, target, base_version=base_version, remote_addr=remote_addr)
        else:
            reject(conn, account, target, base_version=base_version, comment=comment,
                   remote_addr=remote_addr)
        done += 1
    return done
