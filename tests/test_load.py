"""Load: 50 Kesbangpol offices and pusat entering values at once through the real server.

The server (``cli serve --no-demo``: waitress, 8 threads) runs on a private PostgreSQL
schema with 38 provinsi operators, 12 kab/kota operators and pusat. Every client signs in
through the form, then until the time is up loads its grid (the ``load`` callback) and
saves drafts with the version it saw, submits them, and, for provinsi operators and
pusat, verifies or rejects submitted values of the regions below them (the ``run``
callback). Each kab/kota office shares its region with its provinsi office, so the two
write the same values at the same time and conflicts happen.

Every request is logged with its latency, HTTP status and the outcome the response
reports. Afterwards the database must agree with the clients' log exactly: each
successful write is one version, versions run 1..N without gaps, and nothing is in the
database that no client was told was saved (no silent overwrite behind a conflict).

The figures (requests, writes, conflicts, p50/p95/p99 latency per action, throughput)
are printed even without ``-s`` and written to ``test-results/load.json``. They are
reported, not asserted.

``MATA_GARUDA_LOAD_SECONDS`` sets how long the clients work (default 45; set 180 or more
for a run of a few minutes). PostgreSQL only: it fails when PostgreSQL is unreachable
and the run requires it (see ``tests/conftest.py``), and is skipped otherwise.
"""

from __future__ import annotations

import json
import math
import os
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa

from auth.accounts import add_account
from geodata.registry import Registry
from ingest.bootstrap import prepare_database
from queries.db import make_engine
from queries.schema import audit_log, observation
from settings import PROJECT_ROOT
from tests.conftest import _database_url
from tests.live import Call, Client, Server, log_tail, serve

pytestmark = pytest.mark.postgres
SECONDS = float(os.environ.get("MATA_GARUDA_LOAD_SECONDS", "45"))
PASSWORD = "Uji-Beban-Kesbangpol-2026"
INDICATOR, PERIOD = "ikp", 2024  # defined down to kab/kota
KABKOTA_OFFICES = 12
REJECT_COMMENT = "angka tidak sesuai rekap Bawaslu"
RESULTS = PROJECT_ROOT / "test-results"


@dataclass(frozen=True)
class Office:
    """An account of the load: its role, region and, for a province, the shared kab/kota."""

    username: str
    role: str
    region: str | None
    shared: str | None = None  # the kab/kota that also has its own operator


@dataclass
class Write:
    """A version a client was told it wrote."""

    code: str
    version: int
    value: float
    status: str
    user: str


@dataclass
class Log:
    """What one client did and was told."""

    calls: list[Call] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    crash: str = ""  # an exception that stopped the client, if any


def offices(registry: Registry) -> list[Office]:
    """Return 38 provinsi operators, 12 kab/kota operators in every third province, pusat."""
    provinces = sorted(registry.at_level("provinsi"), key=lambda r: r.code)
    shared = {p.code: registry.children(p.code)[-1].code
              for p in provinces[::3][:KABKOTA_OFFICES]}
    out = [Office(f"prov-{p.code}", "provinsi", p.code, shared.get(p.code)) for p in provinces]
    out += [Office(f"kab-{code}", "kabkota", code) for code in shared.values()]
    return [*out, Office("pusat", "pusat", None)]


def add_office(engine: sa.Engine, registry: Registry, office: Office) -> None:
    with engine.begin() as conn:
        add_account(conn, registry, username=office.username, role=office.role,
                    region_code=office.region, password=PASSWORD, by="test_load")


@dataclass
class Deployment:
    server: Server
    db_url: str
    offices: list[Office]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, pg_ok: bool,
               registry: Registry) -> Iterator[Deployment]:
    """A migrated private schema with the accounts, and the real server on it."""
    var = tmp_path_factory.mktemp("load")
    for url in _database_url("postgresql", var, pg_ok):
        engine = make_engine(url)
        prepare_database(engine, registry)
        accounts = offices(registry)
        with ThreadPoolExecutor(4) as pool:  # argon2 hashing dominates; it releases the GIL
            list(pool.map(partial(add_office, engine, registry), accounts))
        engine.dispose()
        with serve(url, var) as server:
            yield Deployment(server, url, accounts)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "load-server.log").write_bytes(server.log.read_bytes())


