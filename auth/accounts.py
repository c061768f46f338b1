"""Accounts: add, reset, deactivate, authenticate with throttling; the audit log.

Every function works inside the caller's transaction (a ``Connection`` from
``engine.begin()``), so an action and its audit entry are written together or not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, func, insert, select, update

from auth.passwords import (
    generate_password,
    hash_password,
    needs_rehash,
    policy_problems,
    verify_password,
)
from auth.scope import Scope
from geodata.registry import Registry
from queries.schema import app_user, audit_log, login_attempt

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MAX_FAILURES = 5  # per account within LOCK_WINDOW
MAX_FAILURES_PER_ADDRESS = 20  # per remote address within LOCK_WINDOW, any account
LOCK_WINDOW = timedelta(minutes=15)
# Verified against when the account does not exist, so both cases cost the same time.
_DUMMY_HASH = hash_password("not-a-real-password-0000")


class AccountError(ValueError):
    """A request about an account that cannot be done; the message says why."""


@dataclass(frozen=True)
class Account:
    """A signed-in user as the application sees it."""

    id: int
    username: str
    display_name: str
    role: str
    region_code: str | None
    must_change_password: bool

    @property
    def scope(self) -> Scope:
        """Return what the account may read, write and verify."""
        return Scope(self.role, self.region_code)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: an account, or a reason (``wrong``, ``locked``)."""

    account: Account | None
    reason: str = ""
    locked_until: datetime | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def audit(conn: Connection, username: str, action: str, target: str = "", detail: str = "",
          remote_addr: str = "") -> None:
    """Append one entry to the audit log."""
    conn.execute(insert(audit_log).values(
        at=_now(), username=username, action=action, target=target[:200], detail=detail,
        remote_addr=remote_addr[:64]))


def _account(row: object) -> Account:
    r = row._mapping  # type: ignore[attr-defined]
    return Account(r["id"], r["username"], r["display_name"], r["role"], r["region_code"],
                   r["must_change_password"])


def _new_password(password: str | None, username: str) -> tuple[bool, str]:
    """Return (generated?, password): the given one if it meets the policy, else raise."""
    if password is None:
        return True, generate_password()
    problems = policy_problems(password, username)
    if problems:
        raise AccountError("password needs " + "; ".join(map(str, problems)))
    return False, password


def add_account(conn: Connection, registry: Registry, *, username: str, role: str,
                region_code: str | None = None, display_name: str = "",
                password: str | None = None, by: str = "system") -> str:
    """Create an account; return its password (generated when none is given).

    Raises
    ------
    AccountError
        If the username is malformed or taken, the role or region does not fit, or the
        password breaks the policy.
    """
    if not USERNAME.match(username):
        raise AccountError(f"username {username!r}: 3-64 lower-case letters, digits, '.', '_'"
                           " or '-', starting with a letter or digit")
    if region_code is not None and region_code not in registry:
        raise AccountError(f"unknown region code {region_code!r}")
    try:
        Scope(role, region_code)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    if conn.scalar(select(app_user.c.id).where(app_user.c.username == username)) is not None:
        raise AccountError(f"username {username!r} is taken")
    generated, password = _new_password(password, username)
    now = _now()
    conn.execute(insert(app_user).values(
        username=username, display_name=display_name or username,
        password_hash=hash_password(password), role=role, region_code=region_code,
        active=True, must_change_password=generated, created_at=now, password_changed_at=now))
    audit(conn, by, "account.add", username, f"role={role} region={region_code or '-'}")
    return password


def set_password(conn: Connection, username: str, password: str | None = None, *,
                 by: str = "system", must_change: bool | None = None) -> str:
    """Set a new password (generated when none is given); return it.

    A generated password must be changed at the next sign-in.
    """
    if conn.scalar(select(app_user.c.id).where(app_user.c.username == username)) is None:
        raise AccountError(f"no account {username!r}")
    generated, password = _new_password(password, username)
    conn.execute(update(app_user).where(app_user.c.username == username).values(
        password_hash=hash_password(password), password_changed_at=_now(),
        must_change_password=generated if must_change is None else must_change))
    audit(conn, by, "account.password", username, "generated" if generated else "set")
    return password


def set_active(conn: Connection, username: str, active: bool, *, by: str = "system") -> None:
    """Activate or deactivate an account (accounts are never deleted)."""
    done = conn.execute(update(app_user).where(app_user.c.username == username)
                        .values(active=active)).rowcount
    if not done:
        raise AccountError(f"no account {username!r}")
    audit(conn, by, "account.activate" if active else "account.deactivate", username)


def locked_until(conn: Connection, username: str, remote_addr: str,
                 now: datetime | None = None) -> datetime | None:
    """Return until when sign-in is locked for this account or address, or None."""
    now = now or _now()
    since = now - LOCK_WINDOW
    last_success = conn.scalar(select(func.max(login_attempt.c.at)).where(
        login_attempt.c.username == username, login_attempt.c.success.is_(True)))
    start = max(since, _aware(last_success)) if last_success else since
    checks = (
        (login_attempt.c.username == username, start, MAX_FAILURES),
        (login_attempt.c.remote_addr == remote_addr, since, MAX_FAILURES_PER_ADDRESS),
    )
    for condition, after, limit in checks:
        failures = [_aware(at) for (at,) in conn.execute(
            select(login_attempt.c.at).where(condition, login_attempt.c.success.is_(False),
                                             login_attempt.c.at > after)
            .order_by(login_attempt.c.at.desc()).limit(limit))]
        if len(failures) >= limit:
            return failures[0] + LOCK_WINDOW
    return None


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def authenticate(conn: Connection, username: str, password: str, remote_addr: str = "",
                 now: datetime | None = None) -> SignIn:
    """Check a sign-in; record the attempt; lock after repeated failures.

    After five failures for an account (or twenty from one address) within fifteen
    minutes, sign-in is refused, even with the right password, until fifteen minutes
    after the last failure.
    """
    now = now or _now()
    username = username.strip().lower()[:64]
    until = locked_until(conn, username, remote_addr, now)
    if until is not None and until > now:
        audit(conn, username, "signin.locked", username, "", remote_addr)
        return SignIn(None, "locked", until)
    row = conn.execute(select(app_user).where(app_user.c.username == username,
                                              app_user.c.active.is_(True))).first()
    ok = verify_password(row.password_hash if row else _DUMMY_HASH, password) and row is not None
    conn.execute(insert(login_attempt).values(username=username, remote_addr=remote_addr[:64],
                                              at=now, success=ok))
    if not ok or row is None:
        audit(conn, username, "signin.failed", username, "", remote_addr)
        return SignIn(None, "wrong")
    if needs_rehash(row.password_hash):
        conn.execute(update(app_user).where(app_user.c.id == row.id).values(
            password_hash=hash_password(password)))
    audit(conn, username, "signin", username, "", remote_addr)
    return SignIn(_account(row))


def get_account(conn: Connection, account_id: int) -> Account | None:
    """Return the active account with ``account_id``, or None."""
    row = conn.execute(select(app_user).where(app_user.c.id == account_id,
                                              app_user.c.active.is_(True))).first()
    return _account(row) if row else None


def list_accounts(conn: Connection) -> list[dict[str, object]]:
    """Return every account (without password hashes), by username."""
    columns = [c for c in app_user.c if c.name != "password_hash"]
    return [dict(r._mapping) for r in conn.execute(select(*columns).order_by(app_user.c.username))]


def audit_entries(conn: Connection, limit: int = 2000) -> list[dict[str, object]]:
    """Return the newest audit log entries, newest first."""
    rows = conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]
