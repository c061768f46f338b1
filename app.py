"""Mata Garuda: the Dash application factory. ``python app.py`` serves it."""

from __future__ import annotations

import logging
from typing import Any

import dash
import flask
from dash import ALL, ClientsideFunction, Dash, Input, Output
from flask_caching import Cache
from flask_talisman import Talisman
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

import ids
from auth.web import csrf_token, current_account, init_auth
from components.shell import account_menu, shell
from components.status import notice
from export.http import export_blueprint
from geodata.boundaries import available_levels
from geodata.http import boundaries_blueprint
from geodata.registry import load_registry
from geodata.serve import BoundaryStore
from i18n import t
from queries.catalogue import Indicator, load_catalogue_file, read_catalogue
from queries.db import check_not_newer, make_engine
from services import EXTENSION, Services, language, services
from settings import PROJECT_ROOT, Settings

log = logging.getLogger("mata_garuda")


def _cache_config(settings: Settings) -> dict[str, Any]:
    if settings.redis_url:
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": settings.redis_url,
                "CACHE_KEY_PREFIX": "mata-garuda:", "CACHE_DEFAULT_TIMEOUT": 3600}
    return {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 3600}


def _layout() -> Any:
    lang = language()
    content: list[Any] = []
    if not available_levels(services().settings.boundaries_dir):
        content.append(notice(t("nodata.title", lang), t("boundaries.missing", lang), "red"))
    content.append(dash.page_container)
    account = current_account()
    menu = account_menu(lang, account.display_name if account else None,
                        account.role if account else None, csrf_token())
    return shell(lang, content, menu, account.role if account else None)


def _catalogue(engine: Engine) -> dict[str, Indicator]:
    """Read the catalogue from the database; before the first set-up, from the file.

    A database that a newer version of the code has upgraded stops the start
    (:class:`~queries.db.SchemaTooNewError`); one that does not answer yet does not.
    """
    try:
        check_not_newer(engine)
        with engine.connect() as conn:
            catalogue = read_catalogue(conn)
    except SQLAlchemyError:
        catalogue = {}
    return catalogue or load_catalogue_file()


def create_app(settings: Settings) -> Dash:
    """Build the dashboard for ``settings``: server, pages, services, boundaries route."""
    server = flask.Flask(__name__)
    settings.prepare_var_dir()
    server.secret_key = settings.resolved_secret_key()
    registry = load_registry()
    engine = make_engine(settings.db_url, pool_pre_ping=True)
    server.extensions[EXTENSION] = Services(
        settings=settings,
        engine=engine,
        registry=registry,
        catalogue=_catalogue(engine),
        boundaries=BoundaryStore(settings.boundaries_dir, registry),
        cache=Cache(server, config=_cache_config(settings)),
    )
    server.register_blueprint(boundaries_blueprint(server.extensions[EXTENSION].boundaries))
    server.register_blueprint(export_blueprint())
    init_auth(server, engine, public_view=settings.public_view, language=language)

    @server.get("/health")
    def health() -> flask.Response:
        levels = available_levels(settings.boundaries_dir)
        return flask.jsonify(status="ok", boundaries=levels)

    app = Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder=str(PROJECT_ROOT / "pages"),
        assets_folder=str(PROJECT_ROOT / "assets"),
        compress=True,
        suppress_callback_exceptions=True,
        title="Mata Garuda",
        update_title=None,
    )
    app.layout = _layout
    app.clientside_callback(
        ClientsideFunction(namespace="mataGaruda", function_name="setLanguage"),
        Output(ids.SHELL_LANG_STORE, "data", allow_duplicate=True),
        Input(ids.SHELL_LANG, "value"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(namespace="mataGaruda", function_name="togglePresentation"),
        Output(ids.SHELL_PRESENT, "variant"),
        Input(ids.SHELL_PRESENT, "n_clicks"),
    )
    app.clientside_callback(
        ClientsideFunction(namespace="mataGaruda", function_name="activeNav"),
        Output({"type": ids.SHELL_NAV, "path": ALL}, "active"),
        Input("_pages_location", "pathname"),
    )
    _init_headers(app, settings)
    return app


CSP = {
    "default-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],  # Mantine and Leaflet set inline styles
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def _init_headers(app: Dash, settings: Settings) -> None:
    """Send the security headers with every response.

    Flask-Talisman sends X-Frame-Options, nosniff, Referrer-Policy and, on HTTPS
    requests, HSTS, and marks cookies secure in production. The Content-Security-Policy
    allows scripts only from the app itself plus Dash's inline scripts by hash (no eval,
    no other inline code); it is written per response because Dash adds inline scripts
    of its own (page routing, titles) at the first request.
    """
    Talisman(app.server, force_https=False, frame_options="DENY",
             content_security_policy=None, referrer_policy="strict-origin-when-cross-origin",
             session_cookie_secure=settings.env == "production")
    base = "; ".join(f"{name} {' '.join(values)}" for name, values in CSP.items())

    @app.server.after_request
    def content_security_policy(response: flask.Response) -> flask.Response:
        scripts = " ".join(["'self'", *app.csp_hashes()])
        response.headers["Content-Security-Policy"] = f"{base}; script-src {scripts}"
        return response


def services_of(app: Dash) -> Services:
    """Return the services of an app built by :func:`create_app` (outside a request)."""
    return app.server.extensions[EXTENSION]  # type: ignore[no-any-return]


def main() -> None:
    """Serve the dashboard with settings from the environment."""
    settings = Settings.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = create_app(settings)
    log.info("Mata Garuda at http://%s:%s", settings.host, settings.port)
    app.run(host=settings.host, port=settings.port, debug=False)


if __name__ == "__main__":
    main()
