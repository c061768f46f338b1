"""Accounts: add, reset, deactivate, authenticate with throttling.

Every function works inside the caller's transaction (a ``Connection`` from
``engine.begin()``), so an action and its audit entry are written together or not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select, update

from auth.audit import audit
from auth.passwords import (
    generate_password,
    hash_password,
    needs_rehash,
    policy_problems,
    verify_password,
)
from auth.scope import Scope
from geodata.registry import Registry
from queries.schema import app_user, login_attempt

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
# Throttling: failures within WINDOW beyond the free ones make the next attempt wait
# 1, 2, 4, ... seconds, at most MAX_DELAY. Counted per account *from one address* (a
# correct password from elsewhere is never held up) and per address over all accounts
# (guessing many usernames); a success clears the account's count from that address.
WINDOW = timedelta(minutes=15)
FREE_FAILURES = 5  # per account and address
FREE_FAILURES_PER_ADDRESS = 20  # per address, any account
MAX_DELAY = timedelta(minutes=15)
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
    session_generation: int = 0

    @property
    def scope(self) -> Scope:
        """Return what the account may read, write and verify."""
        return Scope(self.role, self.region_code)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: an account, or a reason (``wrong``, ``locked``)."""

    account: Account | None
    reason: str = ""
    retry_at: datetime | None = None  # for ``locked``: the earliest next attempt


def _now() -> datetime:
    return datetime.now(UTC)


def _account(row: object) -> Account:
    r = row._mapping  # type: ignore[attr-defined]
    return Account(r["id"], r["username"], r["display_name"], r["role"], r["region_code"],
                   r["must_change_password"], r["session_generation"])


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


def end_sessions(conn: Connection, username: str) -> int:
    """End every session of the account (raise its session generation); return the new one."""
    generation = conn.scalar(
        update(app_user).where(app_user.c.username == username)
        .values(session_generation=app_user.c.session_generation + 1)
        .returning(app_user.c.session_generation))
    if generation is None:
        raise AccountError(f"no account {username!r}")
    return int(generation)


def set_password(conn: Connection, username: str, password: str | None = None, *,
                 by: str = "system", must_change: bool | None = None,
                 remote_addr: str = "") -> str:
    """Set a new password (generated when none is given) and end every session; return it.

    A generated password must be changed at the next sign-in.
    """
    generated, password = _new_password(password, username)
    end_sessions(conn, username)
    conn.execute(update(app_user).where(app_user.c.username == username).values(
        password_hash=hash_password(password), password_changed_at=_now(),
        must_change_password=generated if must_change is None else must_change))
    audit(conn, by, "account.password", username, "generated" if generated else "set",
          remote_addr)
    return password


def set_active(conn: Connection, username: str, active: bool, *, by: str = "system") -> None:
    """Activate or deactivate an account (accounts are never deleted); end its sessions."""
    end_sessions(conn, username)
    conn.execute(update(app_user).where(app_user.c.username == username).values(active=active))
    audit(conn, by, "account.activate" if active else "account.deactivate", username)


def unlock(conn: Connection, username: str | None = None, remote_addr: str | None = None, *,
           by: str = "system") -> int:
    """Forget the failed sign-ins of an account, an address or both; return how many.

    The failures stay in the audit log; only the throttling forgets them.
    """
    if username is None and remote_addr is None:
        raise AccountError("name an account, an address or both to unlock")
    query = delete(login_attempt).where(login_attempt.c.success.is_(False))
    if username is not None:
        query = query.where(login_attempt.c.username == username)
    if remote_addr is not None:
        query = query.where(login_attempt.c.remote_addr == remote_addr)
    forgotten = conn.execute(query).rowcount
    audit(conn, by, "signin.unlock", username or "", f"address={remote_addr or '-'}"
          f" failures={forgotten}")
    return int(forgotten)


