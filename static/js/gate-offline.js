// The gate without signal: the event's check-in list kept on the phone (static/js/gate-store.js, IndexedDB
// "gate"), refreshed while online, and used to decide a scan or a search here when the server does not
// answer, in the same words as the server; a check-in made so waits in a queue with the phone's time and a
// random nonce, and is sent when the signal returns (the "online" event, a timer, "Sync now").
// Every text a person reads comes from the page: <template id="checkin-words"> holds the server's
// translations, with __NAME__ where a value goes. Exposes window.GateOffline for static/js/checkin.js.
(function () {
  "use strict";
  const root = document.getElementById("checkin");
  if (!root || !root.dataset.listUrl || !window.GateStore) {
    return;
  }
  const store = window.GateStore;
  const view = window.GateView;
  const slug = root.dataset.slug;
  const REFRESH_MS = 30000; // the list's changes, while online
  const RETRY_MS = 10000; // the waiting scans, while some wait
  const BATCH = 500; // scans per sync request (the server takes up to 1,000)
  const statusLine = document.getElementById("gate-status");
  const syncButton = document.getElementById("gate-sync");
  let list = null;
  let byToken = new Map();
  let byCode = new Map();
  let waiting = 0;
  let syncing = null;

  // --- the list --------------------------------------------------------------------------------------------

  function index() {
    byToken = new Map();
    byCode = new Map();
    Object.values(list.entries).forEach(function (entry) {
      byToken.set(entry.token_hash, entry);
      const same = byCode.get(entry.code_hash) || [];
      same.push(entry);
      byCode.set(entry.code_hash, same);
    });
    list.others = new Map((list.other_tickets || []).map(function (t) { return [t.token_hash, t.event]; }));
  }

  function session(entry) {
    return (list.sessions || []).find(function (s) { return s.id === entry.session; }) || { name: "" };
  }

  // Downloads the whole list (``full``) or the changes since the phone's cursor, and keeps it.
  async function refresh(full) {
    const url = new URL(root.dataset.listUrl, window.location.href);
    if (!full && list && list.cursor) {
      url.searchParams.set("since", list.cursor);
    }
    const response = await fetch(url.toString(), { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!response.ok) {
      throw new Error(String(response.status));
    }
    const data = await response.json();
    const here = (list && list.here) || {};
    const entries = data.full || !list ? {} : list.entries;
    data.entries.forEach(function (entry) { entries[entry.id] = entry; });
    list = {
      slug: slug,
      event: data.event,
      cursor: data.cursor,
      salt: data.salt,
      sessions: data.sessions,
      entries: entries,
      other_tickets: data.full || !list ? data.other_tickets : list.other_tickets.concat(data.other_tickets || []),
      here: here, // entry id → when this phone checked it in
      // "downloaded at": the whole list; "last synced": its changes fetched, or the queue sent.
      downloaded_at: data.full || !list ? new Date().toISOString() : list.downloaded_at,
      synced_at: data.full || !list ? (list && list.synced_at) || null : new Date().toISOString(),
    };
    await save();
    index();
    showStatus();
    window.dispatchEvent(new Event("gate-reached"));
  }

  function save() {
    const copy = Object.assign({}, list);
    delete copy.others;
    return store.putList(copy);
  }

  // --- deciding here ---------------------------------------------------------------------------------------

  function hexBytes(hex) {
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < bytes.length; i += 1) {
      bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
    }
    return bytes;
  }

  // First ``length`` hex digits of SHA-256(salt bytes ‖ text as UTF-8), as the server computes them.
  async function hash(text, length) {
    const salt = hexBytes(list.salt);
    const body = new TextEncoder().encode(text);
    const joined = new Uint8Array(salt.length + body.length);
    joined.set(salt);
    joined.set(body, salt.length);
    const digest = new Uint8Array(await window.crypto.subtle.digest("SHA-256", joined));
    return Array.from(digest, function (b) { return b.toString(16).padStart(2, "0"); }).join("").slice(0, length);
  }

  // As events.tickets.normalise_code: upper case, letters and digits only.
  function normaliseCode(text) {
    return Array.from((text || "").toUpperCase()).filter(function (ch) { return /[\p{L}\p{N}]/u.test(ch); }).join("");
  }

  async function byCodeText(text) {
    const code = normaliseCode(text);
    if (code.length !== 8) {
      return [];
    }
    return byCode.get(await hash(code, 6)) || [];
  }

  function decided(entry) {
    view.result(list, entry, session(entry));
  }

  // A scanned QR code or a typed short code, decided with the list on this phone.
  async function decide(text) {
    if (!list) {
      view.refuse(null, "noList");
      return;
    }
    text = (text || "").trim();
    const token = text ? await hash(text, 32) : "";
    const entry = byToken.get(token) || (await byCodeText(text))[0];
    if (entry) {
      decided(entry);
    } else if (list.others.has(token)) {
      view.refuse(list, "other", { other: list.others.get(token), event: list.event.name });
    } else {
      view.refuse(list, "none");
    }
  }

  // What checkin.search does on the server: short code, register number or slot, part of a name or a
  // nickname; confirmed first, then waitlisted, then the rest, each in session and slot order; 30 at most.
  async function search(text) {
    if (!list) {
      view.refuse(null, "noList");
      return;
    }
    text = (text || "").trim();
    if (!text) {
      return;
    }
    const needle = text.toLowerCase();
    const number = text.replace(/^#/, "").trim();
    const digits = /^\d+$/.test(number) ? Number(number) : null;
    const coded = new Set(await byCodeText(text));
    const rank = { confirmed: 0, waitlisted: 1 };
    const starts = function (e) { return session(e).starts_at || ""; };
    const found = Object.values(list.entries).filter(function (e) {
      return coded.has(e) || (e.driver && e.driver.toLowerCase().includes(needle))
        || (e.nickname && e.nickname.toLowerCase().includes(needle))
        || (digits !== null && (e.number === digits || e.slot === digits));
    }).sort(function (a, b) {
      return ((rank[a.status] ?? 2) - (rank[b.status] ?? 2)) || starts(a).localeCompare(starts(b))
        || (a.session - b.session) || ((a.slot || 0) - (b.slot || 0)) || (a.id - b.id);
    }).slice(0, 30);
    if (found.length === 1) {
      view.clearResults();
      decided(found[0]);
      return;
    }
    view.results(list, found, session);
  }

  function show(id) {
    const entry = list && list.entries[id];
    if (entry) {
      decided(entry);
    } else {
      view.refuse(list, "none");
    }
  }

  // --- the queue -------------------------------------------------------------------------------------------

  async function checkIn(id) {
    const entry = list && list.entries[id];
    if (!entry) {
      view.refuse(list, list ? "none" : "noList");
      return;
    }
    const scan = { nonce: window.crypto.randomUUID(), slug: slug, entry: entry.id, scanned_at: new Date().toISOString() };
    await store.enqueue(scan);
    list.here[entry.id] = scan.scanned_at;
    await save();
    waiting += 1;
    view.checkedIn(list, entry, session(entry));
    showStatus();
    retryLater();
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // The phone's name in the server's records ("also scanned at Gate B"): typed once, kept on the phone.
  const DEVICE_KEY = "gate-device";
  const deviceField = document.getElementById("gate-device");
  function keep(value) {
    try {
      window.localStorage.setItem(DEVICE_KEY, value);
    } catch (error) {
      // Storage refused: the name is asked again next time.
    }
  }
  if (deviceField) {
    let name = null;
    try {
      name = window.localStorage.getItem(DEVICE_KEY);
    } catch (error) {
      name = null;
    }
    if (!name) {
      name = view.say("defaultDevice", { id: window.crypto.randomUUID().slice(0, 4).toUpperCase() });
      keep(name);
    }
    deviceField.value = name;
    deviceField.addEventListener("change", function () { keep(deviceField.value.trim().slice(0, 40)); });
  }

  function device() {
    return ((deviceField && deviceField.value) || "").trim().slice(0, 40);
  }

  async function sendAll() {
    const scans = await store.queued(slug);
    waiting = scans.length;
    const report = [];
    for (let start = 0; start < scans.length; start += BATCH) {
      const batch = scans.slice(start, start + BATCH).map(function (s) {
        return { nonce: s.nonce, entry: s.entry, scanned_at: s.scanned_at };
      });
      const response = await fetch(root.dataset.syncUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ device: device(), scans: batch }),
        credentials: "same-origin",
      });
      const data = await response.json().catch(function () { return {}; });
      if (!response.ok) {
        view.syncFailed(response.status, data.error);
        break;
      }
      await store.dequeue(data.results.map(function (r) { return r.nonce; }));
      data.results.forEach(function (r) {
        if (r.outcome !== "checked_in") {
          report.push({ entry: list.entries[r.entry], message: r.message });
        }
      });
      list.synced_at = data.synced_at || new Date().toISOString();
      waiting -= data.results.length;
      await save();
    }
    view.syncReport(report);
    showStatus();
  }

  // Sends every waiting scan, once at a time; a failed connection leaves them waiting for the next try.
  function sync() {
    if (!syncing && list) {
      syncing = sendAll().catch(function () {
        // No signal yet: the scans stay in the queue.
      }).finally(function () {
        syncing = null;
        showStatus();
        retryLater();
      });
    }
    return syncing || Promise.resolve();
  }

  let retry = null;
  function retryLater() {
    if (waiting > 0 && !retry) {
      retry = window.setTimeout(function () {
        retry = null;
        sync();
      }, RETRY_MS);
    }
  }

  function showStatus() {
    view.status(statusLine, list, waiting);
  }

  async function online() {
    try {
      await refresh(false);
    } catch (error) {
      // Still no signal: the next timer tries again.
    }
    sync();
  }

  async function start() {
    try {
      await store.dropExpired(Date.now());
      list = (await store.getList(slug)) || null;
      if (list) {
        index();
      }
      waiting = (await store.queued(slug)).length;
    } catch (error) {
      list = null; // no IndexedDB here (a private window may refuse it): the page works online only
    }
    showStatus();
    try {
      await refresh(true);
    } catch (error) {
      // No signal at page open: the list kept from before serves.
    }
    sync();
  }

  window.addEventListener("online", online);
  window.setInterval(online, REFRESH_MS);
  if (syncButton) {
    syncButton.addEventListener("click", function () {
      online();
    });
  }
  const ready = start();

  window.GateOffline = {
    ready: ready,
    decide: async function (text) { await ready; return decide(text); },
    search: async function (text) { await ready; return search(text); },
    show: async function (id) { await ready; return show(id); },
    checkIn: async function (id) { await ready; return checkIn(id); },
    sync: sync,
  };
})();
