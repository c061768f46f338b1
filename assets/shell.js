// Shell behaviour: the language switch keeps the choice in a cookie and reloads the view.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  mataGaruda: {
    setLanguage: function (lang) {
      document.cookie = "lang=" + lang + "; path=/; max-age=31536000; SameSite=Lax";
      window.location.reload();
      return lang;
    },
  },
});
