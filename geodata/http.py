"""Flask blueprint serving boundary views: ``GET /geo/<level>.json`` and ``.geobuf``.

``?parent=CODE`` limits a view to the regions inside one region, ``?vintage=pra2022``
gives the provinces before the 2022 Papua split (:mod:`geodata.vintages`). Responses carry a
strong ETag and are served gzip-compressed when the client accepts it.
"""

from __future__ import annotations

import flask

from geodata.boundaries import BoundariesMissingError
from geodata.serve import BoundaryStore, UnknownViewError

# A URL that names the store's version (``?v=``, :attr:`BoundaryStore.version`, what the
# pages ask for) is kept by the browser for good: a re-import or an upgrade changes the
# version, so the pages then ask for other URLs. A drill-down then draws boundaries
# fetched on hover with no request at all. Any other URL is revalidated on every use: a
# map left behind the indicator data would draw regions that no longer match their codes.
# A revalidation is one small request answered 304 from memory.
CACHE_CONTROL = "public, no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"


def _error(status: int, message: str) -> flask.Response:
    response = flask.jsonify(error=message)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def boundaries_blueprint(store: BoundaryStore) -> flask.Blueprint:
    """Return a blueprint serving the boundary views of ``store``.

    Routes: ``GET /geo/<level>.json`` (GeoJSON) and ``GET /geo/<level>.geobuf``,
    both with an optional ``?parent=CODE``, ``?vintage=NAME`` and ``?v=VERSION``. Answers
    200 with ``ETag`` and ``Cache-Control: public, no-cache`` (kept for good when ``v`` is
    the store's version: :data:`IMMUTABLE`); 304 when ``If-None-Match`` matches; 404 with a
    JSON ``{"error": ...}`` for an unknown level or parent; 503 with the install
    instructions when the boundary files are missing.

    Parameters
    ----------
    store
        The store computing and caching the payloads.

    Returns
    -------
    flask.Blueprint
        Named ``"geodata"``; register it on the Flask server without a prefix.
    """
    blueprint = flask.Blueprint("geodata", __name__)

    def serve(level: str, fmt: str) -> flask.Response:
        request = flask.request
        try:
            payload = store.payload(level, request.args.get("parent") or None, fmt,
                                    request.args.get("vintage") or None)
        except UnknownViewError as exc:
            return _error(404, str(exc))
        except BoundariesMissingError as exc:
            return _error(503, str(exc))
        gzipped = request.accept_encodings["gzip"] > 0
        # Each encoding is a different representation, so it needs its own strong ETag.
        etag = payload.etag + "-gzip" if gzipped else payload.etag
        if request.if_none_match.contains_weak(etag):
            response = flask.Response(status=304)
        else:
            response = flask.Response(
                payload.gzipped if gzipped else payload.body, mimetype=payload.content_type
            )
            if gzipped:
                response.headers["Content-Encoding"] = "gzip"
        response.set_etag(etag)
        current = request.args.get("v") == store.version
        response.headers["Cache-Control"] = IMMUTABLE if current else CACHE_CONTROL
        response.vary.add("Accept-Encoding")
        return response

    @blueprint.get("/geo/<level>.json")
    def geojson(level: str) -> flask.Response:
        return serve(level, "geojson")

    @blueprint.get("/geo/<level>.geobuf")
    def geobuf(level: str) -> flask.Response:
        return serve(level, "geobuf")

    return blueprint
