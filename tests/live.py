"""Helpers for tests against the real server: start it, sign in, post the entry page's callbacks.

The server is ``python -m cli serve --no-demo`` (waitress, 8 threads) in a subprocess on a
free loopback port; clients are ``requests`` sessions that sign in through the real form
and post Dash callback requests as the browser does, with the ``X-CSRFToken`` header
taken from the ``mg_csrf`` cookie.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

import ids
from settings import PROJECT_ROOT

ACTIONS = ("save", "submit", "verify", "reject")
TIMEOUT = 60.0  # seconds for one HTTP request; nothing in these tests may wait longer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if requests.get(url + "/health", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)  # polling the server's start, not synchronising a request
    raise TimeoutError(f"server at {url} did not start within {timeout} s")


@dataclass(frozen=True)
class Server:
    """A running server: its URL, log file and process id."""

    url: str
    log: Path
    pid: int

    def cpu_seconds(self) -> float | None:
        """Return the CPU time the server process used so far (Linux), else None."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


CLI = (sys.executable, "-m", "cli")  # the checkout's command line, run in PROJECT_ROOT


@contextmanager
def serve(database_url: str, var_dir: Path, *, command: Sequence[str] = CLI,
          cwd: Path = PROJECT_ROOT, settings: Mapping[str, str] | None = None) -> Iterator[Server]:
    """Run ``<command> serve --no-demo`` in ``cwd`` on ``database_url`` until the block ends.

    ``settings`` are more ``MATA_GARUDA_*`` variables for the server.
    """
    port = free_port()
    none = var_dir / "none"  # no boundaries, no published figures: the write path only
    env = {**os.environ, "MATA_GARUDA_VAR_DIR": str(var_dir), "MATA_GARUDA_PORT": str(port),
           "MATA_GARUDA_DATABASE_URL": database_url, "MATA_GARUDA_BOUNDARIES_DIR": str(none),
           "MATA_GARUDA_PUBLISHED_DIR": str(none), "MATA_GARUDA_HOST": "127.0.0.1"}
    for name in ("MATA_GARUDA_PUBLIC_VIEW", "MATA_GARUDA_REDIS_URL", "MATA_GARUDA_ENV",
                 "MATA_GARUDA_LANGUAGE", "MATA_GARUDA_DEMO"):
        env.pop(name, None)
    env.update(settings or {})
    log_path = var_dir / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([*command, "serve", "--no-demo"],
                                cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url, proc)
            yield Server(url, log_path, proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)


def log_tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Call:
    """One HTTP request a client made, as the client saw it."""

    user: str
    action: str  # signin, load, save, submit, verify, reject
    at: float  # monotonic start time
    seconds: float
    status: int  # HTTP status; 0 when no response came
    outcome: str  # ok, processed, conflict, error, http <status>, no response
    processed: int = 0
    message: str = ""


