/* The page's side of the installable web app (the worker: /sw.js, templates/offline/sw.js).
 *  - Registers the service worker after the window's `load` event: a first visit loads nothing more before it
 *    is shown. That first page went past the worker, so the worker fetches it once more to keep it.
 *  - A page shown from the phone's saved copy (the worker marks it: <html data-offline-saved>) says so and when,
 *    in the page's language ("Saved Sat 07:42 — may be out of date"), and reloads itself when the signal
 *    returns (the `online` event, or a small request every 20 s that gets an answer within 3 s).
 *  - A form posted from a saved page has an empty CSRF token (the worker never saves one): it is filled from
 *    the csrftoken cookie on submit (Django accepts the cookie's value as the token).
 *  - "Keep for offline" (data-offline-keep, on an event page) and "My entries" (data-offline-prefetch) ask the
 *    worker to save a list of pages; the button says how many were saved. Hidden without a worker.
 *  - Logging out deletes the saved pages (and their photos) and the gate's downloaded list (IndexedDB "gate") before the form is
 *    posted.
 * Every text comes from the page (translated by the server, in data-* attributes); no inline script (CSP). */
(function () {
  "use strict";
  var script = document.currentScript;
  var texts = script ? script.dataset : {};
  var PAGE_CACHES = ["pages", "personal", "media"];
  var GATE_DATABASE = "gate";
  // How long the worker waits for the network before it shows a saved copy (portal/webapp.py, timeoutMs).
  var PROBE_MS = 3000;

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  // --- a saved page says so ----------------------------------------------------------------------------------
  var savedAt = document.documentElement.getAttribute("data-offline-saved");
  if (savedAt) {
    var when = new Date(savedAt);
    var time = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).format(when);
    var banner = document.createElement("p");
    banner.className = "offline-banner alert alert-warning mb-3";
    banner.setAttribute("role", "status");
    banner.setAttribute("data-offline-banner", "");
    banner.textContent = (texts.saved || "Saved {time} — may be out of date").replace("{time}", time);
    var main = document.getElementById("main");
    if (main) main.insertBefore(banner, main.firstChild);

    // A page that keeps its own work across the signal's coming and going (the gate: data-offline-stay) is
    // not reloaded under its user's hands; it only says that it is a saved copy.
    if (!document.querySelector("[data-offline-stay]")) reloadWhenBack();
  }

  function reloadWhenBack() {
    var reloading = false;
    var reload = function () {
      if (reloading) return;
      reloading = true;
      window.location.reload();
    };
    window.addEventListener("online", reload);
    // navigator.onLine says true with a useless signal too: ask the server itself now and then. An answer
    // later than the worker's wait (PROBE_MS) does not count: the reload would only show the saved copy again.
    window.setInterval(function () {
      if (!texts.probe) return;
      var abort = new AbortController();
      var timer = window.setTimeout(function () { abort.abort(); }, PROBE_MS);
      fetch(texts.probe, {cache: "no-store", signal: abort.signal}).then(function (response) {
        if (response.ok) reload();
      }).catch(function () { return undefined; }).then(function () { window.clearTimeout(timer); });
    }, 20000);
  }

  // --- forms posted from a saved page get the token from the cookie -----------------------------------------
  document.addEventListener("submit", function (event) {
    var field = event.target.querySelector && event.target.querySelector("input[name=csrfmiddlewaretoken]");
    if (field && !field.value) field.value = cookie("csrftoken");
  }, true);

  // --- logging out clears what this phone keeps ---------------------------------------------------------------
  function deleteGateDatabase() {
    return new Promise(function (resolve) {
      if (!window.indexedDB) return resolve();
      var request = indexedDB.deleteDatabase(GATE_DATABASE);
      request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
    });
  }

  function clearSaved() {
    var work = [deleteGateDatabase()];
    if (window.caches) PAGE_CACHES.forEach(function (name) { work.push(caches.delete(name)); });
    // Never keep a person from logging out: at most two seconds.
    return Promise.race([Promise.all(work), new Promise(function (resolve) { setTimeout(resolve, 2000); })]);
  }

  document.querySelectorAll("form[data-logout]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.cleared) return;
      event.preventDefault();
      clearSaved().then(function () {
        form.dataset.cleared = "1";
        var field = form.querySelector("input[name=csrfmiddlewaretoken]");
        if (field && !field.value) field.value = cookie("csrftoken");
        form.submit();
      });
    });
  });

  // --- the worker ---------------------------------------------------------------------------------------------
  if (!("serviceWorker" in navigator) || !texts.worker) return;

  function askWorker(urls, prune) {
    return navigator.serviceWorker.ready.then(function (registration) {
      return new Promise(function (resolve) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (message) { resolve(message.data.saved); };
        registration.active.postMessage({keep: urls, prune: prune}, [channel.port2]);
      });
    });
  }

  function urlsOf(element) {
    return (element.getAttribute("data-urls") || "").split(/\s+/).filter(Boolean);
  }

  document.querySelectorAll("[data-offline-keep]").forEach(function (box) {
    var button = box.querySelector("button");
    var status = box.querySelector("[role=status]");
    box.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      status.textContent = box.getAttribute("data-saving");
      askWorker(urlsOf(box), false).then(function (count) {
        status.textContent = count ? box.getAttribute("data-done").replace("{count}", count) : box.getAttribute("data-failed");
        button.disabled = false;
      });
    });
  });

  // Whether this page went past the worker: its navigation timing says (workerStart is 0 when no worker answered
  // the request). The controller is not enough: a worker that takes control while the page loads (clients.claim)
  // is there by the `load` event, yet the page came from the network and was not kept.
  function wentPastTheWorker() {
    var navigation = window.performance && performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    if (navigation && "workerStart" in navigation) return !navigation.workerStart;
    return !navigator.serviceWorker.controller;
  }

  window.addEventListener("load", function () {
    var firstVisit = wentPastTheWorker();
    navigator.serviceWorker.register(texts.worker, {scope: "/"}).then(function () {
      if (savedAt) return;
      // The page that brought the worker went past it: the worker fetches it once more to keep it (if the
      // page's view lets it be kept).
      if (firstVisit) askWorker([window.location.href], false);
      // "My entries" online: keep each ticket too (and forget tickets no longer listed).
      document.querySelectorAll("[data-offline-prefetch]").forEach(function (list) {
        askWorker(urlsOf(list), true).then(function (count) { list.setAttribute("data-saved", count); });
      });
    }).catch(function () { return undefined; });
  });
})();