# --- what a client does --------------------------------------------------------------

def _version(row: dict[str, Any]) -> int:
    return int(row["version"] or 0)


def save_and_submit(client: Client, log: Log, grid: list[dict[str, Any]],
                    chosen: list[dict[str, Any]], rng: random.Random) -> None:
    """Enter new values in ``chosen`` rows, save the grid as the page does, then submit."""
    values = {r["code"]: rng.randrange(401) / 4 for r in chosen}  # exact in binary
    edited = [{**r, "new_value": f"{values[r['code']]:g}".replace(".", ","),
               "reason": "uji beban"} if r["code"] in values else r for r in grid]
    saved = client.run("save", edited, [])
    if saved.outcome != "processed":
        return
    log.writes += [Write(r["code"], _version(r) + 1, values[r["code"]], "draft",
                         client.username) for r in chosen]
    selected = [{**r, "version": _version(r) + 1} for r in chosen]
    submitted = client.run("submit", grid, selected)
    if submitted.outcome == "processed":
        log.writes += [Write(r["code"], _version(r) + 2, values[r["code"]], "submitted",
                             client.username) for r in chosen]


def decide(client: Client, log: Log, grid: list[dict[str, Any]],
           candidates: list[dict[str, Any]], rng: random.Random) -> None:
    """Verify (or, one time in four, reject) up to three submitted values."""
    chosen = rng.sample(candidates, min(len(candidates), rng.randint(1, 3)))
    action, status = ("reject", "rejected") if rng.random() < 0.25 else ("verify", "verified")
    call = client.run(action, grid, chosen, REJECT_COMMENT if action == "reject" else "")
    if call.outcome == "processed":
        log.writes += [Write(r["code"], _version(r) + 1, float(r["value"]), status,
                             client.username) for r in chosen]


def one_round(client: Client, office: Office, log: Log, rng: random.Random) -> None:
    _, grid = client.load()
    if not grid:
        return
    rows = {r["code"]: r for r in grid}
    if office.role == "kabkota":
        save_and_submit(client, log, grid, [rows[office.region or ""]], rng)
        return
    below = [r for r in grid if r["status"] == "submitted" and r["code"] != office.region]
    if below and rng.random() < 0.5:
        decide(client, log, grid, below, rng)
    elif office.shared and rng.random() < 0.6:  # the row its kab/kota office writes too
        save_and_submit(client, log, grid, [rows[office.shared]], rng)
    elif office.role == "pusat":
        save_and_submit(client, log, grid, [rows["ID"]], rng)
    else:
        chosen = rng.sample(grid, rng.randint(1, 3))
        save_and_submit(client, log, grid, sorted(chosen, key=grid.index), rng)


def work(client: Client, office: Office, log: Log, seed: int, start: threading.Barrier,
         seconds: float) -> None:
    """Sign in, wait for everyone, then work until the time is up."""
    signed_in = False
    try:
        signed_in = client.sign_in().status == 302
    except Exception as exc:  # reported by the test, not lost in the thread
        log.crash = f"sign-in: {exc!r}"
    finally:
        start.wait(timeout=300)
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    try:
        while signed_in and time.monotonic() < deadline:
            one_round(client, office, log, rng)
    except Exception as exc:  # reported by the test, not lost in the thread
        log.crash = repr(exc)


# --- the figures -----------------------------------------------------------------------

