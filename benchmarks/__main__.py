"""``python -m benchmarks``: time the map against the issue's targets and a plain-plotly baseline.

Starts the app (fresh var dir, free port) and the baseline, drives headless Chromium,
replays the render callback against the server, prints a table and writes
``benchmarks/results/latest.json``. See ``benchmarks/README.md`` for what each figure means.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

from benchmarks import browser as b
from benchmarks.baseline import write_data
from benchmarks.report import Figure, breakdown, table, write_json
from benchmarks.server_time import Replayer
from benchmarks.servers import app_server, baseline_server, free_port

RESULTS = Path(__file__).with_name("results") / "latest.json"
PROV = "/"  # the first page: IDI by provinsi, latest year
PROV_RECOLOUR = "/?indikator=idi&tahun=2024"
KAB = "/?indikator=ikn&tahun=2024&tingkat=kabkota"
KEC = "/?indikator=konflik&tahun=2024&tingkat=kecamatan"
#: A record-derived indicator (issue 12): turnout 2024 per kecamatan, rolled up from TPS rows.
RECORDS = "/?indikator=turnout_pilpres&tahun=2024&tingkat=kecamatan"
# 2015 ... 2024 from the 34 provinces of 2014, across the 2022 split (38 since).
PLAY, PLAY_FROM, PLAY_FRAMES = "/?indikator=idi&tahun=2014", 34, 10
DRILL = "/?indikator=konflik"  # defined down to kecamatan, so every drill-down is coloured
# Kalimantan Timur and Samarinda: clear of the legend at 1366x768 (Jawa Barat is under it).
DRILL_STEPS = [("64", "/geo/kabkota.json?parent=64"), ("64.72", "/geo/kecamatan.json?parent=64.72")]
GEO = ["/geo/provinsi.json", "/geo/kabkota.json", "/geo/kecamatan.json",
       *[path for _, path in DRILL_STEPS]]
BASELINE_KAB_BUDGET_MS = 90_000


def log(start: float, message: str) -> None:
    """Print a progress line to stderr."""
    print(f"[{time.monotonic() - start:5.0f} s] {message}", file=sys.stderr, flush=True)


def boundaries(app: str) -> dict[str, dict[str, float]]:
    """Fetch each boundary view once (gzip): the server's first, uncached answer."""
    out = {}
    for path in GEO:
        request = urllib.request.Request(app + path, headers={"Accept-Encoding": "gzip"})
        start = time.perf_counter()
        with urllib.request.urlopen(request) as response:
            body = response.read()
            gzipped = response.headers.get("Content-Encoding") == "gzip"
        ms = (time.perf_counter() - start) * 1000
        decoded = gzip.decompress(body) if gzipped else body
        out[path] = {"first_ms": ms, "gzip_bytes": len(body), "bytes": len(decoded),
                     "features": len(json.loads(decoded)["features"])}
    return out


def views_by_level(db_url: str) -> dict[str, dict[str, list[int]]]:
    """Return, per layer level, the indicators defined there and their years."""
    from queries.catalogue import read_catalogue
    from queries.db import make_engine

    engine = make_engine(db_url)
    with engine.connect() as conn:
        catalogue = read_catalogue(conn)
    engine.dispose()
    views = {level: {k: list(i.periods) for k, i in catalogue.items() if level in i.levels()}
             for level in ("provinsi", "kabkota", "kecamatan")}
    views["records"] = {k: v for k, v in views["kecamatan"].items()
                        if catalogue[k].from_records}
    return views


