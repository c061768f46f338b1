"""Browser measurements: headless Chromium driven by playwright, timed inside the page.

Every time is taken by the page itself (``probe.js``): a navigation is timed from its
start (``performance.now()``'s origin), an interaction from the ``timeStamp`` of the input
event, and both end two animation frames after the "drawn" condition first holds. The
Python side only sends input and waits on promises; it never sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Playwright, ViewportSize

from tests.mapjs import POINT_IN_REGION, region_class

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
PROBE = Path(__file__).with_name("probe.js").read_text()
TIMEOUT_MS = 30_000
RENDER_OUTPUT = "peta-colouring-store.data"  # the page's render callback (colouring + geometry URL)
BASELINE_OUTPUT = "map.figure"


def svg_drawn(n: int, prefix: str = "") -> str:
    """JS condition: the app's SVG layer shows ``n`` regions under ``prefix``, coloured."""
    return f"window.__bench.svgDrawn({n}, {json.dumps(prefix)}, before.rev)"


def canvas_drawn(n: int) -> str:
    """JS condition: the app's canvas layer is coloured by a hideout of ``n`` regions."""
    return f"window.__bench.canvasDrawn({n}, before.rev, before.thumb)"


def first_view_drawn(n: int) -> str:
    """JS condition: the server-drawn map of the page shows ``n`` filled regions."""
    return f"window.__bench.firstViewDrawn({n})"


def settled(condition: str) -> str:
    """JS condition: ``condition`` and the side panel drawn (KPI cards and trend image).

    Interactions start from a settled page, so a click does not wait for the panel's
    components to mount.
    """
    return f"({condition}) && window.__bench.panelDrawn()"


def plotly_drawn(n: int) -> str:
    """JS condition: the baseline's plotly map shows ``n`` filled paths after an afterplot."""
    return f"window.__bench.plotlyDrawn({n}, before.afterplots, before.fills)"


# The state an interaction's condition compares against, read just before the input (at
# a page load there is none: the same conditions then only ask for a drawn map).
BEFORE = """const B = window.__bench, h = B.hideout();
const before = {rev: h ? h.rev : undefined, thumb: B.thumb(),
                afterplots: B.afterplots, fills: B.fills()};"""
AT_LOAD = "const before = {rev: undefined, thumb: null, afterplots: 0, fills: null};"


class Chromium:
    """One headless Chromium; each measurement gets a fresh context (empty HTTP cache)."""

    def __init__(self, playwright: Playwright) -> None:
        self.browser: Browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                           args=CHROMIUM_ARGS)
        self.version = self.browser.version

    @contextmanager
    def page(self) -> Iterator[Page]:
        """Yield a page in a new context with the probes installed."""
        context = self.browser.new_context(viewport=VIEWPORT)
        context.add_init_script(PROBE)
        try:
            yield context.new_page()
        finally:
            context.close()

    def close(self) -> None:
        """Close the browser."""
        self.browser.close()


def _callback(timeline: dict[str, Any], output: str) -> dict[str, Any] | None:
    calls = [f for f in timeline["fetches"] if output in f["output"]]
    return calls[-1] if calls else None


def goto_drawn(page: Page, url: str, condition: str, settle: str | None = None,
               install: bool = True, first: str | None = None) -> dict[str, Any]:
    """Navigate to ``url`` and time navigation start -> ``condition`` held + 2 frames.

    With ``settle``, also time that second condition (e.g. :func:`settled`), and with
    ``first`` a third (:func:`first_view_drawn`, the map before Dash draws). The waiters
    are init scripts, so they run from the new document's first frame (``install=False``
    reuses those a previous call left on the page). Returns the times (ms from navigation
    start) and the page's timeline: callbacks, boundary requests, bytes, long tasks.
    """
    if install:
        page.add_init_script(
            f"{{ {AT_LOAD} const B = window.__bench;"
            f" B.load = B.until(() => {condition}, {TIMEOUT_MS});"
            f" B.settle = {f'B.until(() => {settle}, {TIMEOUT_MS})' if settle else 'null'};"
            f" B.first = {f'B.until(() => {first}, {TIMEOUT_MS})' if first else 'null'}; }}")
    page.goto(url, wait_until="commit")
    times = page.evaluate("window.__bench.load")
    result = {"ms": times["drawn"], "seen": times["seen"]}
    if settle:
        result["settled"] = page.evaluate("window.__bench.settle")["drawn"]
    if first:
        result["first"] = page.evaluate("window.__bench.first")["drawn"]
    result["timeline"] = page.evaluate("window.__bench.timeline(0)")
    output = BASELINE_OUTPUT if "plotlyDrawn" in condition else RENDER_OUTPUT
    result.update(phases(result["timeline"], output, 0.0, times["drawn"]))
    return result


