"""Sign-in for the web app: flask-login sessions, the sign-in page, CSRF protection.

Every request needs a signed-in account, except the sign-in page, static files and
``/health``; with ``MATA_GARUDA_PUBLIC_VIEW`` an anonymous visitor may also read (GET
pages and boundaries, and Dash's read-only callbacks). Every state-changing request
(POST, PUT, PATCH, DELETE), Dash callbacks included, must carry the session's CSRF
token: forms in a hidden field, scripts in the ``X-CSRFToken`` header, which
``assets/csrf.js`` adds from the ``mg_csrf`` cookie (double submit).

A session is ended by sign-out, a password change, a reset or a deactivation of its
account (each raises the account's session generation, checked on every request, so all
of the account's sessions end at once, on every server process), after ``idle`` without
a request and ``absolute`` after sign-in (:class:`SessionLimits`).

Refusals (403), CSRF failures, sign-ins, sign-outs and password changes go to the audit
log with the account and the client's address. Behind a reverse proxy, the address is
taken from ``X-Forwarded-For`` as set by the ``trusted_proxies`` nearest proxies
(``MATA_GARUDA_TRUSTED_PROXIES``); without that setting the header is ignored.

A page registered with ``roles`` is for those roles only: :func:`page_account` for its
layout, :func:`require_page_account` for its callbacks and its export.
"""

from __future__ import annotations

import hmac
import html
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from urllib.parse import quote, urlsplit

import dash
import flask
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from sqlalchemy import Engine

from auth.accounts import (
    Account,
    authenticate,
    check_password,
    end_sessions,
    get_account,
    set_password,
)
from auth.audit import audit
from auth.passwords import MIN_LENGTH, policy_problems, policy_rules
from auth.scope import ScopeError
from i18n import TEXTS
from i18n import t as translate

log = logging.getLogger("mata_garuda.auth")
CSRF_COOKIE = "mg_csrf"
CSRF_HEADER = "X-CSRFToken"
CSRF_FIELD = "csrf_token"
# A request renews the session's last-seen time when it is older than this part of the
# idle limit (not on every request, so the cookie is not re-sent with each callback).
RENEW_PART = 30
OPEN_PREFIXES = ("/masuk", "/sandi", "/assets/", "/_dash-component-suites/", "/health",
                 "/_favicon.ico", "/favicon.ico")
# Dash posts its callbacks here; for an anonymous public view these only read.
READ_ONLY_POSTS = ("/_dash-update-component",)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _texts(lang: str) -> dict[str, str]:
    """Return the sign-in pages' texts (``signin.*`` in the catalogue) by short key."""
    return {key.removeprefix("signin."): translate(key, lang) for key in TEXTS
            if key.startswith("signin.")}


@dataclass(frozen=True)
class SessionLimits:
    """How long a session lasts: ``idle`` without a request, ``absolute`` after sign-in."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=8)


def _clock() -> float:
    return time.time()


class SignInRequired(PermissionError):
    """A request that needs a signed-in account, made without one."""


class SessionUser(UserMixin):  # type: ignore[misc]
    """The flask-login user: an :class:`Account` kept for the request."""

    def __init__(self, account: Account) -> None:
        self.account = account

    def get_id(self) -> str:
        """Return the account id as flask-login stores it in the session."""
        return str(self.account.id)


def current_account() -> Account | None:
    """Return the signed-in account of the request, or None (anonymous)."""
    user = current_user
    return user.account if getattr(user, "is_authenticated", False) else None


def page_roles(page: str) -> tuple[str, ...]:
    """Return the roles a page is for: the ``roles`` of its ``dash.register_page``.

    ``page`` is the page module's name (``pages.audit``). The page's layout, its callbacks
    and its export all ask this, so a page's roles are declared once, where it is
    registered (the navigation lists the page for the same roles).
    """
    return tuple(dash.page_registry[page]["roles"])


def page_account(page: str) -> Account | None:
    """Return the signed-in account if its role may use ``page``, else None.

    For a page's layout, which shows a notice instead of the page.
    """
    account = current_account()
    return account if account is not None and account.role in page_roles(page) else None


def require_page_account(page: str, action: str) -> Account:
    """Return the signed-in account if its role may use ``page``; refuse the request otherwise.

    For a page's callbacks and its export. ``action`` names what is refused in the answer
    and the log, e.g. ``export audit``.

    Raises
    ------
    SignInRequired
        Without a signed-in account (the app answers 401).
    auth.scope.ScopeError
        For an account whose role may not use the page (the app answers 403).
    """
    account = current_account()
    if account is None:
        raise SignInRequired(f"sign in to {action}")
    if page_account(page) is None:
        raise ScopeError(f"{account.role} may not {action}")
    return account


def csrf_token() -> str:
    """Return the session's CSRF token, creating it on first use."""
    token = flask.session.get(CSRF_FIELD)
    if not token:
        token = flask.session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return str(token)


