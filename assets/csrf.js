// Every state-changing request from the page carries the session's CSRF token (read from
// the mg_csrf cookie), Dash's callback requests included.
(function () {
  const original = window.fetch.bind(window);
  function token() {
    const match = document.cookie.match(/(?:^|; )mg_csrf=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  window.fetch = function (resource, init) {
    init = init || {};
    const method = (init.method || (resource && resource.method) || "GET").toUpperCase();
    const url = new URL(typeof resource === "string" ? resource : resource.url, window.location.href);
    if (method !== "GET" && method !== "HEAD" && url.origin === window.location.origin) {
      const headers = new Headers(init.headers || (resource && resource.headers) || {});
      headers.set("X-CSRFToken", token());
      init = Object.assign({}, init, { headers: headers });
    }
    return original(resource, init);
  };
})();
