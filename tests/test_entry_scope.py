"""Every action of the write path checks its own scope rule, not only the read scope.

Issue 10, finding 14: with ``allowed=True`` in ``submit`` a viewer could submit another
office's draft and no test noticed, because the read check happened to stop regional
roles. Each refusal here must come from the action's own check ("may not <action>"),
and nothing may be written.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from auth.accounts import Account
from auth.scope import ScopeError
from geodata.registry import Registry
from ingest.entry import (
    Target,
    act,
    reject,
    restore,
    save_draft,
    submit,
    verify,
    withdraw,
)
from queries.catalogue import read_catalogue
from queries.schema import audit_log, observation
from tests.tiny import BANDUNG, BOGOR, JABAR, JATENG, VIEWER


@pytest.fixture
def submitted(engine: sa.Engine, registry: Registry) -> Target:
    """Kota Bandung's value: version 1 draft, version 2 submitted."""
    with engine.begin() as conn:
        target = Target(read_catalogue(conn)["turnout_pilkada"], "32.73", 2024)
        v1 = save_draft(conn, registry, BANDUNG, target, 71.5, base_version=None)
        submit(conn, BANDUNG, target, base_version=v1)
    return target


def _counts(engine: sa.Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.scalar(sa.select(sa.func.count()).select_from(observation)) or 0,
                conn.scalar(sa.select(sa.func.count()).select_from(audit_log)) or 0)


def _run(conn: sa.Connection, registry: Registry, account: Account, target: Target,
         action: str) -> None:
    if action == "write":
        save_draft(conn, registry, account, target, 70.0, base_version=2)
    elif action == "submit":
        submit(conn, account, target, base_version=2)
    elif action == "verify":
        verify(conn, account, target, base_version=2)
    elif action == "reject":
        reject(conn, account, target, base_version=2, comment="periksa lagi")
    elif action == "withdraw":
        withdraw(conn, account, target, base_version=2, reason="salah isi")
    else:
        restore(conn, registry, account, target, from_version=1, base_version=2)


@pytest.mark.parametrize(("account", "action"), [
    (VIEWER, "write"), (VIEWER, "submit"), (VIEWER, "verify"), (VIEWER, "reject"),
    (VIEWER, "withdraw"), (VIEWER, "restore"),
    (JATENG, "write"), (JATENG, "submit"), (JATENG, "verify"), (JATENG, "reject"),
    (JATENG, "withdraw"),
    (BOGOR, "write"), (BOGOR, "submit"), (BOGOR, "verify"), (BOGOR, "withdraw"),
    (BANDUNG, "verify"), (BANDUNG, "reject"),  # an office never verifies its own value
], ids=lambda v: v.username if isinstance(v, Account) else v)
def test_each_action_refuses_by_its_own_rule(engine: sa.Engine, registry: Registry,
                                             submitted: Target, account: Account,
                                             action: str) -> None:
    before = _counts(engine)
    with engine.begin() as conn, pytest.raises(ScopeError) as refused:
        _run(conn, registry, account, submitted, action)
    # the action's own check, before anything is read: "viewer may not submit 32.73"
    assert f"may not {'write' if action == 'restore' else action} 32.73" in str(refused.value)
    assert _counts(engine) == before


def test_the_grid_applies_the_same_rule(engine: sa.Engine, registry: Registry,
                                        submitted: Target) -> None:
    before = _counts(engine)
    for account, action in ((BOGOR, "submit"), (VIEWER, "submit"), (BANDUNG, "verify")):
        with engine.begin() as conn, pytest.raises(ScopeError, match=f"may not {action} 32.73"):
            act(conn, registry, account, submitted.indicator, 2024, action,
                [{"code": "32.73", "version": 2}])
    assert _counts(engine) == before
    with engine.begin() as conn:
        assert act(conn, registry, JABAR, submitted.indicator, 2024, "verify",
                   [{"code": "32.73", "version": 2}]) == 1
