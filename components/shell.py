"""The application shell: header with name and language switch, navigation, content."""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
from dash import dcc, html

import ids
from components.status import tip
from i18n import t

THEME: dict[str, Any] = {
    "primaryColor": "indigo",
    "fontFamily": "'Inter', 'Segoe UI', system-ui, sans-serif",
    "headings": {"fontFamily": "'Inter', 'Segoe UI', system-ui, sans-serif"},
}


def nav_links(lang: str, role: str | None = None) -> list[dmc.NavLink]:
    """Build the navigation from the page registry (never a hand-kept list).

    A page registered with ``roles`` is listed only for those roles.
    """
    pages = sorted(dash.page_registry.values(), key=lambda p: p.get("order", 99))
    return [
        dmc.NavLink(label=t(p["nav_key"], lang), href=p["relative_path"],
                    id={"type": ids.SHELL_NAV, "path": p["relative_path"]})
        for p in pages
        if p.get("nav_key") and role in p.get("roles", (role,))
    ]


def language_switch(lang: str) -> dmc.SegmentedControl:
    """Return the ID/EN switch; a clientside callback stores the choice in a cookie."""
    return dmc.SegmentedControl(
        id=ids.SHELL_LANG, value=lang, size="xs",
        data=[{"value": "id", "label": "ID"}, {"value": "en", "label": "EN"}],
        attributes={"aria-label": t("lang.label", lang)},
    )


def account_menu(lang: str, name: str | None, role: str | None, csrf: str) -> html.Div:
    """Return the signed-in account with a sign-out button, or a sign-in link."""
    if name is None:
        return html.Div(dmc.Anchor(t("shell.signin", lang), href="/masuk"), className="account")
    return html.Div([
        dmc.Text(f"{name} · {t('role.' + (role or 'viewer'), lang)}", size="sm",
                 className="account-name"),
        html.Form([
            dcc.Input(type="hidden", name="csrf_token", value=csrf),
            html.Button(t("shell.signout", lang), type="submit", className="signout"),
        ], method="POST", action="/keluar"),
    ], className="account")


def shell(lang: str, content: Any, account: html.Div | None = None,
          role: str | None = None) -> dmc.MantineProvider:
    """Wrap ``content`` in the header (with ``account``), the ``role``'s navigation, theme."""
    header = dmc.Group(
        [
            dmc.Group([
                html.Img(src=dash.get_asset_url("garuda.svg"), height=32, alt=""),
                html.Div([
                    dmc.Title("Mata Garuda", order=3, className="shell-title"),
                    dmc.Text(t("app.tagline", lang), size="xs", c="dimmed"),
                ]),
            ], gap="sm"),
            dmc.Group([
                tip(dmc.ActionIcon(
                    html.Img(src=dash.get_asset_url("present.svg"), width=20, height=20,
                             alt=t("shell.present", lang)),
                    id=ids.SHELL_PRESENT, variant="default", size="lg"),
                    t("shell.present", lang), "below end"),
                language_switch(lang),
                account,
            ], gap="xs"),
        ],
        justify="space-between", h="100%", px="md",
    )
    return dmc.MantineProvider(
        dmc.AppShell(
            [
                dcc.Store(id=ids.SHELL_LANG_STORE, data=lang),
                dmc.AppShellHeader(header),
                dmc.AppShellNavbar(nav_links(lang, role), p="xs"),
                dmc.AppShellMain(content),
            ],
            header={"height": 60},
            navbar={"width": 170, "breakpoint": "sm", "collapsed": {"mobile": True}},
            padding="sm",
        ),
        theme=THEME,
    )
