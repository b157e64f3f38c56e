// Wisselstroom's service worker (served by config.pwa at /sw.js): residents' pages always come
// from the network; without one, the offline page stands in. Public files are kept to draw it.
"use strict";
const CACHE = {{ cache_name|safe }};
const OFFLINE_URL = {{ offline_url|safe }};
const PRECACHED = {{ precached|safe }};
const STATIC_PREFIX = {{ static_prefix|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHED)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith("wisselstroom-") && name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  if (url.pathname.startsWith(STATIC_PREFIX) && PRECACHED.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});

// A page tells the worker its language: the kept offline page follows it (a resident who
// switched to Dutch sees the Dutch one).
self.addEventListener("message", (event) => {
  const lang = event.data && event.data.lang;
  if (!lang) return;
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      cache.match(OFFLINE_URL).then((kept) => {
        if (kept && kept.headers.get("Content-Language") === lang) return undefined;
        return cache.add(new Request(OFFLINE_URL, { cache: "reload" }));
      })
    )
  );
});