def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def figures(calls: list[Call], clients: int, writes: int, seconds: float) -> dict[str, Any]:
    per_action: dict[str, Any] = {}
    by_action: dict[str, list[Call]] = defaultdict(list)
    for call in calls:
        by_action[call.action].append(call)
    for action, group in sorted(by_action.items()):
        times = sorted(c.seconds * 1000 for c in group)
        per_action[action] = {
            "requests": len(group),
            "p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1),
            "p99_ms": round(percentile(times, 99), 1), "max_ms": round(times[-1], 1),
            "outcomes": dict(Counter(c.outcome for c in group)),
        }
    outcomes = Counter(c.outcome for c in calls)
    return {
        "seconds": round(seconds, 1), "clients": clients,
        "requests": len(calls), "requests_per_s": round(len(calls) / seconds, 1),
        "writes": writes, "writes_per_s": round(writes / seconds, 1),
        "conflicts": outcomes["conflict"], "outcomes": dict(outcomes), "per_action": per_action,
    }


def timeline(calls: list[Call], began: float, seconds: float,
             windows: int = 5) -> list[dict[str, Any]]:
    """Return requests and latency per fifth of the run, to show a slowdown as data grows."""
    width = seconds / windows
    times: list[list[float]] = [[] for _ in range(windows)]
    for c in calls:
        times[min(windows - 1, max(0, int((c.at - began) / width)))].append(c.seconds * 1000)
    return [{"from_s": round(i * width), "requests": len(t),
             "p50_ms": round(percentile(sorted(t), 50), 1) if t else None,
             "p95_ms": round(percentile(sorted(t), 95), 1) if t else None}
            for i, t in enumerate(times)]


def report_text(data: dict[str, Any]) -> str:
    lines = [f"load: {data['clients']} clients, {data['seconds']} s, {data['requests']} requests"
             f" ({data['requests_per_s']}/s), {data['writes']} versions written"
             f" ({data['writes_per_s']}/s), {data['conflicts']} conflicts",
             f"  {'action':<8}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
             "  outcomes"]
    for action, a in data["per_action"].items():
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(a["outcomes"].items()))
        lines.append(f"  {action:<8}{a['requests']:>7}{a['p50_ms']:>9}{a['p95_ms']:>9}"
                     f"{a['p99_ms']:>9}{a['max_ms']:>9}  {outcomes}")
    lines.append("  over time: " + ", ".join(
        f"{w['from_s']}s+ {w['requests']} req p50 {w['p50_ms']} p95 {w['p95_ms']}"
        for w in data["timeline"]))
    db = data["database"]
    lines.append(f"  database: {db['entry_versions']} versions of {db['values']} values,"
                 f" newest version {db['highest_version']}; autovacuum {db['autovacuum']}")
    if data["server_cpu_ms_per_request"] is not None:
        lines.append(f"  server CPU: {data['server_cpu_ms_per_request']} ms per request"
                     f" (the server process; PostgreSQL and the clients share the machine's"
                     f" {os.cpu_count()} CPUs)")
    return "\n".join(lines)


# --- the test --------------------------------------------------------------------------

def stored(db_url: str) -> tuple[list[Write], int, str]:
    """Return every entered version, the count of their audit entries, and autovacuum.

    Autovacuum matters for the figures: without fresh statistics PostgreSQL may plan the
    entry grid's newest-version query as a nested loop that slows as versions accumulate.
    """
    engine = sa.create_engine(db_url)
    o = observation.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(o.indicator_id, o.period, o.region_code, o.version,
                                      o.value, o.status, o.recorded_by)
                            .where(o.source_kind == "entry")).all()
        audits = conn.scalar(sa.select(sa.func.count()).select_from(audit_log)
                             .where(audit_log.c.action.like("entry.%")))
        autovacuum = str(conn.exec_driver_sql("show autovacuum").scalar())
    engine.dispose()
    assert {(r.indicator_id, r.period) for r in rows} <= {(INDICATOR, PERIOD)}
    return [Write(r.region_code, r.version, r.value, r.status, r.recorded_by)
            for r in rows], int(audits or 0), autovacuum


