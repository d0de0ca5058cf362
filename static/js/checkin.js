// Check-in at the gate: read a ticket's QR code with the phone's camera (jsQR, vendored) and show what it
// carries without leaving the page, so the camera keeps running from car to car; and keep the
// per-session counts up to date by polling a small JSON.
// Every text a person reads comes from the page (data-msg-*), translated on the server.
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
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  // Frames are scaled down to this width before decoding: ample for a ticket held up to the camera.
  const DECODE_WIDTH = 480;
  // A ticket just read is not looked up again while it stays in front of the camera: only after it has
  // been out of sight this long (a different ticket is looked up at once).
  const SAME_TICKET_MS = 3000;
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
    region.replaceChildren.apply(region, Array.from(fresh.childNodes).map(function (node) {
      return document.importNode(node, true);
    }));
  }

  async function fetchPage(url, options) {
    const response = await fetch(url, Object.assign({ headers: { Accept: "text/html" } }, options));
    if (!response.ok) {
      throw new Error(String(response.status));
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    show(page);
    window.history.replaceState(null, "", response.url);
  }

  // The result panel for this ticket, from the check-in page itself (the same view, queries and
  // refusals as without JavaScript); on any failure, go there the old way.
  async function lookUp(token) {
    looking = true;
    say("msgFound");
    const url = new URL(root.dataset.resultUrl, window.location.href);
    url.searchParams.set("code", token);
    try {
      await fetchPage(url.toString());
      say(stream ? "msgScanning" : "");
    } catch (error) {
      stop();
      window.location.assign(url.toString());
      return;
    } finally {
      looking = false;
    }
    if (stream) {
      window.requestAnimationFrame(decodeFrame);
    }
  }

  // "Check in" while the camera runs: posted without leaving the page, so the camera stays on (a phone
  // may ask for the camera again on every page load). With the camera off, the ordinary form post.
  region.addEventListener("submit", async function (event) {
    const form = event.target;
    if (!stream || !(form instanceof HTMLFormElement)) {
      return;
    }
    event.preventDefault();
    const hadFocus = form.contains(document.activeElement);
    form.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
    try {
      await fetchPage(form.action, { method: "POST", body: new FormData(form) });
    } catch (error) {
      form.submit();
      return;
    }
    if (hadFocus) {
      toggle.focus();
    }
  });

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
          lookUp(found.data);
          return;
        }
      }
    }
    window.requestAnimationFrame(decodeFrame);
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
    window.requestAnimationFrame(decodeFrame);
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
