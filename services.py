"""Per-application services (database engine, registry, boundaries, cache) for callbacks.

``create_app`` builds one :class:`Services` and stores it on the Flask app; callbacks
reach it with :func:`services` inside a request. Nothing here is module-level state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

import flask
from flask_caching import Cache
from sqlalchemy import Engine

from geodata.registry import Registry
from geodata.serve import BoundaryStore
from i18n import COOKIE, pick_language
from queries.catalogue import Indicator, with_observed
from queries.indicators import data_version, observed_periods
from queries.records import RecordLake
from settings import Settings

EXTENSION = "mata_garuda"
T = TypeVar("T")


@dataclass(frozen=True)
class Services:
    """What callbacks need: settings, database, region registry, boundaries, cache, lake."""

    settings: Settings
    engine: Engine
    registry: Registry
    indicators: dict[str, Indicator]  # the catalogue as stored, without observed years
    boundaries: BoundaryStore
    cache: Cache
    lake: RecordLake  # the record lake (lake.store.Lake at settings.lake_dir)

    @property
    def catalogue(self) -> dict[str, Indicator]:
        """Return the catalogue with the years that have values, as of the newest write.

        Cached per data version, so an import makes its years reachable at once.
        """
        def compute() -> dict[str, Indicator]:
            with self.engine.connect() as conn:
                return with_observed(self.indicators, observed_periods(conn))

        return self.cached("catalogue", compute)

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """Return the cached value for ``key`` plus the data version, computing it once.

        The key includes the newest observation id, so any write makes old entries unused.
        """
        with self.engine.connect() as conn:
            full_key = f"{key}|v{data_version(conn)}"
        value = self.cache.get(full_key)
        if value is None:
            value = compute()
            self.cache.set(full_key, value)
        return cast(T, value)


def services() -> Services:
    """Return the services of the running app (inside a request or app context)."""
    return flask.current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def language() -> str:
    """Return the interface language of the current request (``lang`` cookie or default)."""
    default = services().settings.language
    if not flask.has_request_context():
        return default
    return pick_language(flask.request.cookies.get(COOKIE), default)
