// Shell behaviour: the language switch (cookie + reload) and the map's address bar.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  mataGaruda: {
    setLanguage: function (lang) {
      document.cookie = "lang=" + lang + "; path=/; max-age=31536000; SameSite=Lax";
      window.location.reload();
      return lang;
    },
    // Write the view's URL without letting Dash's router re-render the page: a new view
    // gets a history entry (back and forward work), the first canonical URL replaces.
    pushUrl: function (target) {
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

