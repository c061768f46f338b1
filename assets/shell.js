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
    // on it, and the period shown by the browser where it is at hand (map.js showYear),
    // else asked of the server (its year store: a new value each time). Not while another
    // indicator is loading (its years set the slider).
    askYear: function (value, marks, asked, fetched, shown, indicator) {
      const no = window.dash_clientside.no_update;
      if (value === null || value === undefined || !marks) return [no, no, no];
      const period = window.mataGaruda.snapPeriod(value, asked, periodsOf(marks));
      const slider = period === value ? no : period;
      if (period === asked) return [slider, no, no];
      if (window.mataGaruda.years) window.mataGaruda.years.asked = period;
      const atHand = !!shown && !!shown.view && shown.view.indikator === indicator &&
        window.mataGaruda.showYear(period, fetched, shown);
      return [slider, period, atHand ? no : performance.now()];
    },
    // A year shown by the browser: each output's value, as the server drew it (map.js
    // showYear; pages/map.py year_colourings).
    yearView: function (view) {
      return window.dash_clientside.callback_context.outputs_list.map(function (out) {
        return view[out.id];
      });
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
    // first URL replaces. An answer read for a year other than the one asked now (the
    // browser has shown that one itself meanwhile) is not painted: the server is asked
    // again, for the year asked, so the stores and the page agree.
    afterColour: function (target, colouring, shown, asked) {
      const no = window.dash_clientside.no_update;
      if (shown && shown.asked !== undefined && asked !== null && shown.asked !== asked) {
        return [no, performance.now()];
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
      return [no, no];
    },
  },
});

