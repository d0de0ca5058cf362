/* The service worker of the 1M Register (served at /sw.js by portal.webapp.service_worker, which writes CONFIG:
 * the static files to precache by their hashed names, the version, the paths it never touches).
 *
 * - Static files (CONFIG.staticPrefix): cache first. Their names carry their content's hash, so a saved copy is
 *   never stale; a new deploy is a new version, whose install precaches the new names and drops the old cache.
 * - Other GETs of this site: network first. An answer within CONFIG.timeoutMs is used (and, with the view's
 *   opt-in header `X-Offline: keep`, saved); after that, or without a network, the saved copy is shown.
 *   Saved: only same-origin GET 200 answers carrying the header, not redirected, never under CONFIG.never
 *   (the admin, the login pages), never a POST. Every CSRF token value is blanked before saving (the page's
 *   forms get the token from the cookie when posted: static/js/offline.js), and the time saved is written on
 *   the <html> element (data-offline-saved), which the page shows as "Saved Sat 07:42".
 * - A page that answers 404/403/410 loses its saved copy (a ticket that is no longer the person's).
 * - Photos (CONFIG.mediaPrefix: public car photos, re-encoded by the server under unique names, so a saved
 *   copy is never stale) that a saved page shows (its <img src>) are saved with it, in the cache "media", and
 *   served cache first: the saved roster shows its photos with no signal. At most MEDIA_LIMIT are kept (the
 *   oldest go first). Nothing under MEDIA_URL is private (claim evidence has no URL).
 * - Pages under CONFIG.personal (my entries, tickets) go to a cache of their own; the others to "pages".
 *   Logging out deletes both, and the photos (static/js/offline.js, and the logout answer's Clear-Site-Data
 *   header).
 * - A page asks, by message, to save a list of pages (the event's "Keep for offline", the tickets of "My
 *   entries"): {keep: [urls], prune: bool}; the reply is how many were saved. With prune, saved personal pages
 *   not in the list (and not "My entries" itself) are deleted: an entry that is gone leaves no ticket behind.
 */
"use strict";
const CONFIG = {{ config }};
const STATIC_CACHE = "static-" + CONFIG.version;
const PAGES = "pages";
const PERSONAL = "personal";
const MEDIA = "media";
const MEDIA_LIMIT = 1000;  // thumbnails of a few kB each: a few MB at most
const GONE = [403, 404, 410];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(STATIC_CACHE).then((cache) => cache.addAll(CONFIG.precache)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("static-") && name !== STATIC_CACHE).map((name) => caches.delete(name))
      ))
      .then(() => self.clients.claim())
  );
});

function startsWithAny(path, prefixes) {
  return prefixes.some((prefix) => path.startsWith(prefix));
}

function cacheFor(url) {
  return startsWithAny(new URL(url).pathname, CONFIG.personal) ? PERSONAL : PAGES;
}

function mayKeep(request, response) {
  return request.method === "GET" && response.status === 200 && !response.redirected &&
    response.type === "basic" && response.headers.get(CONFIG.header) === "keep";
}