@dataclass
class Client:
    """A browser-like session of one account against the running server."""

    base: str
    username: str
    password: str
    indicator: str = "ikp"
    period: str = "2024"
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    def _timed(self, action: str, method: str, path: str,
               **kwargs: Any) -> tuple[Call, requests.Response | None]:
        start = time.monotonic()
        try:
            response: requests.Response | None = self.http.request(
                method, self.base + path, timeout=TIMEOUT, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            response = None
            call = Call(self.username, action, start, time.monotonic() - start, 0,
                        "no response", message=f"{type(exc).__name__}: {exc}")
        else:
            call = Call(self.username, action, start, time.monotonic() - start,
                        response.status_code, "ok" if response.status_code < 400
                        else f"http {response.status_code}")
            if response.status_code >= 400:
                call.message = response.text[:300]
        self.calls.append(call)
        return call, response

    def sign_in(self) -> Call:
        """Open the sign-in page and post the form with its CSRF token; expect a redirect."""
        page = self.http.get(self.base + "/masuk", timeout=TIMEOUT).text
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, page[:500]
        call, response = self._timed("signin", "POST", "/masuk", data={
            "username": self.username, "password": self.password,
            "csrf_token": match.group(1), "next": "/isian"})
        if response is not None and response.status_code != 302:
            call.outcome, call.message = f"http {response.status_code}", response.text[:300]
        return call

    def _callback(self, action: str, outputs: list[tuple[str, str]], inputs: list[Any],
                  state: list[dict[str, Any]],
                  changed: list[str]) -> tuple[Call, requests.Response | None]:
        body = {"output": f"..{'...'.join(f'{i}.{p}' for i, p in outputs)}..",
                "outputs": [{"id": i, "property": p} for i, p in outputs],
                "inputs": inputs, "state": state, "changedPropIds": changed}
        token = self.http.cookies.get("mg_csrf") or ""
        return self._timed(action, "POST", "/_dash-update-component", json=body,
                           headers={"X-CSRFToken": token})

    def load(self) -> tuple[Call, list[dict[str, Any]] | None]:
        """Post the entry page's ``load`` callback; return the grid rows (None on failure)."""
        call, response = self._callback(
            "load", [(ids.ENTRY_GRID, "rowData"), (ids.ENTRY_PERIOD, "data")],
            [{"id": ids.ENTRY_INDICATOR, "property": "value", "value": self.indicator},
             {"id": ids.ENTRY_PERIOD, "property": "value", "value": self.period},
             {"id": ids.ENTRY_REFRESH, "property": "data", "value": 0},
             {"id": ids.ENTRY_AREA, "property": "value", "value": None}], [],
            [f"{ids.ENTRY_INDICATOR}.value"])
        if response is None or response.status_code != 200:
            return call, None
        return call, response.json()["response"][ids.ENTRY_GRID]["rowData"]

    def run(self, action: str, grid: list[dict[str, Any]], selected: list[dict[str, Any]],
            comment: str = "") -> Call:
        """Post the entry page's ``run`` callback as a click on ``action``'s button.

        The outcome is what the response says: ``processed`` (with how many values),
        ``conflict`` (the value changed meanwhile, nothing saved) or ``error``.
        """
        call, response = self._callback(
            action, [(ids.ENTRY_MESSAGE, "children"), (ids.ENTRY_REFRESH, "data")],
            [[{"id": {"type": ids.ENTRY_ACTION, "action": a}, "property": "n_clicks",
               "value": 1 if a == action else None} for a in ACTIONS]],
            [{"id": ids.ENTRY_GRID, "property": "rowData", "value": grid},
             {"id": ids.ENTRY_GRID, "property": "selectedRows", "value": selected},
             {"id": ids.ENTRY_INDICATOR, "property": "value", "value": self.indicator},
             {"id": ids.ENTRY_PERIOD, "property": "value", "value": self.period},
             {"id": ids.ENTRY_COMMENT, "property": "value", "value": comment},
             {"id": ids.ENTRY_REFRESH, "property": "data", "value": 0},
             {"id": ids.SHELL_LANG_STORE, "property": "data", "value": "id"}],
            [json.dumps({"action": action, "type": ids.ENTRY_ACTION}, separators=(",", ":"))
             + ".n_clicks"])
        if response is not None and response.status_code == 200:
            call.outcome, call.processed, call.message = read_outcome(response.json())
        return call


def read_outcome(body: dict[str, Any]) -> tuple[str, int, str]:
    """Return (outcome, values processed, message) from the ``run`` callback's response."""
    alert = body["response"][ids.ENTRY_MESSAGE]["children"]
    props = alert["props"]
    text = str(props.get("children", ""))
    if props.get("color") == "green":
        match = re.match(r"\s*(\d+)\b", text)
        assert match, f"a success message without a count: {text!r}"
        return "processed", int(match.group(1)), text
    if props.get("color") == "orange":  # a value changed meanwhile
        return "conflict", 0, text
    return "error", 0, text
