/* Service worker of the field pages, served as /field/sw.js (scope /field/) by gridgov.field.views,
 * which prepends self.GRIDGOV_SW = {version, pages, static, data, network_first, idb, outbox, cases}.
 *
 * - install: caches the app shell (pages, JS, CSS, Leaflet, categories JSON) so the page opens offline;
 * - fetch: static files cache first; pages and API reads network first, the cache when offline;
 *   POSTs are never touched (the outbox sends them and keeps them when they fail);
 * - sync (Background Sync): sends the outbox when the connection returns, even with the page closed.
 */
/* global GridOutbox */
const CFG = self.GRIDGOV_SW;
const CACHE = "gridgov-field-" + CFG.version;
importScripts(CFG.idb, CFG.outbox);

async function precache() {
  const cache = await caches.open(CACHE);
  await cache.addAll(CFG.static.concat(CFG.data));
  // Pages need the session; a redirect (to the login page) is not kept.
  await Promise.all(CFG.pages.map(async (url) => {
    try {
      const resp = await fetch(url, { credentials: "same-origin" });
      if (resp.ok && !resp.redirected) await cache.put(url, resp);
    } catch (e) { /* offline while installing: cached on the next visit */ }
  }));
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith("gridgov-field-") && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

const NETWORK_WAIT_MS = 4000;

/* The network's answer when it comes within NETWORK_WAIT_MS (and always refreshes the cache);
 * otherwise, or without a network, the cached copy. A poor connection must not keep the page blank. */
async function networkFirst(request, cacheKey, lastKey) {
  const cache = await caches.open(CACHE);
  const key = cacheKey || request;
  const network = fetch(request).then(async (resp) => {
    if (resp.ok && !resp.redirected) {
      await cache.put(key, resp.clone());
      if (lastKey) await cache.put(lastKey, resp.clone());
    }
    return resp;
  });
  const slow = new Promise((resolve) => setTimeout(resolve, NETWORK_WAIT_MS, null));
  const cached = async () => (await cache.match(key, { ignoreVary: true })) || (lastKey && (await cache.match(lastKey)));
  try {
    const first = await Promise.race([network, slow]);
    if (first) return first;
    return (await cached()) || (await network);
  } catch (e) {
    const hit = await cached();
    if (hit) return hit;
    throw e;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request, { ignoreVary: true, ignoreSearch: true });
  if (hit) return hit;
  const resp = await fetch(request);
  if (resp.ok) await cache.put(request, resp.clone());
  return resp;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && CFG.pages.includes(url.pathname)) {
    // One cached copy per page, whatever the query string (?edit=…).
    event.respondWith(networkFirst(request, url.pathname));
  } else if (CFG.static.includes(url.pathname) || url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  } else if (url.pathname === CFG.grids) {
    // Outlines for another bounding box are better than none when offline: keep the last answer too.
    event.respondWith(networkFirst(request, null, CFG.grids + "?last"));
  } else if (CFG.network_first.some((prefix) => url.pathname === prefix)) {
    event.respondWith(networkFirst(request));
  }
});

async function flushFromWorker() {
  const csrf = await GridOutbox.getMeta("csrf");
  const user = await GridOutbox.getMeta("user");
  const results = await GridOutbox.flush({ url: CFG.cases, csrf: csrf, user: user });
  if (results.some((r) => r.network)) throw new Error("still offline"); // Background Sync retries later
}

self.addEventListener("sync", (event) => {
  if (event.tag === GridOutbox.SYNC_TAG) event.waitUntil(flushFromWorker());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "flush") event.waitUntil(flushFromWorker().catch(() => null));
});