// The page with no CSRF token value in it, and the time it was saved on its <html> element.
function blanked(html, savedAt) {
  const values = new Set();
  const inputs = html.match(/<input\b[^>]*\bname=["']?csrfmiddlewaretoken\b[^>]*>/gi) || [];
  for (const input of inputs) {
    const value = /\bvalue=["']?([^"'\s>]+)/i.exec(input);
    if (value) values.add(value[1]);
  }
  for (const value of values) html = html.split(value).join("");
  return html.replace(/<html\b/i, '<html data-offline-saved="' + savedAt + '"');
}

async function save(request, response) {
  const savedAt = new Date().toISOString();
  const headers = new Headers(response.headers);
  for (const name of ["Content-Encoding", "Content-Length", "Vary", "ETag", "Set-Cookie"]) headers.delete(name);
  headers.set("X-Offline-Saved", savedAt);
  const html = await response.text();
  const body = blanked(html, savedAt);
  const cache = await caches.open(cacheFor(request.url));
  await cache.put(request.url, new Response(body, {status: 200, statusText: "OK", headers: headers}));
  await keepPhotos(photosOf(html));
}

// The photos of this site (under CONFIG.mediaPrefix) that the page shows: the src of its <img> elements.
function photosOf(html) {
  const urls = new Set();
  for (const match of html.matchAll(/<img\b[^>]*?\ssrc=["']?([^"'\s>]+)/gi)) {
    const url = new URL(match[1].replace(/&amp;/g, "&"), self.location.origin);
    if (url.origin === self.location.origin && url.pathname.startsWith(CONFIG.mediaPrefix)) urls.add(url.href);
  }
  return urls;
}

// Saves the photos not saved yet (each name is unique to its content: a saved one is never stale), then
// drops the oldest beyond MEDIA_LIMIT (a cache lists its entries in the order they were put).
async function keepPhotos(urls) {
  const cache = await caches.open(MEDIA);
  await Promise.all([...urls].map(async (url) => {
    if (await cache.match(url, {ignoreVary: true})) return;
    try {
      const response = await fetch(url, {credentials: "same-origin"});
      if (response.status === 200 && response.type === "basic") await cache.put(url, response);
    } catch (error) {
      // No network for this one: the page shows it when it is next saved with signal.
    }
  }));
  const names = await cache.keys();
  await Promise.all(names.slice(0, Math.max(0, names.length - MEDIA_LIMIT)).map((name) => cache.delete(name)));
}

// A photo: the saved one, else the network (not saved: only a saved page's photos are).
async function photo(request) {
  const cache = await caches.open(MEDIA);
  return (await cache.match(request, {ignoreVary: true})) || fetch(request);
}

async function forget(url) {
  await Promise.all([PAGES, PERSONAL].map((name) => caches.open(name).then((cache) => cache.delete(url))));
}

async function saved(url) {
  const cache = await caches.open(cacheFor(url));
  return cache.match(url, {ignoreVary: true});
}

// Network first; the saved copy when the network fails or is slower than CONFIG.timeoutMs.
async function networkFirst(event) {
  const request = event.request;
  const network = fetch(request).then((response) => {
    if (mayKeep(request, response)) {
      event.waitUntil(save(request, response.clone()));
    } else if (GONE.includes(response.status)) {
      event.waitUntil(forget(request.url));
    }
    return response;
  });
  const timedOut = new Promise((resolve) => setTimeout(resolve, CONFIG.timeoutMs));
  try {
    const first = await Promise.race([network, timedOut]);
    if (first) return first;
  } catch (error) {
    // No network: the saved copy, below.
  }
  const copy = await saved(request.url);
  if (copy) {
    network.catch(() => undefined);
    return copy;
  }
  return network;  // nothing saved: wait for the network (or its failure, as without a worker)
}

async function cacheFirst(request) {
  const cache = await caches.open(STATIC_CACHE);
  const hit = await cache.match(request, {ignoreVary: true});
  if (hit) return hit;
  const response = await fetch(request);
  if (response.status === 200 && response.type === "basic") cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || startsWithAny(url.pathname, CONFIG.never)) return;
  if (url.pathname.startsWith(CONFIG.staticPrefix)) {
    event.respondWith(cacheFirst(request));
  } else if (url.pathname.startsWith(CONFIG.mediaPrefix)) {
    event.respondWith(photo(request));
  } else {
    event.respondWith(networkFirst(event));
  }
});

// Save a list of pages now ("Keep for offline", the tickets of "My entries"); reply with how many were saved.
async function keep(urls, prune) {
  let count = 0;
  await Promise.all(urls.map(async (url) => {
    try {
      const request = new Request(new URL(url, self.location.origin).href, {credentials: "same-origin"});
      if (new URL(request.url).origin !== self.location.origin) return;
      const response = await fetch(request, {cache: "no-cache"});
      if (mayKeep(request, response)) {
        await save(request, response);
        count += 1;
      } else if (GONE.includes(response.status)) {
        await forget(request.url);
      }
    } catch (error) {
      // No network for this one: its saved copy (if any) stays.
    }
  }));
  if (prune) {
    const wanted = new Set(urls.map((url) => new URL(url, self.location.origin).href));
    const cache = await caches.open(PERSONAL);
    const home = CONFIG.personal.map((path) => new URL(path, self.location.origin).href);
    for (const request of await cache.keys()) {
      if (!wanted.has(request.url) && !home.includes(request.url)) await cache.delete(request);
    }
  }
  return count;
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (!Array.isArray(data.keep) || !event.ports[0]) return;
  event.waitUntil(keep(data.keep.slice(0, 200), Boolean(data.prune)).then((count) => event.ports[0].postMessage({saved: count})));
});
