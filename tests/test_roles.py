"""The roles a page is registered with decide its layout, its callbacks and its export.

tests/test_access.py writes the expected outcome of every role out by hand; here the
expectation is read from the declaration (``dash.register_page(..., roles=...)``), so a
guard that forgets the declaration (a hard-coded role list, a missing check) fails even
where both happen to agree today. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import dash
import pytest

import ids
from auth.scope import ROLES
from tests.test_access import ACCOUNTS, INDICATOR, PAGE_MARK, PERIOD, Site, page_text, post, site
from tests.test_access import value as v
from tests.test_entry_page import COMPLETENESS_OUTPUTS

__all__ = ["site"]
USERNAME = {role: name for name, (role, _region) in ACCOUNTS.items()}
LANG = v(ids.SHELL_LANG_STORE, "data", "id")
# A callback of every page that refuses by role, as the page would send it.
CALLBACKS = {
    "/audit": ([(ids.AUDIT_GRID, "rowData")], [LANG], [], None),
    "/kelengkapan": (COMPLETENESS_OUTPUTS,
                     [v(ids.COMPLETENESS_INDICATOR, "value", INDICATOR),
                      v(ids.COMPLETENESS_PERIOD, "value", PERIOD),
                      v(ids.COMPLETENESS_LEVEL, "value", "provinsi"), LANG], [], None),
    "/unggah": ([(ids.UPLOAD_DOWNLOAD, "data")],
                [v(ids.UPLOAD_XLSX, "n_clicks", None), v(ids.UPLOAD_CSV, "n_clicks", 1)],
                [v(ids.UPLOAD_INDICATOR, "value", INDICATOR),
                 v(ids.UPLOAD_PERIOD, "value", PERIOD), LANG], [f"{ids.UPLOAD_CSV}.n_clicks"]),
}
EXPORTS = ("/isian", "/kelengkapan", "/audit")  # /ekspor/<page> follows the page's roles


def declared() -> dict[str, tuple[str, ...]]:
    """Return the registered pages that are for some roles only: path -> roles.

    A page for every role (/catatan: every signed-in account, its region scope deciding
    what each sees, tests/test_records.py) is not restricted by role.
    """
    return {p["path"]: tuple(p["roles"]) for p in dash.page_registry.values()
            if "roles" in p and set(p["roles"]) != set(ROLES)}


def test_every_restricted_page_is_checked_here(site: Site) -> None:
    assert set(declared()) == set(PAGE_MARK) == {*CALLBACKS, "/isian"}
    assert set(EXPORTS) <= set(declared())
    assert all(set(roles) < set(ROLES) for roles in declared().values())


@pytest.mark.parametrize("role", ROLES)
def test_pages_follow_their_declared_roles(site: Site, role: str) -> None:
    client = site.clients[USERNAME[role]]
    for path, roles in declared().items():
        status, text = page_text(client, path)
        assert status == 200
        assert (PAGE_MARK[path] in text) == (role in roles), (role, path)


@pytest.mark.parametrize("role", ROLES)
def test_callbacks_follow_their_page_roles(site: Site, role: str) -> None:
    client = site.clients[USERNAME[role]]
    for path, (outputs, inputs, state, changed) in CALLBACKS.items():
        status, body = post(client, outputs, inputs, state, changed)
        assert status == (200 if role in declared()[path] else 403), (role, path, body)


@pytest.mark.parametrize("role", ROLES)
def test_exports_follow_their_page_roles(site: Site, role: str) -> None:
    client = site.clients[USERNAME[role]]
    for path in EXPORTS:
        response = client.get(f"/ekspor{path}.csv?indikator={INDICATOR}")
        assert response.status_code == (200 if role in declared()[path] else 403), (role, path)
