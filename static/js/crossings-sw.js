// The verification page's service worker (scope /crossings/): the page opens with no network after
// the first visit. The page itself: network first, the last copy when offline. Static files (scripts,
// styles, the vendored QR decoder and its WebAssembly): cache first. The JWK Set: network first, the last copy when offline.
// API calls are left alone: the page decides what to do offline (its own verdict, its own queue).
/* eslint-env serviceworker */
"use strict";

var CACHE = "lbt-crossings-v1";
var PAGE = "/crossings/verify";
var KEYS = "/.well-known/jwks.json";

self.addEventListener("install", function (event) {
  // the page's assets are added by the page (it knows their URLs); the page itself needs the login
  // cookie, which a fetch from here carries too
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) {
        return Promise.all([PAGE, KEYS].map(function (url) {
          return fetch(url, { credentials: "same-origin", cache: "reload" }).then(function (response) {
            // never keep the login page (a redirect) in the verification page's place
            if (response.ok && !response.redirected) { return cache.put(url, response); }
          }).catch(function () { /* offline now: the next visit fills the cache */ });
        }));
      })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf("lbt-crossings-") === 0 && name !== CACHE;
        }).map(function (name) { return caches.delete(name); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

function networkFirst(request, key) {
  return fetch(request).then(function (response) {
    // only a real page, not a redirect to the login or an error page
    if (response.ok && !response.redirected && response.type === "basic") {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(key, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) { return cache.match(key); }).then(function (cached) {
      return cached || Response.error();
    });
  });
}

function cacheFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    // the page asks for a fresh copy ("reload") while online, so a new version replaces the old one
    var lookup = request.cache === "reload" ? Promise.resolve(null) : cache.match(request);
    return lookup.then(function (cached) {
      if (cached) { return cached; }
      return fetch(request).then(function (response) {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      }).catch(function () {
        return cache.match(request).then(function (copy) { return copy || Response.error(); });
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname === PAGE && request.mode === "navigate") {
    event.respondWith(networkFirst(request, PAGE));  // the query string does not change the page
  } else if (url.pathname === KEYS) {
    event.respondWith(networkFirst(request, KEYS));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(cacheFirst(request));
  }
});
