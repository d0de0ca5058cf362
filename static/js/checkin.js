// Check-in at the gate: read a ticket's QR code with the phone's camera (jsQR, vendored) and show what it
// carries without leaving the page, so the camera keeps running from car to car; and keep the
// per-session counts up to date by polling a small JSON.
// Every text a person reads comes from the page (data-msg-*), translated on the server.
// When the server does not answer (no connection, or no answer within WAIT_MS), a scan, a search and
// "Check in" are decided on the phone by static/js/gate-offline.js (window.GateOffline).
(function () {
  "use strict";
  const root = document.getElementById("checkin");
  if (!root) {
    return;
  }
  const toggle = document.getElementById("scan-start");
  const video = document.getElementById("scan-video");
  const status = document.getElementById("scan-status");
  const region = document.getElementById("checkin-result-region");
  const searchResults = document.getElementById("checkin-search-results");
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  // Frames are scaled down to this width before decoding: ample for a ticket held up to the camera.
  const DECODE_WIDTH = 480;
  // A ticket just read is not looked up again while it stays in front of the camera: only after it has
  // been out of sight this long (a different ticket is looked up at once).
  const SAME_TICKET_MS = 3000;
  // How long the server may take to answer before the phone decides by itself.
  const WAIT_MS = 2000;
  // After the server did not answer, the next scans are decided on the phone at once for this long (not
  // after WAIT_MS each), unless the signal is back before (the "online" event, the list's refresh).
  const QUIET_MS = 15000;
  let quietUntil = 0;
  // Kept for this tab across the page loads of "Check in" and search: whether the organiser has the
  // camera on, and the ticket last read (with when it was last seen).
  const CAMERA_KEY = "checkin-camera";
  const LAST_KEY = "checkin-last-ticket";
  let stream = null;
  let starting = false;
  let looking = false;
  let last = readLast();

  function remember(key, value) {
    try {
      window.sessionStorage.setItem(key, value);
    } catch (error) {
      // Storage refused (private mode): the camera simply is not restarted after the next page load.
    }
  }

  function recall(key) {
    try {
      return window.sessionStorage.getItem(key);
    } catch (error) {
      return null;
    }
  }

  function readLast() {
    try {
      const value = JSON.parse(recall(LAST_KEY) || "null");
      return value && typeof value.token === "string" ? value : null;
    } catch (error) {
      return null;
    }
  }

  function see(token) {
    last = { token: token, seen: Date.now() };
    remember(LAST_KEY, JSON.stringify(last));
  }

  function say(key) {
    status.textContent = root.dataset[key] || "";
  }

  function label() {
    toggle.textContent = stream ? root.dataset.labelStop : root.dataset.labelStart;
  }

  function stop() {
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    video.hidden = true;
  }

  // Puts what a check-in page (fetched, not navigated to) shows in this one: its message, its result
  // panel and its counts; the previous car's "Checked in" message goes, it belongs to that car.
  function show(page) {
    const fresh = page.getElementById("checkin-result-region");
    if (!fresh) {
      throw new Error("not a check-in page");
    }
    const messages = document.getElementById("messages");
    if (messages) {
      messages.remove();
    }
    const freshMessages = page.getElementById("messages");
    if (freshMessages) {
      root.before(document.importNode(freshMessages, true));
    }
    const counts = document.getElementById("checkin-counts");
    const freshCounts = page.getElementById("checkin-counts");
    if (counts && freshCounts) {
      counts.replaceChildren.apply(counts, Array.from(freshCounts.childNodes).map(function (node) {
        return document.importNode(node, true);
      }));
    }
    [[region, fresh], [searchResults, page.getElementById("checkin-search-results")]].forEach(function (pair) {
      if (pair[0] && pair[1]) {
        pair[0].replaceChildren.apply(pair[0], Array.from(pair[1].childNodes).map(function (node) {
          return document.importNode(node, true);
        }));
      }
    });
  }

  // An error that means "the server did not answer": no connection, no answer in time, or a server error.
  function unanswered(error) {
    const failure = new Error("the server did not answer: " + error);
    failure.unanswered = true;
    return failure;
  }

  async function fetchPage(url, options) {
    if (navigator.onLine === false || Date.now() < quietUntil) {
      throw unanswered("no connection");
    }
    const abort = new AbortController();
    const timer = window.setTimeout(function () { abort.abort(); }, WAIT_MS);
    let response;
    let text;
    try {
      response = await fetch(url, Object.assign({ headers: { Accept: "text/html" }, signal: abort.signal }, options));
      text = await response.text();
    } catch (error) {
      quietUntil = Date.now() + QUIET_MS;
      throw unanswered(error);
    } finally {
      window.clearTimeout(timer);
    }
    if (response.status >= 500) {
      quietUntil = Date.now() + QUIET_MS;
      throw unanswered(response.status);
    }
    if (!response.ok) {
      throw new Error(String(response.status));
    }
    const page = new DOMParser().parseFromString(text, "text/html");
    show(page);
    // The address stays the bare check-in page, not the result's (?code=…, ?entry=…): a ticket's code is
    // not left in the phone's history, and a reload with no signal opens the page the service worker kept
    // (it keeps only the bare page: events.views_gate.check_in).
    const bare = new URL(root.dataset.resultUrl, window.location.href);
    if (window.location.href !== bare.href) {
      window.history.replaceState(null, "", bare.href);
    }
  }

  // Online first; if the server does not answer, ``offline()`` decides on the phone; on any other
  // failure (logged out, say), ``otherwise()`` goes there the old way.
  async function eitherWay(online, offline, otherwise) {
    try {
      await online();
    } catch (error) {
      if (error.unanswered && window.GateOffline) {
        await offline();
      } else {
        otherwise();
        return false;
      }
    }
    return true;
  }

  // The result panel for this ticket, from the check-in page itself (the same view, queries and
  // refusals as without JavaScript); on any failure, go there the old way.
  async function lookUp(token) {
    looking = true;
    say("msgFound");
    const url = new URL(root.dataset.resultUrl, window.location.href);
    url.searchParams.set("code", token);
    try {
      const done = await eitherWay(
        function () { return fetchPage(url.toString()); },
        function () { return window.GateOffline.decide(token); },
        function () {
          stop();
          window.location.assign(url.toString());
        },
      );
      if (!done) {
        return;
      }
      say(stream ? "msgScanning" : "");
      // For bench/scan.py: from the ticket read to its result on screen, measured in the page.
      window.performance.mark("checkin-shown");
    } finally {
      looking = false;
    }
    if (stream) {
      nextFrame();
    }
  }

  // "Check in": posted without leaving the page, so the camera stays on (a phone may ask for the camera
  // again on every page load); queued on the phone when the server does not answer, or when the result
  // was decided on the phone already (data-offline-entry).
  region.addEventListener("submit", async function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    event.preventDefault();
    const hadFocus = form.contains(document.activeElement);
    form.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
    const queue = function () { return window.GateOffline.checkIn(Number(form.dataset.offlineEntry || form.dataset.entry)); };
    if (form.dataset.offlineEntry) {
      await queue();
    } else if (!await eitherWay(
      function () { return fetchPage(form.action, { method: "POST", body: new FormData(form) }); },
      queue,
      function () { form.submit(); },
    )) {
      return;
    }
    if (hadFocus) {
      toggle.focus();
    }
  });

  // A search, and the links of its results: shown in place; decided on the phone when the server does not
  // answer (the ordinary page load would end on the browser's "no connection" page).
  const searchForm = document.querySelector("#checkin form[role=search]");
  if (searchForm && searchResults) {
    searchForm.addEventListener("submit", function (event) {
      const query = searchForm.elements.q.value;
      const url = new URL(searchForm.action, window.location.href);
      url.searchParams.set("q", query);
      event.preventDefault();
      eitherWay(
        function () { return fetchPage(url.toString()); },
        function () { return window.GateOffline.search(query); },
        function () { window.location.assign(url.toString()); },
      );
    });
    searchResults.addEventListener("click", function (event) {
      const link = event.target.closest("a[href]");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey) {
        return;
      }
      const id = new URL(link.href).searchParams.get("entry");
      event.preventDefault();
      eitherWay(
        function () { return fetchPage(link.href); },
        function () { return window.GateOffline.show(Number(id)); },
        function () { window.location.assign(link.href); },
      );
    });
  }

  // Each new picture from the camera is decoded once (requestVideoFrameCallback), not on every refresh of the
  // screen: a 30-frame camera on a 60 Hz phone costs half the decoding, and a battery lasts the day.
  function nextFrame() {
    if (video.requestVideoFrameCallback) {
      video.requestVideoFrameCallback(decodeFrame);
    } else {
      window.requestAnimationFrame(decodeFrame);
    }
  }

  function decodeFrame() {
    if (!stream || looking) {
      return;
    }
    if (video.readyState >= video.HAVE_ENOUGH_DATA && video.videoWidth) {
      const scale = Math.min(1, DECODE_WIDTH / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (found && found.data) {
        const again = last && last.token === found.data && Date.now() - last.seen < SAME_TICKET_MS;
        see(found.data);
        if (!again) {
          window.performance.mark("checkin-read");
          lookUp(found.data);
          return;
        }
      }
    }
    nextFrame();
  }

  async function start() {
    if (stream || starting) {
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.jsQR) {
      say("msgNoCamera");
      return;
    }
    starting = true;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
    } catch (error) {
      stop();
      label();
      remember(CAMERA_KEY, "off");
      say("msgDenied");
      return;
    } finally {
      starting = false;
    }
    remember(CAMERA_KEY, "on");
    label();
    say("msgScanning");
    nextFrame();
  }

  toggle.addEventListener("click", function () {
    if (stream) {
      stop();
      remember(CAMERA_KEY, "off");
      label();
      say("");
      return;
    }
    // Pressed on purpose: whatever is in front of the camera is read, even the ticket just shown.
    last = null;
    remember(LAST_KEY, "null");
    start();
  });
  // The signal is back (the browser says so, or gate-offline.js reached the server): ask the server again.
  ["online", "gate-reached"].forEach(function (name) {
    window.addEventListener(name, function () { quietUntil = 0; });
  });
  // Off while the page is away; on again when it comes back, if the organiser had it on.
  window.addEventListener("pagehide", stop);
  window.addEventListener("pageshow", function () {
    if (recall(CAMERA_KEY) === "on") {
      start();
    }
  });

  const counts = document.getElementById("checkin-counts");
  if (counts) {
    const seconds = Number(counts.dataset.pollSeconds) || 5;
    window.setInterval(async function () {
      try {
        const response = await fetch(counts.dataset.url, { headers: { Accept: "application/json" } });
        if (!response.ok) {
          return;
        }
        const data = await response.json();
        data.sessions.forEach(function (session) {
          const row = counts.querySelector('[data-session="' + session.id + '"]');
          if (row) {
            row.querySelector(".n-checked-in").textContent = String(session.checked_in);
            row.querySelector(".n-confirmed").textContent = String(session.confirmed);
          }
        });
      } catch (error) {
        // Offline for a moment at the gate: the next poll tries again.
      }
    }, seconds * 1000);
  }
})();
