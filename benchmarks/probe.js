// In-page probes for the benchmarks, installed with add_init_script before any page script.
//
// Every time is `performance.now()` of the page: ms since the navigation started.
//   fetches  every Dash callback request: its `output` and its start (Resource Timing adds
//            the end and the byte counts, see `timeline`)
//   inputs   click / keydown / wheel / pointerdown / pointerup events with their `timeStamp`
//   maps     the Leaflet maps of the page (hooked when Leaflet defines `window.L`)
//   longtasks  main-thread tasks over 50 ms: [start, duration]
//   until    resolves when a condition holds, checked once per animation frame, then
//            waits 2 more frames (so the state seen has been painted at least once)
(() => {
  const B = (window.__bench = { fetches: [], inputs: [], maps: [], afterplots: 0, frames: null,
                                longtasks: [] });
  performance.setResourceTimingBufferSize(10000);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) B.longtasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask" });

  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === "string" ? input : input.url;
    if (url.includes("_dash-update-component")) {
      let output = "";
      try { output = JSON.parse(init.body).output; } catch (e) { /* not JSON */ }
      B.fetches.push({ output: output, start: performance.now() });
    }
    return fetch0.apply(this, arguments);
  };

  for (const type of ["click", "keydown", "wheel", "pointerdown", "pointerup"]) {
    window.addEventListener(type, (e) => B.inputs.push({ type: type, t: e.timeStamp }), true);
  }

  let leaflet;
  Object.defineProperty(window, "L", {
    configurable: true,
    get() { return leaflet; },
    set(value) {
      leaflet = value;
      if (value && value.Map && value.Map.addInitHook) {
        value.Map.addInitHook(function () { B.maps.push(this); });
      }
    },
  });

  const raf = () => new Promise((resolve) => requestAnimationFrame(resolve));

  B.until = (predicate, timeoutMs) => new Promise((resolve, reject) => {
    const begin = performance.now();
    const tick = () => {
      let ok = false;
      try { ok = predicate(); } catch (e) { ok = false; }
      if (ok) {
        const seen = performance.now();
        raf().then(raf).then(() => resolve({ seen: seen, drawn: performance.now() }));
      } else if (performance.now() - begin > timeoutMs) {
        reject(new Error("condition not met within " + timeoutMs + " ms: " + predicate));
      } else {
        requestAnimationFrame(tick);
      }
    };
    tick();
  });

  B.hideout = () => (window.mataGaruda && window.mataGaruda.map && window.mataGaruda.map.current);

  // The app's SVG layer is drawn: exactly `n` region paths (codes under `prefix`), each
  // filled with the colour the current hideout gives it (plain or striped), none white.
  B.svgDrawn = (n, prefix, notRev) => {
    const h = B.hideout();
    if (!h || !h.rev || h.rev === notRev) return false;
    const paths = document.querySelectorAll(".leaflet-overlay-pane path.leaflet-interactive");
    if (paths.length !== n) return false;
    for (const p of paths) {
      const cls = Array.from(p.classList).find((c) => c.startsWith("region-"));
      if (!cls) return false;
      const code = cls.slice(7).replace(/-/g, ".");
      if (prefix && !code.startsWith(prefix)) return false;
      const row = h.d[code];
      const want = row && row[0] !== null && row[0] !== undefined ? h.colors[row[0]] : h.missing;
      const fill = p.getAttribute("fill");
      // A simulated value is striped in its class colour (map.js simulatedFill).
      const striped = "url(#mg-sim-" + String(want).replace(/[^0-9a-zA-Z]/g, "") + ")";
      if (!fill || fill === "#ffffff" || (fill !== want && fill !== striped)) return false;
    }
    return true;
  };

  // The map drawn by the server into the page (components/first_view.py): `n` region
  // paths, each filled.
  B.firstViewDrawn = (n) => {
    const paths = document.querySelectorAll("#mg-first-view path");
    return paths.length === n && Array.from(paths).every((p) => !!p.getAttribute("fill"));
  };

  // Playing through the years: each step of the slider (time, year, the colouring shown
  // then) and when the map was first drawn with a newer colouring after it.
  B.playSteps = () => {
    const thumb = document.querySelector("#peta-tahun-slider [role=slider]");
    B.play = [];
    new MutationObserver(() => {
      const h = B.hideout();
      B.play.push({ t: performance.now(), year: thumb.getAttribute("aria-valuenow"),
                    rev: h ? h.rev : null, drawn: null });
    }).observe(thumb, { attributes: true, attributeFilter: ["aria-valuenow"] });
    const frame = () => {
      const h = B.hideout();
      for (const s of B.play) {
        if (s.drawn === null && h && h.rev !== s.rev &&
            B.svgDrawn(Object.keys(h.d).length, "", s.rev)) s.drawn = performance.now();
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  };

  B.fills = () => Array.from(
    document.querySelectorAll(".leaflet-overlay-pane path.leaflet-interactive, path.choroplethlocation"),
    (p) => p.getAttribute("fill") || p.style.fill);

  // A 64x64 thumbnail of the Leaflet canvas (RGBA bytes), to tell drawn and recoloured.
  B.thumb = () => {
    const c = document.querySelector(".leaflet-overlay-pane canvas");
    if (!c || !c.width) return null;
    const t = B._thumb || (B._thumb = document.createElement("canvas"));
    t.width = 64; t.height = 64;
    const g = t.getContext("2d", { willReadFrequently: true });
    g.clearRect(0, 0, 64, 64);
    g.drawImage(c, 0, 0, 64, 64);
    return g.getImageData(0, 0, 64, 64).data;
  };
  const painted = (d) => { let k = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) k++; return k / (d.length / 4); };
  const changed = (a, b) => {
    let k = 0;
    for (let i = 0; i < a.length; i += 4) {
      if (Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]) > 24) k++;
    }
    return k / (a.length / 4);
  };

  // The page's side panel is drawn: its KPI cards and its trend image decoded.
  B.panelDrawn = () => {
    const img = document.querySelector(".peta-panel img.peta-trend");
    return !!document.querySelector(".peta-panel .kpi") && !!img && img.complete;
  };

  // The app's canvas layer is drawn: the hideout (not `notRev`) colours `n` regions, the
  // Leaflet canvas exists and has paint on >= 2% of it, and (for a recolour) >= 0.5% of
  // the thumbnail changed since `before`.
  B.canvasDrawn = (n, notRev, before) => {
    const h = B.hideout();
    if (!h || !h.rev || h.rev === notRev || Object.keys(h.d).length !== n) return false;
    const now = B.thumb();
    if (!now || painted(now) < 0.02) return false;
    return !before || changed(now, before) >= 0.005;
  };

  // The baseline's plotly map is drawn: `n` choropleth paths, all filled, and a
  // `plotly_afterplot` after `afterplots`; for a recolour some fill differs from `before`.
  B.plotlyDrawn = (n, afterplots, before) => {
    const gd = document.querySelector(".js-plotly-plot");
    if (gd && gd.on && !gd.__benchHooked) {
      gd.__benchHooked = true;
      gd.on("plotly_afterplot", () => { B.afterplots += 1; });
    }
    if (!gd || B.afterplots <= (afterplots || 0)) return false;
    const fills = B.fills();
    if (fills.length !== n || fills.some((f) => !f)) return false;
    return !before || fills.some((f, i) => f !== before[i]);
  };

  // Animation-frame intervals and long tasks while an interaction runs.
  B.startFrames = () => {
    const rec = (B.frames = { times: [], since: performance.now(), running: true });
    const loop = (t) => { rec.times.push(t); if (rec.running) requestAnimationFrame(loop); };
    requestAnimationFrame(loop);
  };
  B.stopFrames = () => {
    const rec = B.frames;
    rec.running = false;
    return { times: rec.times, longtasks: B.longtasks.filter((l) => l[0] >= rec.since) };
  };

  // Resolves 2 frames after the newest Leaflet map fires `event` (armed before the input).
  B.armMapEvent = (event, timeoutMs) => {
    const map = B.maps[B.maps.length - 1];
    B.pending = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no " + event)), timeoutMs);
      map.once(event, () => {
        const seen = performance.now();
        raf().then(raf).then(() => { clearTimeout(timer); resolve({ seen: seen, drawn: performance.now(), zoom: map.getZoom() }); });
      });
    });
  };

  // Dash callbacks started at or after `since`, with end and sizes from Resource Timing,
  // plus the boundary (/geo/) requests and navigation milestones.
  B.timeline = (since) => {
    const rt = performance.getEntriesByType("resource");
    // Match each callback to its Resource Timing entry: the first unused one that started
    // at (or just after) the fetch() call; entries are only there once the body arrived.
    const dash = rt.filter((e) => e.name.includes("_dash-update-component"))
      .sort((a, b) => a.startTime - b.startTime);
    const used = new Set();
    const fetches = B.fetches.filter((f) => f.start >= since).map((f) => {
      const best = dash.find((e) => !used.has(e) && e.startTime >= f.start - 1 && e.startTime - f.start < 200);
      if (best) used.add(best);
      return {
        output: f.output, start: f.start, end: best ? best.responseEnd : null,
        encoded: best ? best.encodedBodySize : null, decoded: best ? best.decodedBodySize : null,
        transfer: best ? best.transferSize : null,
      };
    });
    const geo = rt.filter((e) => e.name.includes("/geo/") && e.startTime >= since).map((e) => ({
      url: e.name, start: e.startTime, end: e.responseEnd, encoded: e.encodedBodySize,
      decoded: e.decodedBodySize, transfer: e.transferSize, status: e.responseStatus,
    }));
    const nav = performance.getEntriesByType("navigation")[0];
    const scripts = rt.filter((e) => e.initiatorType === "script" || e.name.endsWith(".js"));
    return {
      fetches: fetches, geo: geo, longtasks: B.longtasks.filter((l) => l[0] + l[1] >= since),
      nav: nav ? { responseEnd: nav.responseEnd, domContentLoaded: nav.domContentLoadedEventEnd,
                   load: nav.loadEventEnd, transfer: nav.transferSize } : null,
      scriptBytes: scripts.reduce((s, e) => s + e.encodedBodySize, 0),
    };
  };
})();