def browser_runs(chromium: b.Chromium, app: str, base: str, geo: dict[str, Any],
                 args: argparse.Namespace, start: float) -> dict[str, Any]:
    """Run every browser measurement; return the raw samples (and captured requests)."""
    n = {path: geo[path]["features"] for path in GEO}
    prov, kab, kec = n["/geo/provinsi.json"], n["/geo/kabkota.json"], n["/geo/kecamatan.json"]
    raw: dict[str, Any] = {"captured": {}}
    capture = raw["captured"]

    log(start, "warm-up: one load of each view (server caches, OS file cache)")
    for level, url, cond in (("provinsi", PROV, b.svg_drawn(prov)),
                             ("kabkota", KAB, b.svg_drawn(kab)),
                             ("kecamatan", KEC, b.canvas_drawn(kec)),
                             ("records", RECORDS, b.canvas_drawn(kec))):
        b.load(chromium, app + url, cond, capture=partial(capture.setdefault, level))
    b.drill_down(chromium, app + DRILL, [(code, n[path]) for code, path in DRILL_STEPS])
    b.load(chromium, base + "/?level=provinsi", b.plotly_drawn(prov))
    b.load(chromium, base + "/?level=kabkota", b.plotly_drawn(kab))

    log(start, f"provinsi page loads, app and baseline interleaved ({args.runs} each)")
    raw["load_app"], raw["load_base"] = [], []
    for _ in range(args.runs):
        raw["load_app"].append(b.load(chromium, app + PROV, b.svg_drawn(prov),
                                      settle=b.settled(b.svg_drawn(prov)), revisit=True,
                                      first=b.first_view_drawn(prov)))
        raw["load_base"].append(b.load(chromium, base + "/?level=provinsi", b.plotly_drawn(prov)))

    log(start, f"drill-downs ({args.runs})")
    raw["drill"] = [b.drill_down(chromium, app + DRILL,
                                 [(code, n[path]) for code, path in DRILL_STEPS])
                    for _ in range(args.runs)]

    log(start, f"recolours provinsi and kab/kota ({args.recolours} each) and baseline")
    raw["recolour_prov"], _ = b.recolours(chromium, app + PROV_RECOLOUR, b.svg_drawn(prov),
                                          args.recolours)
    raw["recolour_prov_base"] = b.baseline_recolours(chromium, base + "/?level=provinsi", prov,
                                                     args.runs)
    raw["recolour_kab"], _ = b.recolours(chromium, app + KAB, b.svg_drawn(kab), args.recolours)
    try:
        raw["recolour_kab_base"] = b.baseline_recolours(
            chromium, base + "/?level=kabkota", kab, args.runs, budget_ms=BASELINE_KAB_BUDGET_MS)
        if len(raw["recolour_kab_base"]) < args.runs:
            raw["recolour_kab_base_note"] = (f"{len(raw['recolour_kab_base'])} runs: stopped at"
                                             f" the {BASELINE_KAB_BUDGET_MS / 1000:.0f} s budget")
    except Exception as exc:  # a timeout of the baseline is a result, not a harness failure
        raw["recolour_kab_base"] = []
        raw["recolour_kab_base_note"] = f"skipped: {type(exc).__name__}: {exc}"[:120]

    log(start, "play through 10 years (IDI 2015-2024 by provinsi)")
    raw["play"] = b.play(chromium, app + PLAY, PLAY_FROM, PLAY_FRAMES)

    log(start, f"all kecamatan: loads ({args.kec_runs}), recolours ({args.recolours}), pan/zoom")
    raw["kec_load"] = [b.load(chromium, app + KEC, b.canvas_drawn(kec),
                              first=b.first_view_drawn(kec))
                       for _ in range(args.kec_runs)]
    raw["kec_recolour"], raw["panzoom"] = b.recolours(chromium, app + KEC, b.canvas_drawn(kec),
                                                      args.recolours, after=b.pan_zoom)
    return raw


def server_runs(app: str, captured: dict[str, Any], views: dict[str, dict[str, list[int]]],
                args: argparse.Namespace) -> dict[str, Any]:
    """Replay each level's captured render callback: warm (cache hit) and cold (miss)."""
    replayer = Replayer(app)
    try:
        return {level: {"warm": replayer.warm(captured[level]["body"], args.server_runs),
                        "cold": replayer.cold(captured[level]["body"], views[level])}
                for level in ("provinsi", "kabkota", "kecamatan", "records")}
    finally:
        replayer.close()


