// The map's style, hover and click functions for dash-leaflet's GeoJSON layer.
//
// The geometry arrives once per layer (by URL, cached by the browser). A recolour sends a
// new colouring (a store read by shell.js's afterColour, which calls `track`; the layer's
// `hideout` is only its first colouring: dash-leaflet rebuilds every shape when it changes):
//   d:      {code: [classIndex, value, categoryIndex, rank, siblings, change, sourceIndex,
//                   simulated (1 or 0), reasonIndex]}
//            (reasonIndex: why there is no change, null where there is one)
//   colors: fill colour per class; missing: fill for regions without a value
//   cats, srcs, reasons: category, provenance (publisher, kind) and no-change labels the
//   rows point to
// A simulated value is drawn in its class colour with white diagonal stripes (on a canvas,
// where patterns cannot be used, at reduced opacity), so it stands apart from real values
// at a glance and in print.
//   child: the boundaries a click on a region loads ("CODE" for its code), or null
//   unit, dec, lang, labels: what the tooltip needs; sel: the selected region;
//   seq: increases with every colouring; rev: names it (read by the benchmarks);
//   fresh: new boundaries follow it (a drill-down), so it is painted once they are drawn.
(function () {
  const HATCH_ID = "mg-hatch";
  const DRAWN_ON = "peta-map-box";  // the map page's map: its drawn store is on the page

  // Run `task` once the next frame has been painted.
  function afterPaint(task) {
    requestAnimationFrame(function () { setTimeout(task, 0); });
  }

  function ensureHatch() {
    if (document.getElementById(HATCH_ID)) return;
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", "0");
    svg.setAttribute("height", "0");
    svg.setAttribute("aria-hidden", "true");
    svg.style.position = "absolute";
    svg.innerHTML =
      '<defs><pattern id="' + HATCH_ID + '" width="8" height="8" patternUnits="userSpaceOnUse"' +
      ' patternTransform="rotate(45)"><rect width="8" height="8" fill="#e9ecef"/>' +
      '<line x1="0" y1="0" x2="0" y2="8" stroke="#868e96" stroke-width="3"/></pattern></defs>';
    document.body.appendChild(svg);
  }

  // The striped fill of a simulated value of class colour `color`: one pattern per colour.
  function simulatedFill(color) {
    const id = "mg-sim-" + String(color).replace(/[^0-9a-zA-Z]/g, "");
    if (!document.getElementById(id)) {
      ensureHatch();
      const defs = document.getElementById(HATCH_ID).parentNode;
      const ns = "http://www.w3.org/2000/svg";
      const pattern = document.createElementNS(ns, "pattern");
      pattern.setAttribute("id", id);
      pattern.setAttribute("width", "7");
      pattern.setAttribute("height", "7");
      pattern.setAttribute("patternUnits", "userSpaceOnUse");
      pattern.setAttribute("patternTransform", "rotate(45)");
      const rect = document.createElementNS(ns, "rect");
      rect.setAttribute("width", "7");
      rect.setAttribute("height", "7");
      rect.setAttribute("fill", color);
      const line = document.createElementNS(ns, "line");
      line.setAttribute("x1", "0");
      line.setAttribute("y1", "0");
      line.setAttribute("x2", "0");
      line.setAttribute("y2", "7");
      line.setAttribute("stroke", "#ffffff");
      line.setAttribute("stroke-width", "2.5");
      line.setAttribute("stroke-opacity", "0.85");
      pattern.appendChild(rect);
      pattern.appendChild(line);
      defs.appendChild(pattern);
    }
    return "url(#" + id + ")";
  }

  function formatNumber(value, dec, lang) {
    if (value === null || value === undefined) return null;
    return new Intl.NumberFormat(lang === "en" ? "en-US" : "id-ID", {
      minimumFractionDigits: dec,
      maximumFractionDigits: dec,
    }).format(value);
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function tooltip(feature, h) {
    const L = h.labels || {};
    const row = (h.d || {})[feature.properties.code];
    const lines = ["<strong>" + escapeHtml(feature.properties.name) + "</strong>"];
    if (!row || row[1] === null) {
      lines.push('<span class="tt-missing">' + escapeHtml(L.missing) + "</span>");
      return lines.join("<br>");
    }
    lines.push(L.value + ": <b>" + formatNumber(row[1], h.dec, h.lang) + "</b> " +
               escapeHtml(h.unit));
    if (row[2] !== null) lines.push(L.category + ": " + escapeHtml(h.cats[row[2]]));
    const simulated = row[7] === 1;
    const mark = simulated ? ' <span class="tt-simulated">(' + escapeHtml(L.simulated) +
      ")</span>" : "";
    if (row[3] !== null) {
      lines.push(L.rank + ": " + row[3] + " " + L.of + " " + row[4] + mark);
    }
    if (row[5] !== null) {
      const sign = row[5] > 0 ? "▲ +" : row[5] < 0 ? "▼ −" : "";
      lines.push(L.change + ": " + sign + formatNumber(Math.abs(row[5]), h.dec, h.lang));
    } else if (row[8] !== null && row[8] !== undefined) {
      lines.push(L.change + ': <span class="tt-missing">' + escapeHtml(h.reasons[row[8]]) +
                 "</span>");
    }
    const source = escapeHtml(h.srcs[row[6]]);
    lines.push(L.source + ": " + (simulated ?
      '<span class="tt-simulated">' + source + "</span>" : source));
    return lines.join("<br>");
  }

  // The style, hover and click functions of one map, sharing its state. A layer's rows
  // are {code: [classIndex, ...]}; `tooltipOf(feature, hideout)` writes the hover text;
  // `drawnStore`: the Dash store told which colouring was painted (see `drawn`).
  function layerFunctions(tooltipOf, drawnStore) {
    const api = { layers: [], rev: null, current: null, hovered: null, clicks: 0,
                  fetched: new Set(), announced: 0 };

    // Tell Dash that colouring `seq` is on the map, once, after the frame that paints it:
    // what follows (legend, panel, controls) is rendered after the map, never before.
    function announce(seq) {
      if (!drawnStore || !seq || api.announced >= seq) return;
      api.announced = seq;
      afterPaint(function () {
        // Not once the page has gone: Dash would set the props of the page's root.
        if (document.getElementById(DRAWN_ON)) {
          window.dash_clientside.set_props(drawnStore, { data: seq });
        }
      });
    }

    // dash-leaflet hands some calls (resetStyle, event handlers) the props of an earlier
    // render. The colouring with the highest sequence number is the current one, so a
    // late call with an old colouring never paints old colours.
    function latest(h) {
      const current = api.current;
      if (h && h.seq && (!current || h.seq >= current.seq)) {
        api.current = h;
        api.rev = h.rev;
        return h;
      }
      return current || h || {};
    }

    function style(feature, context) {
      const h = latest(context && context.hideout);
      const code = feature.properties.code;
      const row = h.d ? h.d[code] : undefined;
      const cls = row ? row[0] : null;
      const missing = cls === null || cls === undefined;
      const simulated = !missing && row[7] === 1;
      const svg = String(h.missing).indexOf("url(") === 0;  // else drawn on a canvas
      let fill = missing ? h.missing : h.colors[cls];
      if (simulated && svg) fill = simulatedFill(fill);
      const selected = h.sel === code;
      return {
        className: "region-" + code.replace(/\./g, "-"),
        fillColor: fill || "#ffffff",
        fillOpacity: simulated && !svg ? 0.45 : 0.9,
        color: selected ? "#212529" : "#ffffff",
        weight: selected ? 3 : h.weight || 0.8,
        opacity: 1,
      };
    }

    // The server-drawn map of the first view (components/first_view.py) gives way once the
  // interactive map shows a colouring, or at the first click or key (the interactive map
  // may never come: a failed request), so it never stands in the user's way.
  function reveal() {
    const first = document.getElementById("mg-first-view");
    if (first) requestAnimationFrame(function () { first.remove(); });
  }

  function unhover(layer) {
      layer.setStyle(style(layer.feature, null));
      if (layer.unbindTooltip) layer.unbindTooltip();
    }

    return Object.assign(api, {
      style: style,
      onEachFeature: function (feature, layer) {
        api.layers.push(layer);
        if (api.current && api.current.d) {
          reveal();
          announce(api.current.seq);
        }
      },
      // A new colouring restyles the shapes on the map in place (a recolour) and is
      // kept for shapes drawn later (new geometry arrives after its colouring). Shapes it
      // does not colour keep their colours: the layer it is for is still loading.
      track: function (h) {
        const before = api.current;
        if (!h || latest(h) === before) return;
        api.layers = api.layers.filter(function (layer) { return layer._map; });
        api.layers.forEach(function (layer) {
          if (layer.feature.properties.code in h.d) layer.setStyle(style(layer.feature, null));
        });
        if (api.layers.length) reveal();
      },
      // A colouring from the server is shown: announced once painted. One for new
      // boundaries (`fresh`) is shown when they are drawn (onEachFeature); should they
      // never arrive (a failed request), the legend and panel follow all the same.
      drawn: function (h) {
        if (!h || !h.seq) return;
        if (!h.fresh) announce(h.seq);
        else setTimeout(function () { announce(h.seq); }, 3000);
      },
      // One region is highlighted and carries the tooltip at a time.
      mouseover: function (e) {
        const layer = e.layer || e.target;
        if (!layer || !layer.feature) return;
        if (api.hovered && api.hovered !== layer) unhover(api.hovered);
        api.hovered = layer;
        layer.setStyle({ weight: 2.5, color: "#212529" });
        // A region hovered may be clicked: have its children's boundaries at hand.
        const child = api.current && api.current.child;
        const url = child ? child.replace("CODE", layer.feature.properties.code) : null;
        if (url && !api.fetched.has(url)) {
          api.fetched.add(url);
          fetch(url).catch(function () { api.fetched.delete(url); });
        }
        const content = tooltipOf(layer.feature, latest(null));
        if (layer.getTooltip()) {
          layer.setTooltipContent(content);
        } else {
          layer.bindTooltip(content, { sticky: true, className: "peta-tooltip", direction: "top" });
        }
        layer.openTooltip(e.latlng);
      },
      mouseout: function (e) {
        const layer = e.layer || e.target;
        if (layer && layer.feature) unhover(layer);
        if (api.hovered === layer) api.hovered = null;
      },
      click: function (e, ctx) {
        const layer = e.layer || e.target;
        if (!layer || !layer.feature) return;
        api.clicks += 1;
        ctx.setProps({ n_clicks: api.clicks, clickData: { code: layer.feature.properties.code } });
      },
      tooltip: tooltipOf,
    });
  }

  // The completeness map: d = {code: [statusIndex, recordedBy, note]}, labels = status
  // names; a province's note counts its kab/kota offices.
  function statusTooltip(feature, h) {
    const row = (h.d || {})[feature.properties.code];
    const lines = ["<strong>" + escapeHtml(feature.properties.name) + "</strong>"];
    if (!row || row[0] === null) {
      lines.push('<span class="tt-missing">' + escapeHtml(h.none) + "</span>");
    } else {
      lines.push(escapeHtml(h.labels[row[0]]));
      if (row[1]) lines.push(escapeHtml(h.by) + ": " + escapeHtml(row[1]));
    }
    if (row && row[2]) lines.push(escapeHtml(row[2]));
    return lines.join("<br>");
  }

  // The view shown without its year (and its layer): the colourings of every year
  // fetched for it stay good while only the year changes.
  function periodKey(shown) {
    if (!shown || !shown.view) return null;
    const view = Object.assign({}, shown.view);
    delete view.tahun;
    return JSON.stringify([shown.key, Object.keys(view).sort().map(function (k) {
      return [k, view[k]];
    })]);
  }

  // The period a slider value means, as the server's snap_period decides it: a keyboard
  // step lands between two marks (2023.95) and moves to the next period that way.
  function snapPeriod(value, previous, periods) {
    if (periods.indexOf(value) >= 0) return value;
    if (previous !== null && previous !== undefined && value < previous) {
      const below = periods.filter(function (p) { return p < previous; });
      return below.length ? below[below.length - 1] : periods[0];
    }
    if (previous !== null && previous !== undefined && value > previous) {
      const above = periods.filter(function (p) { return p > previous; });
      return above.length ? above[0] : periods[periods.length - 1];
    }
    return periods.reduce(function (best, p) {
      return Math.abs(p - value) < Math.abs(best - value) ? p : best;
    });
  }

  // Recolour at once for a new period, with its fetched colouring (the server's answer,
  // legend and panel included, follows and confirms it). It ranks just above the
  // colouring shown, so any later answer of the server replaces it.
  function previewYear(period, fetched, shown) {
    const api = window.mataGaruda.map;
    if (!fetched || !api.current || fetched.key !== periodKey(shown)) return;
    const h = fetched.colourings[String(period)];
    if (h && h.rev !== api.current.rev) {
      api.track(Object.assign({}, h, { seq: api.current.seq + 1 }));
    }
  }

  // Show a period of the view shown as the server would, with no request: the map at
  // once, then (after its paint, unless another period is asked by then) what the server
  // drew for it (fetched: views; the view and layer stores, legend, side panel, status
  // line, notices, export links and the address bar), in one update (shell.js yearView).
  // Returns whether the period was at hand.
  function showYear(period, fetched, shown) {
    const view = fetched && fetched.views ? fetched.views[String(period)] : null;
    if (!view || fetched.key !== periodKey(shown)) return false;
    previewYear(period, fetched, shown);
    afterPaint(function () {
      const years = window.mataGaruda.years;
      if (!document.getElementById(DRAWN_ON) || (years && years.asked !== period)) return;
      window.dash_clientside.set_props("peta-tahun-view", { data: view });
    });
    return true;
  }

  // The year slider's keys recolour in the key's own task, before Dash hears of the key:
  // the map is painted at the next frame, and the slider, legend and panel follow as for
  // any other year change (askYear snaps the slider to the same period and shows the
  // rest; the colouring is on the map already). `years` holds what the
  // slider's callbacks last saw (shell.js holdYears); keys it does not know (PageUp,
  // PageDown) take the usual way.
  const YEAR_THUMB = "#peta-tahun-slider [role=slider]";
  const YEAR_STEP = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1 };

  function yearKey(e) {
    const years = window.mataGaruda.years;
    if (!years || !years.periods.length || !e.target.closest || !e.target.closest(YEAR_THUMB)) {
      return;
    }
    const periods = years.periods;
    const from = years.asked !== null && years.asked !== undefined ? years.asked :
      years.shown && years.shown.view ? years.shown.view.tahun : null;
    let period = null;
    if (e.key === "Home") period = periods[0];
    else if (e.key === "End") period = periods[periods.length - 1];
    else if (YEAR_STEP[e.key] && from !== null) {
      period = snapPeriod(from + YEAR_STEP[e.key] / 2, from, periods);
    }
    if (period === null) return;
    years.asked = period;
    previewYear(period, years.fetched, years.shown);
  }

  // The search box's keys: ArrowDown moves into its list of regions, ArrowUp and ArrowDown
  // along it (ArrowUp from the first back to the box), Enter in the box picks the first
  // region (each is a button: Enter on it picks it).
  function searchKey(e) {
    const box = document.getElementById("peta-search");
    const hits = Array.from(document.querySelectorAll("#peta-search-hits .peta-hit"));
    const at = hits.indexOf(e.target);
    if (!hits.length || (e.target !== box && at < 0)) return;
    if (e.key === "ArrowDown") hits[Math.min(at + 1, hits.length - 1)].focus();
    else if (e.key === "ArrowUp" && at >= 0) (at === 0 ? box : hits[at - 1]).focus();
    else if (e.key === "Enter" && e.target === box) hits[0].click();
    else return;
    e.preventDefault();
  }

  window.mataGaruda = Object.assign(window.mataGaruda || {}, {
    map: layerFunctions(tooltip, "peta-drawn-store"),
    status: layerFunctions(statusTooltip),
    periodKey: periodKey,
    snapPeriod: snapPeriod,
    showYear: showYear,
  });
  document.addEventListener("keydown", yearKey, true);
  document.addEventListener("keydown", searchKey);
  for (const type of ["pointerdown", "keydown"]) {
    document.addEventListener(type, function () {
      const first = document.getElementById("mg-first-view");
      if (first) first.remove();
    }, true);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ensureHatch);
  } else {
    ensureHatch();
  }
})();
