"""Mata Garuda: the Dash application factory. ``python app.py`` serves it."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import dash
import flask
from dash import ALL, ClientsideFunction, Dash, Input, Output
from dash._utils import stringify_id
from flask_caching import Cache
from flask_talisman import Talisman
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

import ids
from auth.web import SessionLimits, csrf_token, current_account, init_auth
from components.shell import account_menu, shell
from components.status import notice
from export.http import export_blueprint
from geodata.boundaries import available_levels
from geodata.http import boundaries_blueprint
from geodata.registry import load_registry
from geodata.serve import BoundaryStore
from i18n import LANGUAGES, Message, t
from queries.catalogue import Indicator, load_catalogue_file, read_catalogue
from queries.db import check_not_newer, make_engine
from queries.params import MAX_TEXT, ParameterError, choice
from queries.records import RecordLake
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


def _lake(settings: Settings) -> RecordLake:
    """Return the record lake at ``settings.lake_dir``."""
    from lake.store import Lake

    return Lake(settings.lake_dir)


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
        indicators=_catalogue(engine),
        boundaries=BoundaryStore(settings.boundaries_dir, registry),
        cache=Cache(server, config=_cache_config(settings)),
        lake=_lake(settings),
    )
    server.register_blueprint(boundaries_blueprint(server.extensions[EXTENSION].boundaries))
    server.register_blueprint(export_blueprint())
    if settings.trusted_proxies:
        server.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            server.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies)
    init_auth(server, engine, public_view=settings.public_view, language=language,
              limits=SessionLimits(idle=timedelta(minutes=settings.session_idle_minutes),
                                   absolute=timedelta(hours=settings.session_hours)))

    @server.get("/health")
    def health() -> flask.Response:
        levels = available_levels(settings.boundaries_dir)
        return flask.jsonify(status="ok", boundaries=levels)

    app = MataGaruda(
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
    _init_preloads(app)
    _init_bad_requests(app)
    return app


class MataGaruda(Dash):
    """The Dash app whose map pages carry their first view, drawn by the server."""

    def interpolate_index(self, **kwargs: Any) -> str:
        """Put the first view's map before the element Dash renders the page into."""
        from pages.map import first_view  # registers the page: only once the app exists

        request = flask.request
        kwargs["app_entry"] = first_view(request.path, request.args) + kwargs["app_entry"]
        return super().interpolate_index(**kwargs)


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


def _init_preloads(app: Dash) -> None:
    """Name a map page's boundaries and late scripts in its answer (``Link: preload``)."""
    from pages.map import preloads  # registers the page: only once the app exists

    @app.server.after_request
    def preload(response: flask.Response) -> flask.Response:
        request = flask.request
        if request.method == "GET" and response.status_code == 200 and (
                response.mimetype == "text/html"):
            links = preloads(request.path, request.args)
            if links:
                response.headers["Link"] = ", ".join(links)
        return response


CALLBACK_PATH = "/_dash-update-component"
WILDCARDS = (["ALL"], ["ALLSMALLER"])  # pattern keys that match a list of components


def _init_bad_requests(app: Dash) -> None:
    """Answer input that no page sends with 400 and a message naming it, never 500.

    The parsers of callback arguments and export query strings raise
    :class:`~queries.params.ParameterError`. Dash 4 lets a callback's exception through
    to Flask unchanged (no ``on_error`` is set), so one handler answers both. A callback
    request whose body does not match a server callback is refused before Dash reads it.
    """

    @app.server.errorhandler(ParameterError)
    def bad_parameter(exc: ParameterError) -> flask.Response:
        log.warning("bad request %s %s: %s", flask.request.method, flask.request.path, exc)
        response = flask.jsonify(error=exc.text(language()))
        response.status_code = 400
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.server.before_request
    def check_callback_body() -> None:
        if flask.request.path == CALLBACK_PATH and flask.request.method == "POST":
            check_callback_request(flask.request.get_json(silent=True), app.callback_map)


def check_callback_request(body: object, callback_map: dict[str, Any]) -> None:
    """Check that a callback request's body is shaped as the page's callback ``output``.

    Raises
    ------
    ParameterError
        Naming the first part of the body that is missing or of the wrong shape.
    """

    def bad(name: str, value: object) -> ParameterError:
        return ParameterError(name, value, Message("request.expected.callback"))

    if not isinstance(body, dict):
        raise bad("body", body)
    spec = callback_map.get(body.get("output")) if isinstance(body.get("output"), str) else None
    if spec is None or "callback" not in spec:
        raise bad("output", body.get("output"))
    key = body["output"]
    count = len(key[2:-2].split("...")) if key.startswith("..") else 1
    outputs = body.get("outputs")
    if not (_reference(outputs) if count == 1 else isinstance(outputs, list) and len(
            outputs) == count and all(_reference(o) for o in outputs)):
        raise bad("outputs", outputs)
    given: list[str] = []
    for part in ("inputs", "state"):
        items = body.get(part, [])
        if not isinstance(items, list) or len(items) != len(spec[part]):
            raise bad(part, items)
        for pos, (dep, item) in enumerate(zip(spec[part], items, strict=True)):
            matches = _matches(dep, item)
            if matches is None:
                raise bad(f"{part}[{pos}]", item)
            given += matches
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(c in given for c in changed):
        raise bad("changedPropIds", changed)


def _reference(item: object) -> bool:
    """Return whether ``item`` names an output: an id and a property."""
    return (isinstance(item, dict) and isinstance(item.get("id"), str | dict)
            and isinstance(item.get("property"), str))


def _matches(dep: dict[str, str], item: object) -> list[str] | None:
    """Return the prop ids an input or state ``item`` gives for ``dep``; None if it does not fit.

    A plain dependency takes one component of its id and property; a pattern with
    ``ALL`` a list of components whose ids fill the pattern.
    """
    if not dep["id"].startswith("{"):
        if not (isinstance(item, dict) and item.get("id") == dep["id"]
                and item.get("property") == dep["property"]):
            return None
        _check_shared(dep["id"], dep["property"], item.get("value"))
        return [f"{dep['id']}.{dep['property']}"]
    pattern = json.loads(dep["id"])
    many = any(value in WILDCARDS for value in pattern.values())
    found = item if many and isinstance(item, list) else [item] if not many else None
    if found is None:
        return None
    for one in found:
        id_ = one.get("id") if isinstance(one, dict) else None
        if (not isinstance(id_, dict) or id_.keys() != pattern.keys()
                or one.get("property") != dep["property"]
                or any(id_[k] != want if not isinstance(want, list)
                       else not isinstance(id_[k], str | int | float | bool)
                       for k, want in pattern.items())):
            return None
    return [f"{stringify_id(one['id'])}.{dep['property']}" for one in found]


def _check_shared(id_: str, prop: str, value: object) -> None:
    """Check a value that many callbacks read, or Dash's page router, once for all.

    Raises
    ------
    ParameterError
        For a language other than the app's, or a location that is no text.
    """
    name = f"{id_}.{prop}"
    if (id_, prop) == (ids.SHELL_LANG_STORE, "data"):
        choice(name, value, LANGUAGES)
    elif id_ == "_pages_location" and not isinstance(value, str) and (
            value is not None or prop == "pathname"):
        raise ParameterError(name, value, Message("request.expected.text", limit=MAX_TEXT))


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
