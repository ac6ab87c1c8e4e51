// The workspace on a phone: unread counts kept current in-app for every member (push device or
// not), the service worker (offline reading of the last messages and tasks) and, when the server
// has a VAPID key, Web Push notifications.
(function () {
  "use strict";
  var script = document.getElementById("ws-script");
  if (!script) { return; }
  var unreadUrl = script.getAttribute("data-unread");
  var poll = parseInt(script.getAttribute("data-poll"), 10) || 15000;
  function show(badge, n) {
    badge.textContent = String(n);
    badge.hidden = !n;
  }
  function refresh() {
    if (document.hidden || !unreadUrl) { return; }
    fetch(unreadUrl, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (data) {
      if (!data) { return; }
      var counts = {};
      data.conversations.forEach(function (c) { counts[c.id] = c.unread; });
      var total = document.getElementById("ws-unread");
      if (total) { show(total, data.total); }
      document.querySelectorAll("[data-ws-conversation]").forEach(function (badge) {
        show(badge, counts[badge.getAttribute("data-ws-conversation")] || 0);
      });
      var open = document.getElementById("ws-new");
      if (open) { open.hidden = !counts[open.getAttribute("data-ws-open")]; }
    }).catch(function () { /* offline: the next poll tries again */ });
  }
  setInterval(refresh, poll);
  document.addEventListener("visibilitychange", refresh);
  if (!("serviceWorker" in navigator)) { return; }
  var swUrl = script.getAttribute("data-sw");
  var pushUrl = script.getAttribute("data-push");
  var vapid = script.getAttribute("data-vapid");
  navigator.serviceWorker.register(swUrl, { scope: "/workspace/" }).then(function (reg) {
    var button = document.getElementById("ws-push");
    if (!button || !vapid || !("PushManager" in window)) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var raw = atob(vapid.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - vapid.length % 4) % 4));
      var key = new Uint8Array(raw.length);
      for (var i = 0; i < raw.length; i++) { key[i] = raw.charCodeAt(i); }
      reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }).then(function (sub) {
        var token = document.body.getAttribute("hx-headers");
        var csrf = token ? JSON.parse(token)["X-CSRFToken"] : "";
        return fetch(pushUrl, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: JSON.stringify(sub.toJSON()) });
      }).then(function () { button.hidden = true; });
    });
  }).catch(function () { /* no offline reading in this browser */ });
})();
