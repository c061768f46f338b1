"""Per-application services (database engine, registry, boundaries, cache) for callbacks.

``create_app`` builds one :class:`Services` and stores it on the Flask app; callbacks
reach it with :func:`services` inside a request. Nothing here is module-level state.
"""

from __future__ import annotations

from dataclasses import dataclass

import flask
from flask_caching import Cache
from sqlalchemy import Engine

from geodata.registry import Registry
from geodata.serve import BoundaryStore
from settings import Settings

EXTENSION = "mata_garuda"


@dataclass(frozen=True)
class Services:
    """What callbacks need: settings, the database, the region registry, boundaries, cache."""

    settings: Settings
    engine: Engine
    registry: Registry
    boundaries: BoundaryStore
    cache: Cache


def services() -> Services:
    """Return the services of the running app (inside a request or app context)."""
    return flask.current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def language() -> str:
    """Return the interface language of the current request (``lang`` cookie or default)."""
    from i18n import COOKIE, pick_language

    default = services().settings.language
    if not flask.has_request_context():
        return default
    return pick_language(flask.request.cookies.get(COOKIE), default)