def _csrf_ok() -> bool:
    expected = flask.session.get(CSRF_FIELD)
    given = flask.request.headers.get(CSRF_HEADER) or flask.request.form.get(CSRF_FIELD)
    return bool(expected and given and hmac.compare_digest(str(expected), str(given)))


def _safe_next(target: str | None) -> str:
    """Return a same-site path to go to after sign-in (never another host)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _page(lang: str, title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Mata Garuda</title><link rel="stylesheet" href="/assets/masuk.css">
</head><body><main class="signin">
<img src="/assets/garuda.svg" width="64" height="64" alt="">
<h1>Mata Garuda</h1>{body}</main></body></html>"""


def _change_form(lang: str, error: str = "") -> str:
    t = _texts(lang)
    alert = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return _page(lang, t["change"], f"""<p class="intro">{t["must"]}</p>{alert}
<form method="post" action="/sandi">
<input type="hidden" name="{CSRF_FIELD}" value="{csrf_token()}">
<label>{t["current"]}<input name="current" type="password" autocomplete="current-password"
 required maxlength="128" autofocus></label>
<label>{t["new"]}<input name="password" type="password" autocomplete="new-password" required
 minlength="{MIN_LENGTH}" maxlength="128" aria-describedby="rules"></label>
<p class="hint" id="rules">{html.escape(translate(
    "signin.rules", lang, rules="; ".join(rule.text(lang) for rule in policy_rules())))}</p>
<label>{t["again"]}<input name="again" type="password" autocomplete="new-password" required
 maxlength="128"></label>
<button type="submit">{t["change"]}</button></form>""")


def _form(lang: str, error: str = "", username: str = "", next_url: str = "/") -> str:
    t = _texts(lang)
    alert = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return _page(lang, t["title"], f"""<p class="intro">{translate("app.tagline", lang)}</p>{alert}
<form method="post" action="/masuk">
<input type="hidden" name="{CSRF_FIELD}" value="{csrf_token()}">
<input type="hidden" name="next" value="{html.escape(next_url)}">
<label>{t["username"]}<input name="username" autocomplete="username" required maxlength="64"
 value="{html.escape(username)}" autofocus></label>
<label>{t["password"]}<input name="password" type="password" autocomplete="current-password"
 required maxlength="128"></label>
<button type="submit">{t["submit"]}</button>
</form>""")


def init_auth(server: flask.Flask, engine: Engine, *, public_view: bool,
              language: Callable[[], str], limits: SessionLimits = SessionLimits()) -> None:
    """Protect ``server``: sessions, the sign-in and sign-out routes, access and CSRF checks."""
    server.config.update(PERMANENT_SESSION_LIFETIME=limits.absolute, REMEMBER_COOKIE_DURATION=0,
                         SESSION_REFRESH_EACH_REQUEST=False)
    manager = LoginManager(server)
    manager.session_protection = "strong"
    manager.user_loader(partial(_load_user, engine, limits))
    refuse = partial(_refuse, engine)
    server.before_request(partial(_guard, engine, public_view, language))
    server.register_error_handler(SignInRequired, lambda exc: refuse(401, str(exc)))
    server.register_error_handler(ScopeError, lambda exc: refuse(403, str(exc)))
    server.after_request(partial(_set_csrf_cookie, server))
    server.add_url_rule("/masuk", "sign_in", partial(_sign_in, engine, language),
                        methods=["GET", "POST"])
    server.add_url_rule("/sandi", "change_password", partial(_change_password, engine, language),
                        methods=["GET", "POST"])
    server.add_url_rule("/keluar", "sign_out", partial(_sign_out, engine), methods=["POST"])


def _load_user(engine: Engine, limits: SessionLimits, user_id: str) -> SessionUser | None:
    """Return the session's account while the session lasts; end it otherwise."""
    session, now = flask.session, _clock()
    started, seen = session.get("started", 0), session.get("seen", 0)
    if not user_id.isdigit() or now - started > limits.absolute.total_seconds() \
            or now - seen > limits.idle.total_seconds():
        session.clear()
        return None
    with engine.connect() as conn:
        account = get_account(conn, int(user_id))
    if account is None or account.session_generation != session.get("generation"):
        session.clear()
        return None
    if now - seen > limits.idle.total_seconds() / RENEW_PART:
        session["seen"] = now
    return SessionUser(account)


def _start_session(account: Account) -> None:
    """Begin a new session for ``account`` (a new cookie: no fixation)."""
    flask.session.clear()
    flask.session.permanent = True
    login_user(SessionUser(account))
    flask.session["generation"] = account.session_generation
    flask.session["started"] = flask.session["seen"] = _clock()
    csrf_token()


