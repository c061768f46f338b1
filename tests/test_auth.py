"""Accounts, passwords, roles and scope, sign-in throttling, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from auth.accounts import (
    FREE_FAILURES,
    FREE_FAILURES_PER_ADDRESS,
    MAX_DELAY,
    AccountError,
    add_account,
    authenticate,
    retry_at,
    set_active,
    set_password,
    unlock,
)
from auth.passwords import generate_password, hash_password, policy_problems, verify_password
from auth.scope import Scope, ScopeError
from geodata.registry import Registry
from queries.schema import app_user, audit_log

GOOD = "Kes-bangpol-2026!"


def test_argon2id_hashes() -> None:
    stored = hash_password(GOOD)
    assert stored.startswith("$argon2id$") and GOOD not in stored
    assert verify_password(stored, GOOD)
    assert not verify_password(stored, GOOD + "x")
    assert not verify_password("not a hash", GOOD)


@pytest.mark.parametrize(("password", "problem"), [
    ("Short-1a", "at least 12 characters"),
    ("alllowercaseletters", "three of"),
    ("Password123", "at least 12"),
    ("Laporan-Bulanan-7", ""),
    ("Kemendagri2026!", "not a common password"),
    ("x" * 129 + "A1!", "at most 128"),
])
def test_password_policy(password: str, problem: str) -> None:
    problems = policy_problems(password)
    assert (problem in "; ".join(map(str, problems))) if problem else problems == []


def test_policy_refuses_common_and_username() -> None:
    assert "not a common password" in map(str, policy_problems("Kemendagri"))
    assert "not containing the username" in map(str, policy_problems("jabar-Operator-1", "jabar"))
    assert [p.text("id") for p in policy_problems("abc")] == [
        "minimal 12 karakter", "tiga dari: huruf kecil, huruf besar, angka, karakter lain"]
    for _ in range(20):
        assert policy_problems(generate_password()) == []


def test_scopes() -> None:
    jabar, bandung = Scope("provinsi", "32"), Scope("kabkota", "32.73")
    assert jabar.can_write("32.73.01") and not jabar.can_write("33.01")
    assert jabar.can_verify("32.73") and not jabar.can_verify("32")
    assert bandung.can_write("32.73.01") and not bandung.can_write("32.04")
    assert not bandung.can_verify("32.73.01") and not bandung.can_read_unverified("32.04")
    assert Scope("pusat").can_verify("32") and not Scope("pusat").can_verify("32.73")
    assert not Scope("viewer").can_read_unverified("33") and not Scope("viewer").can_write("33")
    assert Scope("admin").can_verify("32.73.01")
    with pytest.raises(ScopeError, match="kabkota 32.73 may not write 32.04"):
        bandung.require(bandung.can_write("32.04"), "write", "32.04")
    for role, region in (("provinsi", None), ("provinsi", "32.73"), ("kabkota", "32"),
                         ("pusat", "32"), ("root", None)):
        with pytest.raises(ValueError):
            Scope(role, region)


def test_add_account_checks_everything(engine: sa.Engine, registry: Registry) -> None:
    with engine.begin() as conn:
        password = add_account(conn, registry, username="jabar", role="provinsi",
                               region_code="32")
        assert policy_problems(password) == []
    bad = [
        ({"username": "Jabar!"}, "username 'Jabar!'"),
        ({"username": "jabar"}, "is taken"),
        ({"role": "provinsi", "region_code": None}, "needs a provinsi region"),
        ({"role": "kabkota", "region_code": "32"}, "needs a kabkota region"),
        ({"region_code": "99"}, "unknown region code '99'"),
        ({"password": "weak"}, "password needs at least 12 characters"),
    ]
    for changes, message in bad:
        args = {"username": "other", "role": "provinsi", "region_code": "33", **changes}
        with pytest.raises(AccountError, match=message), engine.begin() as conn:
            add_account(conn, registry, **args)  # type: ignore[arg-type]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(app_user.c.username, app_user.c.password_hash)).all()
        actions = conn.scalars(sa.select(audit_log.c.action)).all()
    assert [r.username for r in rows] == ["jabar"]
    assert password not in rows[0].password_hash
    assert actions == ["account.add"]


def _signer(engine: sa.Engine, username: str):  # type: ignore[no-untyped-def]
    def sign_in(password: str, at: datetime, address: str = "10.0.0.1",
                user: str = username) -> str:
        with engine.begin() as conn:
            result = authenticate(conn, user, password, address, now=at)
        return "ok" if result.account else result.reason
    return sign_in


def test_failures_slow_down_one_address_and_never_lock_the_account(
        engine: sa.Engine, registry: Registry) -> None:
    """Finding 3: five wrong passwords locked the account everywhere for 15 minutes."""
    with engine.begin() as conn:
        add_account(conn, registry, username="admin1", role="admin", password=GOOD)
    sign_in = _signer(engine, "admin1")
    t0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert sign_in(GOOD, t0) == "ok"
    at = t0
    for _ in range(FREE_FAILURES):
        at += timedelta(seconds=1)
        assert sign_in("wrong", at) == "wrong"
    # The attacker's address now waits 1 s, then 2 s, 4 s, ... after each failure,
    # and an attempt made while waiting is refused unchecked and does not count.
    assert sign_in(GOOD, at + timedelta(milliseconds=500)) == "locked"
    assert sign_in("wrong", at + timedelta(seconds=1)) == "wrong"
    assert sign_in(GOOD, at + timedelta(seconds=2.5)) == "locked"
    # The right password from another address is never held up.
    assert sign_in(GOOD, at + timedelta(seconds=2), "10.0.0.2") == "ok"
    # Nor from the same address once its short wait is over.
    assert sign_in(GOOD, at + timedelta(seconds=3.1)) == "ok"


def test_the_wait_grows_but_is_bounded(engine: sa.Engine, registry: Registry) -> None:
    with engine.begin() as conn:
        add_account(conn, registry, username="kotabandung", role="kabkota",
                    region_code="32.73", password=GOOD)
    sign_in = _signer(engine, "kotabandung")
    at = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    waits = []
    for _ in range(FREE_FAILURES + 12):
        assert sign_in("wrong", at) == "wrong"
        with engine.connect() as conn:
            until = retry_at(conn, "kotabandung", "10.0.0.1", at)
        wait = until - at if until else timedelta(0)
        if until:
            assert sign_in(GOOD, until - timedelta(milliseconds=1)) == "locked"
        waits.append(wait)
        at += wait
    assert waits[:FREE_FAILURES - 1] == [timedelta(0)] * (FREE_FAILURES - 1)
    assert all(a < b for a, b in zip(waits[FREE_FAILURES:FREE_FAILURES + 4],
                                     waits[FREE_FAILURES + 1:FREE_FAILURES + 5], strict=True))
    assert max(waits) <= MAX_DELAY
    with engine.begin() as conn:
        account = authenticate(conn, "kotabandung", GOOD, now=at + MAX_DELAY).account
    assert account is not None and account.scope == Scope("kabkota", "32.73")


def test_guessing_usernames_slows_only_that_address(engine: sa.Engine,
                                                    registry: Registry) -> None:
    with engine.begin() as conn:
        add_account(conn, registry, username="pusat1", role="pusat", password=GOOD)
    sign_in = _signer(engine, "pusat1")
    at = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    for n in range(FREE_FAILURES_PER_ADDRESS):
        at += timedelta(seconds=1)
        assert sign_in("x", at, "10.9.9.9", user=f"made-up-{n}") == "wrong"
    assert sign_in(GOOD, at + timedelta(milliseconds=500), "10.9.9.9") == "locked"
    assert sign_in(GOOD, at + timedelta(milliseconds=500), "10.0.0.7") == "ok"


def test_unlock_forgets_the_failures(engine: sa.Engine, registry: Registry) -> None:
    with engine.begin() as conn:
        add_account(conn, registry, username="jatim", role="provinsi", region_code="35",
                    password=GOOD)
    sign_in = _signer(engine, "jatim")
    at = datetime.now(UTC)
    for _ in range(FREE_FAILURES):
        assert sign_in("wrong", at) == "wrong"
    assert sign_in(GOOD, at + timedelta(seconds=0.5)) == "locked"
    with engine.begin() as conn:
        assert unlock(conn, "jatim", by="admin") == FREE_FAILURES
        with pytest.raises(AccountError, match="name an account, an address or both"):
            unlock(conn)
        actions = conn.scalars(sa.select(audit_log.c.action)).all()
    assert sign_in(GOOD, at + timedelta(seconds=0.5)) == "ok"
    assert "signin.unlock" in actions and "signin.throttled" in actions


def test_unknown_and_inactive_accounts(engine: sa.Engine, registry: Registry) -> None:
    with engine.begin() as conn:
        add_account(conn, registry, username="pengamat", role="viewer", password=GOOD)
        set_active(conn, "pengamat", False, by="admin")
        assert authenticate(conn, "pengamat", GOOD).reason == "wrong"
        assert authenticate(conn, "nobody", GOOD).reason == "wrong"
        set_active(conn, "pengamat", True, by="admin")
        assert authenticate(conn, "pengamat", GOOD).account is not None
        new = set_password(conn, "pengamat", by="admin")
        assert authenticate(conn, "pengamat", GOOD).account is None
        signed = authenticate(conn, "pengamat", new).account
        assert signed is not None and signed.must_change_password
        with pytest.raises(AccountError, match="no account 'ghost'"):
            set_password(conn, "ghost")


def test_user_commands(tmp_path: Path) -> None:
    from cli import main

    env = {"MATA_GARUDA_VAR_DIR": str(tmp_path), "MATA_GARUDA_PUBLISHED_DIR": str(tmp_path)}
    runner = CliRunner()
    added = runner.invoke(main, ["user", "add", "jabar", "--role", "provinsi", "--region", "32"],
                          env=env)
    assert added.exit_code == 0, added.output
    password = added.stdout.split(": ", 1)[1].strip()
    assert policy_problems(password) == []
    listed = runner.invoke(main, ["user", "list"], env=env)
    assert "jabar" in listed.output and "provinsi" in listed.output and "32" in listed.output
    refused = runner.invoke(main, ["user", "add", "x", "--role", "kabkota"], env=env)
    assert refused.exit_code != 0 and "username 'x'" in refused.output
    again = runner.invoke(main, ["user", "reset-password", "jabar"], env=env)
    assert again.exit_code == 0 and password not in again.output
    off = runner.invoke(main, ["user", "deactivate", "jabar"], env=env)
    assert off.exit_code == 0 and "signed out everywhere" in off.output
    assert "inactive" in runner.invoke(main, ["user", "list"], env=env).output
    on = runner.invoke(main, ["user", "activate", "jabar"], env=env)
    assert on.exit_code == 0 and "inactive" not in runner.invoke(main, ["user", "list"],
                                                                 env=env).output
    ghost = runner.invoke(main, ["user", "deactivate", "ghost"], env=env)
    assert ghost.exit_code != 0 and "no account 'ghost'" in ghost.output
    unlocked = runner.invoke(main, ["user", "unlock", "jabar"], env=env)
    assert unlocked.exit_code == 0 and "0 failed sign-in(s) forgotten" in unlocked.output
    verified = runner.invoke(main, ["audit", "verify"], env=env)
    assert verified.exit_code == 0 and "audit log intact: 5 entries" in verified.output
