"""Server time of the map's render callback: a real browser request, replayed over loopback.

The browser's ``/_dash-update-component`` POST of the page's render callback is captured
during a page load (see :func:`benchmarks.browser.load`) and re-sent with ``http.client``
on one keep-alive connection. The time is request sent -> whole (compressed) response read.
"""

from __future__ import annotations

import http.client
import itertools
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

PATH = "/_dash-update-component"
HEADERS = {"Content-Type": "application/json", "Accept": "application/json",
           "Accept-Encoding": "gzip, deflate, br, zstd"}  # as Chromium sends it


class Replayer:
    """Re-send captured callback requests to one server over a keep-alive connection."""

    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        self.conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port,
                                               timeout=60)
        self.headers = dict(HEADERS)
        # A state-changing request needs the session's CSRF token (cookie and header).
        self.conn.request("GET", "/health")
        response = self.conn.getresponse()
        response.read()
        cookies = [c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or []]
        token = next((c.split("=", 1)[1] for c in cookies if c.startswith("mg_csrf=")), "")
        self.headers.update({"Cookie": "; ".join(cookies), "X-CSRFToken": token})

    def post(self, body: str) -> tuple[float, int]:
        """Send ``body``; return (ms until the whole response was read, bytes read)."""
        start = time.perf_counter()
        self.conn.request("POST", PATH, body=body.encode(), headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        ms = (time.perf_counter() - start) * 1000
        if response.status != 200:
            raise RuntimeError(f"callback replay answered {response.status}: {data[:200]!r}")
        return ms, len(data)

    def warm(self, body: str, runs: int = 50, warmup: int = 5) -> list[float]:
        """Return ``runs`` times of the same request (a server-cache hit after the warm-up)."""
        for _ in range(warmup):
            self.post(body)
        return [self.post(body)[0] for _ in range(runs)]

    def cold(self, body: str, views: dict[str, list[int]], runs: int = 30) -> list[float]:
        """Return up to ``runs`` times of views never asked before (server-cache misses).

        Each request changes the page state to an (indicator, year) of ``views`` with a
        number of classes no page view used (4, then 3, 6, 7), so no cache entry exists.
        """
        variants = itertools.islice(_variants(body, views), runs)
        return [self.post(variant)[0] for variant in variants]

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def _variants(body: str, views: dict[str, list[int]]) -> Iterator[str]:
    for n in (4, 3, 6, 7):
        for indikator, years in views.items():
            for year in sorted(years, reverse=True):
                request: dict[str, Any] = json.loads(body)
                state = next(i for i in request["state"] if i["id"] == "peta-state")["value"]
                state.update(indikator=indikator, tahun=year, n=n)
                yield json.dumps(request)