def figures(raw: dict[str, Any], geo: dict[str, Any]) -> list[Figure]:
    """Turn the raw samples into the reported figures with their targets."""
    def ms(rows: list[dict[str, Any]], key: str = "ms") -> list[float]:
        # A recolour drawn from the colourings fetched before is drawn before its render
        # callback answers: that answer is no part of it (no bytes to count).
        return [r[key] for r in rows if r[key] is not None]

    def render(sample: dict[str, Any]) -> dict[str, Any]:
        calls: list[dict[str, Any]] = [f for f in sample["timeline"]["fetches"]
                                       if b.RENDER_OUTPUT in f["output"]]
        return calls[-1]

    drills = list(zip(*raw["drill"], strict=True))
    kec_geo = [next(g for g in s["timeline"]["geo"] if "/geo/kecamatan.json" in g["url"])
               for s in raw["kec_load"]]
    kec_cb = [render(s) for s in raw["kec_load"]]
    pz = raw["panzoom"]
    out = [
        Figure("load.provinsi", "Provinsi map (38) drawn after page load, cold cache"
               " (drawn by the server into the page)", "ms",
               ms(raw["load_app"], "first"), stat="p50", target=800, max_ratio=0.5,
               baseline=ms(raw["load_base"])),
        Figure("load.provinsi.interactive", "… the interactive map drawn (Leaflet: hover,"
               " click)", "ms", ms(raw["load_app"]), stat="p50", baseline=ms(raw["load_base"])),
        Figure("load.provinsi.settled", "… page settled (side panel drawn)", "ms",
               ms(raw["load_app"], "settled")),
        Figure("load.provinsi.revisit", "… same page reloaded, warm HTTP cache (304s)", "ms",
               [r["revisit"]["ms"] for r in raw["load_app"]]),
    ]
    for (code, path), samples in zip(DRILL_STEPS, drills, strict=True):
        out.append(Figure(f"drill.{code}", f"Drill-down click on {code} -> "
                          f"{geo[path]['features']} regions drawn", "ms", ms(list(samples)),
                          target=300))
    out += [
        Figure("recolour.provinsi", "Recolour (year) provinsi -> drawn", "ms",
               ms(raw["recolour_prov"]), target=100, max_ratio=0.5,
               baseline=ms(raw["recolour_prov_base"])),
        Figure("recolour.provinsi.bytes", "… all its requests' responses over the wire", "B",
               ms(raw["recolour_prov"], "all_callbacks_transfer"),
               baseline=ms(raw["recolour_prov_base"], "all_callbacks_transfer")),
        Figure("recolour.kabkota", "Recolour (year) kab/kota (514) -> drawn", "ms",
               ms(raw["recolour_kab"]), target=100, max_ratio=0.5,
               baseline=ms(raw["recolour_kab_base"]),
               baseline_note=raw.get("recolour_kab_base_note", "")),
        Figure("recolour.kabkota.bytes", "… all its requests' responses over the wire", "B",
               ms(raw["recolour_kab"], "all_callbacks_transfer"), target=20_000,
               baseline=ms(raw["recolour_kab_base"], "all_callbacks_transfer"),
               baseline_note=raw.get("recolour_kab_base_note", "")),
        Figure("recolour.kabkota.decoded", "… same, decoded", "B",
               ms(raw["recolour_kab"], "all_callbacks_decoded"),
               baseline=ms(raw["recolour_kab_base"], "all_callbacks_decoded")),
        Figure("kecamatan.bytes", "All 7,285 kec: geometry + render callback, compressed",
               "B", [g["transfer"] + c["transfer"] for g, c in zip(kec_geo, kec_cb, strict=True)],
               stat="p50", target=2_000_000),
        Figure("kecamatan.bytes.geometry", "… /geo/kecamatan.json gzip (decoded "
               f"{kec_geo[0]['decoded'] / 1e6:.2f} MB)", "B", [g["transfer"] for g in kec_geo],
               stat="p50"),
        Figure("kecamatan.bytes.callback", "… render callback compressed (decoded "
               f"{kec_cb[0]['decoded'] / 1e3:.0f} kB)", "B", [c["transfer"] for c in kec_cb],
               stat="p50"),
        Figure("kecamatan.bytes.page", "… the page's HTML, the map drawn by the server"
               " inside, compressed", "B", [s["timeline"]["nav"]["transfer"]
                                            for s in raw["kec_load"]], stat="p50"),
        Figure("kecamatan.load", "All 7,285 kec drawn after page load (drawn by the server"
               " into the page)", "ms", ms(raw["kec_load"], "first"), stat="p50", target=1500),
        Figure("kecamatan.load.interactive", "… the interactive map drawn (Leaflet canvas:"
               " hover, click)", "ms", ms(raw["kec_load"]), stat="p50"),
        Figure("kecamatan.recolour", "All 7,285 kec recolour (year) -> drawn", "ms",
               ms(raw["kec_recolour"]), target=250),
        Figure("play", f"Play {PLAY_FRAMES} years (IDI provinsi, across the 2022 split):"
               " each year's step -> drawn", "ms", raw["play"], stat="max", target=500),
        Figure("kecamatan.recolour.bytes", "… all its requests' responses over the wire", "B",
               ms(raw["kec_recolour"], "all_callbacks_transfer")),
        Figure("kecamatan.panzoom.frames", "All kec pan/zoom: animation-frame interval", "ms",
               pz["frame_ms"], target=50),
        Figure("kecamatan.panzoom.longest", "… longest frame", "ms", [max(pz["frame_ms"])]),
        Figure("kecamatan.panzoom.zoom", "… wheel zoom -> redrawn", "ms",
               [s["ms"] for s in pz["steps"] if s["kind"] == "zoom"]),
        Figure("kecamatan.panzoom.pan", "… drag release -> inertia glide ends, redrawn", "ms",
               [s["ms"] for s in pz["steps"] if s["kind"] == "pan"]),
    ]
    names = {"records": "kecamatan, record-derived (turnout 2024 from TPS rows)"}
    for level, times in raw["server"].items():
        out.append(Figure(f"server.warm.{level}", "Server: warm render callback, "
                          + names.get(level, level), "ms", times["warm"], target=50))
    for level, times in raw["server"].items():
        out.append(Figure(f"server.cold.{level}", "Server: cold (cache miss) callback, "
                          + names.get(level, level), "ms", times["cold"]))
    for path in GEO:
        out.append(Figure(f"server.first{path}", f"Server: first {path} after start (gzip "
                          f"{geo[path]['gzip_bytes'] / 1e3:.0f} kB)", "ms",
                          [geo[path]["first_ms"]], stat="p50"))
    return out


