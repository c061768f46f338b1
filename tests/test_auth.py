"""Accounts, passwords, roles and scope, sign-in throttling, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from auth.accounts import (
    LOCK_WINDOW,
    MAX_FAILURES,
    AccountError,
    add_account,
    authenticate,
    set_active,
    set_password,
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


def test_sign_in_throttles_and_locks(engine: sa.Engine, registry: Registry) -> None:
    with engine.begin() as conn:
        add_account(conn, registry, username="kotabandung", role="kabkota",
                    region_code="32.73", password=GOOD)
    t0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)

    def sign_in(password: str, at: datetime, address: str = "10.0.0.1") -> str:
        with engine.begin() as conn:
            result = authenticate(conn, "kotabandung", password, address, now=at)
        return "ok" if result.account else result.reason

    assert sign_in(GOOD, t0) == "ok"
    for i in range(MAX_FAILURES):
        assert sign_in("wrong", t0 + timedelta(seconds=i + 1)) == "wrong"
    # Locked now, even with the right password, and from another address.
    assert sign_in(GOOD, t0 + timedelta(minutes=1)) == "locked"
    assert sign_in(GOOD, t0 + timedelta(minutes=1), "10.0.0.2") == "locked"
    assert sign_in(GOOD, t0 + LOCK_WINDOW + timedelta(seconds=5)) == "ok"
    with engine.begin() as conn:
        account = authenticate(conn, "KotaBandung ", GOOD, now=t0 + timedelta(hours=1)).account
    assert account is not None and account.scope == Scope("kabkota", "32.73")


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
