"""Start and stop the two servers the benchmarks drive: the app and the plotly baseline."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from settings import PROJECT_ROOT


def free_port() -> int:
    """Return a TCP port that is free on the loopback interface now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 240) -> float:
    """Poll ``url`` until it answers 200; return the seconds it took.

    Raises if the process exits or the deadline passes. Polling a starting server on
    loopback is the only place the harness waits on time rather than on a page condition.
    """
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Path, health: str) -> Iterator[float]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=PROJECT_ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            yield wait_until_up(health, proc)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def app_server(var_dir: Path, port: int) -> Iterator[tuple[str, float]]:
    """Serve Mata Garuda as ``make run`` does, on a fresh var dir; yield (url, start seconds).

    The first start creates the SQLite database with the published and demo data.
    """
    # The public view: the map as an anonymous visitor reads it (no sign-in to time).
    env = {**os.environ, "MATA_GARUDA_VAR_DIR": str(var_dir), "MATA_GARUDA_PORT": str(port),
           "MATA_GARUDA_PUBLIC_VIEW": "true"}
    for name in ("MATA_GARUDA_DATABASE_URL", "MATA_GARUDA_REDIS_URL"):
        env.pop(name, None)  # the baseline reads the same SQLite file
    url = f"http://127.0.0.1:{port}"
    with _process([sys.executable, "-m", "cli", "serve"], env, var_dir / "app.log",
                  url + "/health") as seconds:
        yield url, seconds


@contextmanager
def baseline_server(data_dir: Path, port: int) -> Iterator[str]:
    """Serve the plotly baseline (:mod:`benchmarks.baseline`) for the data in ``data_dir``."""
    url = f"http://127.0.0.1:{port}"
    with _process([sys.executable, "-m", "benchmarks.baseline", str(data_dir), str(port)],
                  dict(os.environ), data_dir / "baseline.log", url + "/health"):
        yield url
