// Service worker of the workspace (scope /workspace/): pages of messages and tasks are fetched
// from the network first and kept, so the last ones read can be read again offline; pushes show
// a notification that opens the page they name.
"use strict";
var CACHE = "zt-workspace-v1";
var KEPT = /^\/workspace\/(|messages\/(\d+\/)?|tasks\/(\d+\/)?)$/;

self.addEventListener("install", function (event) { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  var keep = KEPT.test(url.pathname) || url.pathname.indexOf("/static/") === 0;
  if (!keep) { return; }
  event.respondWith(fetch(request).then(function (response) {
    if (response.redirected && new URL(response.url).pathname.indexOf("/login") === 0) {
      // Signed out (or another person on this phone): forget every page kept for offline reading.
      caches.delete(CACHE);
      return response;
    }
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request).then(function (hit) {
      return hit || new Response("offline", { status: 503, headers: { "Content-Type": "text/plain" } });
    });
  }));
});

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { title: event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || "政通", { body: data.body || "", data: { url: data.url || "/workspace/" } }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(event.notification.data.url));
});