def delay(failures: int, free: int) -> timedelta:
    """Return how long to wait after ``failures`` failures of which ``free`` cost nothing."""
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free, 20)), MAX_DELAY)


def retry_at(conn: Connection, username: str, remote_addr: str,
             now: datetime | None = None) -> datetime | None:
    """Return when the next sign-in to ``username`` from ``remote_addr`` may be tried.

    None when it may be tried now. See :data:`WINDOW` for the rule.
    """
    now = now or _now()
    since = now - WINDOW - MAX_DELAY  # a failure older than that has no wait left
    from_here = login_attempt.c.remote_addr == remote_addr
    last_success = conn.scalar(select(func.max(login_attempt.c.at)).where(
        login_attempt.c.username == username, from_here, login_attempt.c.success.is_(True)))
    checks = (
        (login_attempt.c.username == username,
         max(since, _aware(last_success)) if last_success else since, FREE_FAILURES),
        (from_here, since, FREE_FAILURES_PER_ADDRESS),
    )
    waits = []
    for condition, after, free in checks:
        failures = [_aware(at) for (at,) in conn.execute(
            select(login_attempt.c.at).where(condition, from_here,
                                             login_attempt.c.success.is_(False),
                                             login_attempt.c.at > after)
            .order_by(login_attempt.c.at.desc()).limit(free + 20))]
        if not failures:
            continue
        # The wait after the newest failure depends on the failures in the WINDOW before it.
        newest = failures[0]
        wait = delay(sum(at > newest - WINDOW for at in failures), free)
        if newest + wait > now:
            waits.append(newest + wait)
    return max(waits, default=None)


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def authenticate(conn: Connection, username: str, password: str, remote_addr: str = "",
                 now: datetime | None = None) -> SignIn:
    """Check a sign-in; record the attempt; slow down repeated failures.

    An attempt made before :func:`retry_at` allows is refused without checking the
    password, and is not counted as a failure (so it does not prolong the wait).
    """
    now = now or _now()
    username = username.strip().lower()[:64]
    remote_addr = remote_addr[:64]
    wait_until = retry_at(conn, username, remote_addr, now)
    if wait_until is not None:
        audit(conn, username, "signin.throttled", username,
              f"retry at {wait_until:%H:%M:%S} UTC", remote_addr)
        return SignIn(None, "locked", wait_until)
    row = conn.execute(select(app_user).where(app_user.c.username == username,
                                              app_user.c.active.is_(True))).first()
    ok = verify_password(row.password_hash if row else _DUMMY_HASH, password) and row is not None
    conn.execute(insert(login_attempt).values(username=username, remote_addr=remote_addr,
                                              at=now, success=ok))
    if not ok or row is None:
        audit(conn, username, "signin.failed", username, "", remote_addr)
        return SignIn(None, "wrong")
    if needs_rehash(row.password_hash):
        conn.execute(update(app_user).where(app_user.c.id == row.id).values(
            password_hash=hash_password(password)))
    audit(conn, username, "signin", username, "", remote_addr)
    return SignIn(_account(row))


def check_password(conn: Connection, account_id: int, password: str) -> bool:
    """Return whether ``password`` is the active account's current password."""
    stored = conn.scalar(select(app_user.c.password_hash).where(
        app_user.c.id == account_id, app_user.c.active.is_(True)))
    return verify_password(stored or _DUMMY_HASH, password) and stored is not None


def get_account(conn: Connection, account_id: int) -> Account | None:
    """Return the active account with ``account_id``, or None."""
    row = conn.execute(select(app_user).where(app_user.c.id == account_id,
                                              app_user.c.active.is_(True))).first()
    return _account(row) if row else None


def list_accounts(conn: Connection) -> list[dict[str, object]]:
    """Return every account (without password hashes), by username."""
    columns = [c for c in app_user.c if c.name != "password_hash"]
    return [dict(r._mapping) for r in conn.execute(select(*columns).order_by(app_user.c.username))]