def _guard(engine: Engine, public_view: bool,
           language: Callable[[], str]) -> ResponseReturnValue | None:
    """Check every request: CSRF token, password change, signed in or public."""
    request = flask.request
    if request.method not in SAFE_METHODS and not _csrf_ok():
        if request.path == "/masuk":
            _audit(engine, "csrf.failed", request.path)
            return flask.make_response(_form(language(), _texts(language())["csrf"]), 400)
        return _refuse(engine, 403, "missing or wrong CSRF token", action="csrf.failed")
    account = current_account()
    if account is not None and account.must_change_password and not request.path.startswith(
            OPEN_PREFIXES):
        if request.method in SAFE_METHODS and not request.path.startswith(("/_", "/geo/")):
            return flask.redirect("/sandi")
        return _refuse(engine, 403, "change the generated password first")
    if request.path.startswith(OPEN_PREFIXES) or account is not None:
        return None
    if public_view and (request.method in SAFE_METHODS or request.path in READ_ONLY_POSTS):
        return None
    if request.method in SAFE_METHODS and not request.path.startswith(("/_", "/geo/")):
        return flask.redirect("/masuk?next=" + quote(request.full_path.rstrip("?"), safe="/"))
    return _refuse(engine, 401, "sign in first")


def _set_csrf_cookie(server: flask.Flask, response: flask.Response) -> flask.Response:
    response.set_cookie(CSRF_COOKIE, csrf_token(), samesite="Lax", httponly=False,
                        secure=server.config.get("SESSION_COOKIE_SECURE", False))
    return response


def _sign_in(engine: Engine, language: Callable[[], str]) -> ResponseReturnValue:
    lang = language()
    request = flask.request
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return _form(lang, next_url=next_url)
    username = request.form.get("username", "")[:64]
    with engine.begin() as conn:
        result = authenticate(conn, username, request.form.get("password", "")[:128],
                              request.remote_addr or "")
    if result.account is None:
        message = _texts(lang)[result.reason]
        if result.retry_at is not None:
            message = message.format(time=result.retry_at.strftime("%H:%M:%S"))
        return flask.make_response(_form(lang, message, username, next_url), 401)
    _start_session(result.account)
    return flask.redirect(next_url)


def _change_password(engine: Engine, language: Callable[[], str]) -> ResponseReturnValue:
    account, lang = current_account(), language()
    if account is None:
        return flask.redirect("/masuk")
    if flask.request.method == "GET":
        return _change_form(lang)
    current, new, again = (flask.request.form.get(k, "")[:128]
                           for k in ("current", "password", "again"))
    with engine.connect() as conn:
        current_ok = check_password(conn, account.id, current)
    if not current_ok:
        _audit(engine, "account.password.refused", account.username, "wrong current password")
        return flask.make_response(_change_form(lang, _texts(lang)["current_wrong"]), 400)
    if new != again:
        return flask.make_response(_change_form(lang, _texts(lang)["mismatch"]), 400)
    problems = policy_problems(new, account.username)
    if problems:
        listed = "; ".join(p.text(lang) for p in problems)
        return flask.make_response(
            _change_form(lang, _texts(lang)["policy"].format(problems=listed)), 400)
    with engine.begin() as conn:
        set_password(conn, account.username, new, by=account.username, must_change=False,
                     remote_addr=flask.request.remote_addr or "")
        account = get_account(conn, account.id)
    assert account is not None
    _start_session(account)  # this session goes on; every other one has ended
    return flask.redirect("/")


def _sign_out(engine: Engine) -> ResponseReturnValue:
    """End every session of the account (copies of this cookie included)."""
    account = current_account()
    if account is not None:
        with engine.begin() as conn:
            end_sessions(conn, account.username)
        _audit(engine, "signout", account.username)
    logout_user()
    flask.session.clear()
    return flask.redirect("/masuk")


def _audit(engine: Engine, action: str, target: str, detail: str = "") -> None:
    """Write an audit entry for the current request, in a transaction of its own."""
    account = current_account()
    with engine.begin() as conn:
        audit(conn, account.username if account else "anonymous", action, target, detail,
              flask.request.remote_addr or "")


def _refuse(engine: Engine, status: int, message: str,
            action: str = "request.refused") -> flask.Response:
    """Answer a refused request with a JSON error, and log who was refused what.

    403 refusals are also written to the audit log; 401 ("sign in first") only to the
    server log, since anyone can cause any number of them.
    """
    account = current_account()
    request = flask.request
    log.warning("refused %s %s (%s): %s from %s", request.method, request.path,
                account.username if account else "anonymous", message, request.remote_addr)
    if status == 403:
        _audit(engine, action, request.path, f"{request.method}: {message}")
    response = flask.jsonify(error=message)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
