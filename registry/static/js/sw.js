// The field work's service worker, served as /sw.js (registry/trace/offline.py). It keeps
// the diary's pages (seasons, a season, its diary forms), the new-field form with its map
// (the vendored Leaflet, the map's settings and the HTX's fields as GeoJSON: the map draws
// on its plain background, no basemap needed, so a boundary can be walked) and the files
// they need, so that they open with no connection: network first, the kept copy when the
// network fails or is too slow. Other pages are left to the network, with a page saying
// there is no connection. Writes never pass through here: the outbox (outbox-store.js)
// keeps them in IndexedDB and sends them, from the page or from Background Sync below.
// Nothing is ever fetched from another site.
"use strict";
importScripts("/static/js/outbox-store.js");

var SHELL = [
  "/offline", "/manifest.webmanifest", "/static/css/app.css", "/static/leaf.svg",
  "/static/js/outbox-store.js", "/static/js/outbox.js",
  // the new-field form's map (templates/trace/_map.html)
  "/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css",
  "/static/vendor/leaflet.markercluster/MarkerCluster.css", "/static/css/map.css",
  "/static/js/field-map.js", "/static/js/locate.js"
];
var DIARY = /^\/seasons(\/[^/]+(\/diary)?)?\/?$/;  // /seasons, /seasons/<code>, its diary forms
// The new-field form and what its map reads: the HTX's own data, kept with the pages (so
// deleted on signing out), never with the static files.
var FIELD_FORM = /^\/(fields\/new|fields\/map\.geojson|map\/config\.json)$/;
var SLOW_MS = 4000;  // on a weak signal, show the kept copy after this long

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(Outbox.STATIC).then(function (cache) { return cache.addAll(SHELL); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (DIARY.test(url.pathname) || FIELD_FORM.test(url.pathname)) {
    event.respondWith(networkFirst(request, Outbox.PAGES));
  } else if (url.pathname.indexOf("/static/") === 0 || SHELL.indexOf(url.pathname) >= 0) {
    event.respondWith(networkFirst(request, Outbox.STATIC));
  } else if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(offlinePage));
  }
});

// The network's answer, kept for later; the kept copy when the network fails, or when it
// takes longer than SLOW_MS and a copy is there (the network's answer still refreshes it).
function networkFirst(request, name) {
  var fromNetwork = fetch(request).then(function (response) {
    if (response.ok && !response.redirected && response.type === "basic") {
      var copy = response.clone();
      caches.open(name).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  });
  var slow = new Promise(function (resolve) { setTimeout(resolve, SLOW_MS); })
    .then(function () { return caches.match(request); })
    .then(function (kept) { return kept || fromNetwork; });
  return Promise.race([fromNetwork, slow]).catch(function () {
    return caches.match(request).then(function (kept) {
      if (kept) return kept;
      return request.mode === "navigate" ? offlinePage() : Response.error();
    });
  });
}

function offlinePage() {
  return caches.match("/offline").then(function (kept) { return kept || Response.error(); });
}

// Background Sync: the browser wakes the worker when the connection returns.
self.addEventListener("sync", function (event) {
  if (event.tag === "ptt-outbox") event.waitUntil(Outbox.sendAll().then(tellPages));
});

self.addEventListener("message", function (event) {
  if (event.data === "send") event.waitUntil(Outbox.sendAll().then(tellPages));
});

function tellPages(counts) {
  return self.clients.matchAll({ type: "window" }).then(function (pages) {
    pages.forEach(function (page) { page.postMessage({ outbox: counts }); });
  });
}
