// Check-in at the gate: read a ticket's QR code with the phone's camera (jsQR, vendored), then open
// the result for what it carries; and keep the per-session counts up to date by polling a small JSON.
// Every text a person reads comes from the page (data-msg-*), translated on the server.
(function () {
  "use strict";
  const root = document.getElementById("checkin");
  if (!root) {
    return;
  }
  const startButton = document.getElementById("scan-start");
  const video = document.getElementById("scan-video");
  const status = document.getElementById("scan-status");
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  // Frames are scaled down to this width before decoding: ample for a ticket held up to the camera.
  const DECODE_WIDTH = 480;
  let stream = null;

  function say(key) {
    status.textContent = root.dataset[key] || "";
  }

  function stop() {
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
  }

  function decodeFrame() {
    if (!stream) {
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
        stop();
        say("msgFound");
        const url = new URL(root.dataset.resultUrl, window.location.href);
        url.searchParams.set("code", found.data);
        window.location.assign(url.toString());
        return;
      }
    }
    window.requestAnimationFrame(decodeFrame);
  }

  async function start() {
    if (stream) {
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.jsQR) {
      say("msgNoCamera");
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
    } catch (error) {
      stop();
      video.hidden = true;
      say("msgDenied");
      return;
    }
    say("msgScanning");
    window.requestAnimationFrame(decodeFrame);
  }

  startButton.addEventListener("click", start);
  window.addEventListener("pagehide", stop);

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
