// Live figures: re-fetches the page's live fragment every 2 s and swaps it in. Without JavaScript the
// page shows the same tables and figures as of its load; reloading refreshes them.
(function () {
  "use strict";
  var live = document.querySelector("[data-live]");
  if (!live) { return; }
  var busy = false;
  setInterval(function () {
    if (busy) { return; }
    busy = true;
    fetch(live.getAttribute("data-live"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.status === 401) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html !== null) { live.innerHTML = html; } })
      .catch(function () { /* the next tick retries */ })
      .then(function () { busy = false; });
  }, 2000);
}());