def meta(chromium_version: str, startup_s: float, args: argparse.Namespace) -> dict[str, Any]:
    """Return what the run ran on."""
    def git(*cmd: str) -> str:
        return subprocess.run(["git", *cmd], capture_output=True, text=True).stdout.strip()

    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "cpus": os.cpu_count(),
        "machine": platform.platform(), "python": platform.python_version(),
        "chromium": chromium_version, "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain")), "app_start_s": round(startup_s, 1),
        "packages": {p: version(p) for p in ("dash", "dash-leaflet", "plotly", "playwright",
                                             "polars", "waitress")},
        "runs": vars(args),
    }


def main(argv: list[str] | None = None) -> int:
    """Run everything; print the table; write the JSON. Exit 0 unless the harness failed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--runs", type=int, default=20, help="page loads / drill-downs")
    parser.add_argument("--recolours", type=int, default=30, help="recolours per level")
    parser.add_argument("--kec-runs", type=int, default=10, help="loads of all kecamatan")
    parser.add_argument("--server-runs", type=int, default=50, help="warm callback replays")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    start = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="mata-garuda-bench-"))
    try:
        (tmp / "var").mkdir()
        (tmp / "baseline").mkdir()
        log(start, "starting the app (first start builds the database)")
        with app_server(tmp / "var", free_port()) as (app, startup_s):
            geo = boundaries(app)
            db_url = f"sqlite:///{tmp / 'var' / 'mata_garuda.db'}"
            write_data(app, db_url, tmp / "baseline")
            log(start, f"app up in {startup_s:.1f} s; starting the baseline")
            with baseline_server(tmp / "baseline", free_port()) as base, \
                    sync_playwright() as playwright:
                chromium = b.Chromium(playwright)
                try:
                    raw = browser_runs(chromium, app, base, geo, args, start)
                finally:
                    chromium.close()
            log(start, f"server time: {args.server_runs} warm and 30 cold replays per level")
            raw["server"] = server_runs(app, raw["captured"], views_by_level(db_url), args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results = figures(raw, geo)
    raw["geo"] = geo
    info = meta(chromium.version, startup_s, args)
    info["duration_s"] = round(time.monotonic() - start)
    print(table(results))
    print()
    print(breakdown([
        ("load provinsi", raw["load_app"]),
        ("baseline load provinsi", raw["load_base"]),
        ("load all kec", raw["kec_load"]),
        *[(f"drill-down {code}", [d[i] for d in raw["drill"]])
          for i, (code, _) in enumerate(DRILL_STEPS)],
        ("recolour provinsi", raw["recolour_prov"]),
        ("recolour kab/kota", raw["recolour_kab"]),
        ("recolour all kec", raw["kec_recolour"]),
        ("baseline recolour provinsi", raw["recolour_prov_base"]),
        *([("baseline recolour kab/kota", raw["recolour_kab_base"])]
          if raw["recolour_kab_base"] else []),
    ]))
    print(f"\n{info['date']}, {info['cpus']} CPUs, Chromium {info['chromium']}, "
          f"{info['duration_s']} s; JSON: {args.out}")
    write_json(args.out, info, results, raw)
    return 0


if __name__ == "__main__":
    sys.exit(main())