def load(chromium: Chromium, url: str, condition: str, settle: str | None = None,
         capture: Callable[[dict[str, Any]], object] | None = None,
         revisit: bool = False, first: str | None = None) -> dict[str, Any]:
    """Time a cold load of ``url`` in a fresh context (and, with ``revisit``, a warm one).

    ``capture`` receives the render callback's request (body and headers) for replay.
    """
    with chromium.page() as page:
        if capture is not None:
            def on_request(request: Any) -> None:
                if "_dash-update-component" in request.url and RENDER_OUTPUT in (
                        request.post_data or ""):
                    capture({"body": request.post_data, "headers": request.headers})
            page.on("request", on_request)
        result = goto_drawn(page, url, condition, settle, first=first)
        if revisit:
            result["revisit"] = goto_drawn(page, url, condition, settle, install=False,
                                           first=first)
        return result


def interact(page: Page, condition: str, act: Callable[[], None], input_type: str,
             output: str = RENDER_OUTPUT) -> dict[str, Any]:
    """Time one input -> ``condition`` held + 2 frames, from the input event's timestamp.

    Also returns when the callback carrying ``output`` finished (ms after the input) and
    its response sizes, which split the time into "waiting for the server" and "drawing".
    """
    since = page.evaluate("performance.now()")
    page.evaluate(f"() => {{ {BEFORE} B.pending = B.until(() => {condition}, {TIMEOUT_MS}); }}")
    act()
    times = page.evaluate("window.__bench.pending")
    inputs = page.evaluate(
        f"window.__bench.inputs.filter(i => i.t >= {since} && i.type === '{input_type}')")
    if not inputs:
        raise RuntimeError(f"no {input_type} event reached the page")
    t0 = inputs[0]["t"]
    timeline = page.evaluate(f"window.__bench.timeline({since})")
    call = _callback(timeline, output)
    return {
        "ms": times["drawn"] - t0, "seen": times["seen"] - t0, "t0": t0,
        **phases(timeline, output, t0, times["drawn"]),
        "encoded": call["encoded"] if call else None, "decoded": call["decoded"] if call else None,
        "transfer": call["transfer"] if call else None,
        "callbacks": len(timeline["fetches"]), "geo": timeline["geo"],
        "all_callbacks_transfer": sum(f["transfer"] or 0 for f in timeline["fetches"]),
        "all_callbacks_decoded": sum(f["decoded"] or 0 for f in timeline["fetches"]),
    }


def phases(timeline: dict[str, Any], output: str, t0: float, drawn: float) -> dict[str, Any]:
    """Return where the time of a load or an input went.

    ``callback_done`` and ``geo_done``: when (ms after ``t0``) the response of the callback
    carrying ``output`` and of the boundary request ended; ``longest_task``: the longest
    main-thread task that started before ``drawn``.
    """
    call = _callback(timeline, output)
    geo = [g["end"] for g in timeline["geo"] if g["end"]]
    tasks = [d for start, d in timeline["longtasks"] if start < drawn]
    return {"callback_done": call["end"] - t0 if call and call["end"] else None,
            "geo_done": max(geo) - t0 if geo else None,
            "longest_task": max(tasks, default=0.0)}


def click_region(page: Page, code: str) -> Callable[[], None]:
    """Return an action clicking inside region ``code``'s path (mouse parked first)."""
    def act() -> None:
        page.mouse.move(2, 2)  # no tooltip over the target
        point = page.evaluate(POINT_IN_REGION, region_class(code))
        if point is None:
            raise RuntimeError(f"no visible point inside region {code}")
        page.mouse.click(*point)
    return act


