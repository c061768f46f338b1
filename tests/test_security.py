"""Security properties of the running app (issue 10): the headers of every response."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from flask.testing import FlaskClient

from tests.test_signin import app_client, sign_in  # noqa: F401 (app_client: a fixture)


@pytest.fixture
def client(request: pytest.FixtureRequest) -> FlaskClient:
    """The app of test_signin, with its provinsi account ``jabar``."""
    return request.getfixturevalue("app_client")  # type: ignore[no-any-return]


def _csp(header: str) -> dict[str, list[str]]:
    return {name: values for name, *values in
            (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.parametrize("path", ["/masuk", "/", "/_dash-layout", "/assets/style.css",
                                  "/ekspor/nothing.csv", "/geo/provinsi.json", "/health"])
def test_every_response_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    assert sign_in(client) == 302
    response = client.get(path)
    csp = _csp(response.headers["Content-Security-Policy"])
    assert csp["frame-ancestors"] == ["'none'"] and csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-eval'" not in csp["script-src"] and "'unsafe-inline'" not in csp["script-src"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: no HSTS


def test_hsts_over_https(client: FlaskClient) -> None:
    response = client.get("/masuk", base_url="https://localhost")
    assert response.status_code == 200
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_every_inline_script_of_the_page_is_allowed_by_hash(client: FlaskClient) -> None:
    assert sign_in(client) == 302
    response = client.get("/")
    allowed = set(_csp(response.headers["Content-Security-Policy"])["script-src"])
    page = re.sub(r"<!--.*?-->", "", response.get_data(as_text=True), flags=re.S)
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", page, re.S)
    executed = [body for attrs, body in scripts if "application/json" not in attrs]
    assert executed, "the Dash page has its inline renderer script"
    for body in executed:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed, body[:80]