def test_fifty_offices_at_once_lose_nothing(deployment: Deployment,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    accounts = deployment.offices
    logs = [Log() for _ in accounts]
    clients = [Client(deployment.server.url, o.username, PASSWORD) for o in accounts]
    start = threading.Barrier(len(accounts) + 1)
    threads = [threading.Thread(target=work, args=(c, o, lg, i, start, SECONDS), daemon=True)
               for i, (c, o, lg) in enumerate(zip(clients, accounts, logs, strict=True))]
    for thread in threads:
        thread.start()
    start.wait(timeout=300)
    began, cpu_before = time.monotonic(), deployment.server.cpu_seconds()
    for thread in threads:
        thread.join(timeout=SECONDS + 120)
    elapsed, cpu_after = time.monotonic() - began, deployment.server.cpu_seconds()
    assert not any(t.is_alive() for t in threads), "a client did not stop"
    for client, log in zip(clients, logs, strict=True):
        log.calls = client.calls
        client.close()

    calls = [c for log in logs for c in log.calls]
    work_calls = [c for c in calls if c.action != "signin"]
    writes = [w for log in logs for w in log.writes]
    data = figures(calls, len(accounts), len(writes), elapsed)
    data["timeline"] = timeline(work_calls, began, elapsed)
    data["server_cpu_ms_per_request"] = (
        round((cpu_after - cpu_before) * 1000 / len(work_calls), 1)
        if cpu_before is not None and cpu_after is not None and work_calls else None)
    db_rows, audits, autovacuum = stored(deployment.db_url)
    data["database"] = {"entry_versions": len(db_rows), "values": len({w.code for w in db_rows}),
                        "highest_version": max((w.version for w in db_rows), default=0),
                        "autovacuum": autovacuum}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(data, indent=2) + "\n")
    with capsys.disabled():
        print("\n" + report_text(data))

    server = log_tail(deployment.server.log)
    assert not [lg.crash for lg in logs if lg.crash], [lg.crash for lg in logs if lg.crash]
    signins = [c for c in calls if c.action == "signin"]
    assert len(signins) == len(accounts) and all(c.status == 302 for c in signins), (
        [(c.user, c.status, c.message) for c in signins if c.status != 302], server)
    failed = [(c.user, c.action, c.status, c.message) for c in work_calls
              if c.status != 200]
    assert not failed, (f"{len(failed)} requests failed (5xx: "
                        f"{sum(1 for f in failed if f[2] >= 500)})", failed[:5], server)
    errors = [(c.user, c.action, c.message) for c in work_calls if c.outcome == "error"]
    assert not errors, errors[:5]  # every refusal in this load is a conflict
    assert data["conflicts"] > 0, "the offices sharing a region never collided"

    # Each processed request wrote as many versions as it said, and the clients know them.
    assert sum(c.processed for c in work_calls) == len(writes) == len(db_rows)
    assert audits == len(db_rows), "an entry without its audit record, or the reverse"
    versions: dict[str, list[int]] = defaultdict(list)
    for w in db_rows:
        versions[w.code].append(w.version)
    gaps = {code: sorted(v) for code, v in versions.items()
            if sorted(v) != list(range(1, len(v) + 1))}
    assert not gaps, gaps

    def key(w: Write) -> tuple[str, int, float, str, str]:
        return w.code, w.version, w.value, w.status, w.user

    told, held = Counter(map(key, writes)), Counter(map(key, db_rows))
    assert told == held, {"told, not stored": list((told - held).items())[:5],
                          "stored, not told": list((held - told).items())[:5]}
    checksum_told = {c: (len(v), sum(v)) for c, v in _values_by_code(writes).items()}
    checksum_held = {c: (len(v), sum(v)) for c, v in _values_by_code(db_rows).items()}
    assert checksum_told == checksum_held


def _values_by_code(writes: list[Write]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = defaultdict(list)
    for w in writes:
        out[w.code].append(w.value)
    return out
