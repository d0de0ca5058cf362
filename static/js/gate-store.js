// The gate's storage on the phone: IndexedDB database "gate" (logging out deletes it: static/js/offline.js
// and the service worker clear it by this name).
//   store "lists": one record per event, key = the event's slug: the check-in list as the server sent it
//     ({event, cursor, salt, sessions, entries: {id: entry}, other_tickets}) plus downloaded_at and
//     synced_at (ISO). Entries hold only what the check-in page shows and hashes of the ticket's token and
//     code, never the token or code (events:check_in_list).
//   store "queue": check-ins made with no signal, waiting to be sent: {nonce, slug, entry, scanned_at},
//     key = nonce (a random UUID, so a resend is recorded once by the server).
// A small promise wrapper over the IndexedDB API (https://developer.mozilla.org/docs/Web/API/IndexedDB_API).
(function () {
  "use strict";
  const NAME = "gate";
  const VERSION = 1;
  let opened = null;

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function open() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        if (!window.indexedDB) {
          reject(new Error("no IndexedDB"));
          return;
        }
        const req = window.indexedDB.open(NAME, VERSION);
        req.onupgradeneeded = function () {
          const db = req.result;
          db.createObjectStore("lists", { keyPath: "slug" });
          db.createObjectStore("queue", { keyPath: "nonce" }).createIndex("slug", "slug");
        };
        req.onsuccess = function () {
          const db = req.result;
          // Another tab deletes the database (logging out): let it, and open again next time.
          db.onversionchange = function () {
            db.close();
            opened = null;
          };
          resolve(db);
        };
        req.onerror = function () { reject(req.error); };
        req.onblocked = function () { reject(new Error("IndexedDB blocked")); };
      });
      opened.catch(function () { opened = null; });
    }
    return opened;
  }

  // Runs ``work(stores)`` in one transaction over ``names``; resolves with its result once committed.
  async function transact(names, mode, work) {
    const db = await open();
    return new Promise(function (resolve, reject) {
      const tx = db.transaction(names, mode);
      const stores = {};
      names.forEach(function (name) { stores[name] = tx.objectStore(name); });
      let result;
      Promise.resolve(work(stores)).then(function (value) { result = value; }, reject);
      tx.oncomplete = function () { resolve(result); };
      tx.onerror = function () { reject(tx.error); };
      tx.onabort = function () { reject(tx.error || new Error("aborted")); };
    });
  }

  window.GateStore = {
    NAME: NAME,
    getList: function (slug) {
      return transact(["lists"], "readonly", function (s) { return request(s.lists.get(slug)); });
    },
    putList: function (list) {
      return transact(["lists"], "readwrite", function (s) { s.lists.put(list); });
    },
    // Every list whose event ended more than a day ago (its ``drop_after``) goes, with its waiting scans
    // (the server refuses those anyway).
    dropExpired: function (now) {
      return transact(["lists", "queue"], "readwrite", async function (s) {
        const lists = await request(s.lists.getAll());
        for (const list of lists) {
          if (list.event && list.event.drop_after && Date.parse(list.event.drop_after) < now) {
            s.lists.delete(list.slug);
            const nonces = await request(s.queue.index("slug").getAllKeys(list.slug));
            nonces.forEach(function (nonce) { s.queue.delete(nonce); });
          }
        }
      });
    },
    queued: function (slug) {
      return transact(["queue"], "readonly", function (s) {
        return request(s.queue.index("slug").getAll(slug));
      });
    },
    enqueue: function (scan) {
      return transact(["queue"], "readwrite", function (s) { s.queue.add(scan); });
    },
    dequeue: function (nonces) {
      return transact(["queue"], "readwrite", function (s) {
        nonces.forEach(function (nonce) { s.queue.delete(nonce); });
      });
    },
  };
})();