def drill_down(chromium: Chromium, url: str, steps: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """Load ``url`` (untimed), then click each region of ``steps`` in turn, timing each.

    ``steps`` holds (code clicked, regions its map shows); the condition for each is
    that many paths, all under the clicked code, coloured by the new hideout.
    """
    with chromium.page() as page:
        goto_drawn(page, url, settled(svg_drawn(38)))  # the national provinsi map
        samples = []
        for code, n in steps:
            samples.append(interact(page, svg_drawn(n, code + "."), click_region(page, code),
                                    "click"))
            # The legend and panel follow the map: the next click starts from a settled
            # page (the legend would move under it).
            page.wait_for_load_state("networkidle")
        return samples


def year_keys(page: Page) -> Callable[[str], Callable[[], None]]:
    """Return a factory of actions pressing a key on the year slider's thumb."""
    thumb = page.locator("#peta-tahun-slider [role=slider]").first

    def press(key: str) -> Callable[[], None]:
        return lambda: thumb.press(key)
    return press


def recolours(chromium: Chromium, url: str, condition: str, runs: int, warmup: int = 2,
              after: Callable[[Page], Any] | None = None) -> tuple[list[dict[str, Any]], Any]:
    """Load ``url``, then recolour ``warmup + runs`` times with the year slider.

    ArrowLeft and ArrowRight alternate (the URL's year and the one before; the slider
    steps between two marks and the map snaps to the period meant), so every recolour
    changes the colours and keeps the boundaries. Home and End (the first and the last
    year) would cross boundary vintages (34 provinces before 2022): new geometry, not a
    recolour.
    ``after(page)`` runs on the same page afterwards (the pan/zoom measurement).
    """
    with chromium.page() as page:
        goto_drawn(page, url, settled(condition))
        press = year_keys(page)
        keys = [("ArrowLeft", "ArrowRight")[i % 2] for i in range(warmup + runs)]
        samples = [interact(page, condition, press(key), "keydown") for key in keys]
        return samples[warmup:], after(page) if after else None


def baseline_recolours(chromium: Chromium, url: str, n: int, runs: int, warmup: int = 1,
                       budget_ms: float = float("inf")) -> list[dict[str, Any]]:
    """Load the baseline at ``url`` and click its recolour button, within ``budget_ms``."""
    with chromium.page() as page:
        goto_drawn(page, url, plotly_drawn(n))
        samples: list[dict[str, Any]] = []
        spent = 0.0
        for _ in range(warmup + runs):
            if spent > budget_ms:
                break
            sample = interact(page, plotly_drawn(n), lambda: page.click("#recolour"), "click",
                              BASELINE_OUTPUT)
            samples.append(sample)
            spent += sample["ms"]
        return samples[warmup:]


def play(chromium: Chromium, url: str, n: int, frames: int) -> list[float]:
    """Load ``url`` (``n`` regions), press play; return each frame's ms, step -> drawn.

    A frame starts when the slider moves to the next year and ends at the first animation
    frame showing a newer colouring on every path (as many paths as it colours: the
    boundaries may change on the way). Waits for ``frames`` frames, all drawn.
    """
    with chromium.page() as page:
        goto_drawn(page, url, settled(svg_drawn(n)))
        page.evaluate("window.__bench.playSteps()")
        page.click("#peta-play-button")
        page.evaluate(f"window.__bench.until(() => window.__bench.play.length >= {frames}"
                      " && window.__bench.play.every(s => s.drawn !== null),"
                      f" {frames * 3 * TIMEOUT_MS})")
        steps = page.evaluate("window.__bench.play")
        return [s["drawn"] - s["t"] for s in steps[:frames]]


def pan_zoom(page: Page) -> dict[str, Any]:
    """Zoom in twice, out twice (mouse wheel) and pan twice (drag) over the map.

    Each step waits for Leaflet's ``zoomend``/``moveend`` plus 2 frames (timed from the
    wheel event / the drag's pointerup). ``frame_ms`` holds the animation-frame intervals
    that end inside a step (input -> redrawn), so idle frames between steps do not
    dilute it; ``frames_all`` and ``longtasks`` cover the whole sequence.
    """
    box = page.locator(".leaflet-container").bounding_box()
    if box is None:
        raise RuntimeError("no map on the page")
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.evaluate("window.__bench.startFrames()")
    steps: list[dict[str, Any]] = []

    def step(kind: str, event: str, input_type: str, act: Callable[[], None]) -> None:
        since = page.evaluate("performance.now()")
        page.evaluate(f"window.__bench.armMapEvent('{event}', {TIMEOUT_MS})")
        act()
        done = page.evaluate("window.__bench.pending")
        inputs = page.evaluate(
            f"window.__bench.inputs.filter(i => i.t >= {since} && i.type === '{input_type}')")
        steps.append({"kind": kind, "start": inputs[0]["t"], "drawn": done["drawn"],
                      "ms": done["drawn"] - inputs[-1]["t"], "zoom": done["zoom"]})

    for dy in (-240, -240, 240, 240):
        step("zoom", "zoomend", "wheel", partial(page.mouse.wheel, 0, dy))
    for dx, dy in ((260, 120), (-260, -120)):
        def drag(dx: float = dx, dy: float = dy) -> None:
            page.mouse.move(cx, cy)
            page.mouse.down()
            page.mouse.move(cx + dx, cy + dy, steps=20)
            page.mouse.up()
        step("pan", "moveend", "pointerdown", drag)
    for s in steps:
        if s["kind"] == "pan":  # timed from the release; its window starts at the press
            release = page.evaluate(f"window.__bench.inputs.filter(i => i.t >= {s['start']}"
                                    " && i.type === 'pointerup')[0].t")
            s["ms"] = s["drawn"] - release
    frames = page.evaluate("window.__bench.stopFrames()")
    times = frames["times"]
    busy = [b - a for a, b in zip(times, times[1:], strict=False)
            if any(s["start"] <= b <= s["drawn"] for s in steps)]
    return {"steps": steps, "frame_ms": busy, "frames_all": times,
            "longtasks": frames["longtasks"]}
