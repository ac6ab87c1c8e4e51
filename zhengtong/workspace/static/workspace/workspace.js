// The workspace on a phone: register the service worker (offline reading of the last messages
// and tasks) and, when the server has a VAPID key, offer Web Push notifications.
(function () {
  "use strict";
  var script = document.getElementById("ws-script");
  if (!script || !("serviceWorker" in navigator)) { return; }
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
