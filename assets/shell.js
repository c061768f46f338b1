// Shell behaviour: the language switch (cookie + reload) and the map's address bar.

// The periods of the year slider: its marks' keys, ascending.
function periodsOf(marks) {
  return Object.keys(marks).map(Number).sort(function (a, b) { return a - b; });
}

window.dash_clientside = Object.assign({}, window.dash_clientside, {
  mataGaruda: {
    setLanguage: function (lang) {
      document.cookie = "lang=" + lang + "; path=/; max-age=31536000; SameSite=Lax";
      window.location.reload();
      return lang;
    },
    // Presentation mode: no navigation or controls, large type, full screen. Kept across
    // pages and visits in localStorage; Escape leaves full screen (the browser's own key).
    togglePresentation: function (clicks) {
      const key = "mata-garuda-presentation";
      let on = window.localStorage.getItem(key) === "1";
      if (clicks) {
        on = !on;
        window.localStorage.setItem(key, on ? "1" : "0");
        if (on && document.documentElement.requestFullscreen) {
          document.documentElement.requestFullscreen().catch(function () {});
        } else if (!on && document.fullscreenElement) {
          document.exitFullscreen().catch(function () {});
        }
      }
      document.body.classList.toggle("presentation", on);
      window.dispatchEvent(new Event("resize"));
      return on ? "light" : "default";
    },
    // Mark the navigation link of the page shown (the map also for /wilayah/<kode>).
    activeNav: function (path) {
      return window.dash_clientside.callback_context.outputs_list.map(function (out) {
        const link = out.id.path;
        if (link === "/") return path === "/" || (path || "").startsWith("/wilayah/");
        return path === link || (path || "").startsWith(link + "/");
      });
    },
    // After a view is drawn: ask for the colourings of all its years, once per view (its
    // key leaves the year out, so a year change asks nothing).
    askPeriods: function (_drawn, shown, state, asked) {
      const key = window.mataGaruda.periodKey(shown);
      if (!key || !state || (asked && asked.key === key)) return window.dash_clientside.no_update;
      return { key: key, layer: shown.key, state: state };
    },
    // A slider value: the period it means (from the period asked before), the slider put
    // on it, and the map recoloured at once with that year's colouring if it was fetched.
    askYear: function (value, marks, asked, fetched, shown) {
      const no = window.dash_clientside.no_update;
      if (value === null || value === undefined || !marks) return [no, no];
      const periods = periodsOf(marks);
      const period = window.mataGaruda.snapPeriod(value, asked, periods);
      window.mataGaruda.previewYear(period, fetched, shown);
      return [period === value ? no : period, period === asked ? no : period];
    },
    // What a year key needs to recolour before Dash hears of it (map.js yearKey).
    holdYears: function (fetched, shown, asked, marks) {
      window.mataGaruda.years = {
        fetched: fetched, shown: shown, asked: asked, periods: marks ? periodsOf(marks) : [],
      };
    },
    togglePlay: function (_clicks, stopped) {
      return !stopped;
    },
    // Play while the years stand still, pause while they play (also after the last).
    playIcon: function (stopped) {
      return stopped ? "\u25B6" : "\u275A\u275A";
    },
    // The next period after the one asked; stop after the last (from the first again).
    playStep: function (_n, asked, marks) {
      const periods = periodsOf(marks);
      const later = periods.filter(function (p) { return p > asked; });
      return later.length ? [later[0], later.length === 1] : [periods[0], false];
    },
    clearSearch: function (_state, text) {
      return text ? "" : window.dash_clientside.no_update;
    },
    // The completeness map: repaint its shapes with a colouring that arrived after them.
    afterStatus: function (hideout) {
      window.mataGaruda.status.track(hideout);
      return window.dash_clientside.no_update;
    },
    // After a colouring arrives: restyle the shapes drawn and keep it for shapes that load
    // later, set the title and write the view's URL without letting Dash's router
    // re-render the page: a new view gets a history entry (back and forward work), the
    // first URL replaces. An answer for a year the user has already moved on from (the
    // year now asked is on the map) changes nothing: the newer answer follows.
    afterColour: function (target, colouring, shown, asked, fetched) {
      if (window.mataGaruda.overtaken(shown, asked, fetched)) {
        return window.dash_clientside.no_update;
      }
      window.mataGaruda.map.track(colouring);
      window.mataGaruda.map.drawn(colouring);
      if (target && target.title) document.title = target.title;
      if (target && target.url && target.url !== window.location.pathname + window.location.search) {
        if (target.replace) {
          window.history.replaceState(window.history.state, "", target.url);
        } else {
          window.history.pushState({}, "", target.url);
        }
      }
      return window.dash_clientside.no_update;
    },
  },
});

