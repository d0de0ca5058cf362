/* Photo upload with a progress bar. Progressive enhancement: without JavaScript the form posts normally.
 * With it, the form is sent by XMLHttpRequest; the server's answer (the photos page after the redirect, or
 * the same page with the form errors) replaces the page's <main>, so messages and errors show as usual. */
(function () {
  "use strict";
  // Django's JavaScript catalogue (/jsi18n/, loaded before this file) translates; without it, English.
  var gettext = window.gettext || function (text) { return text; };
  var percentFormat = new Intl.NumberFormat(document.documentElement.lang || undefined, { style: "percent" });

  function setProgress(form, percent) {
    var bar = form.querySelector("[data-upload-progress]");
    if (!bar) return;
    bar.classList.remove("d-none");
    bar.setAttribute("aria-valuenow", String(percent));
    var inner = bar.querySelector(".progress-bar");
    inner.style.width = percent + "%";
    inner.textContent = percentFormat.format(percent / 100);  // "42%", "42 %"
    if (percent === 100) announce(form, gettext("Uploaded. The photo is being processed…"));
  }

  function announce(form, text) {
    var status = form.querySelector("[data-upload-status]");
    if (status) status.textContent = text;
  }

  function replaceMain(html, url) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main");
    var current = document.querySelector("main");
    if (!fresh || !current) {
      window.location.assign(url);
      return;
    }
    current.innerHTML = fresh.innerHTML;
    if (doc.title) document.title = doc.title;
    if (url && window.history && window.history.replaceState) window.history.replaceState(null, "", url);
    var focusTarget = current.querySelector(".is-invalid, .alert") || current.querySelector("h1");
    if (focusTarget) {
      if (!focusTarget.hasAttribute("tabindex")) focusTarget.setAttribute("tabindex", "-1");
      focusTarget.focus();
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-upload]") || !window.FormData || !window.XMLHttpRequest) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) setProgress(form, Math.round((e.loaded / e.total) * 100));
    });
    xhr.addEventListener("load", function () {
      if (xhr.status >= 200 && xhr.status < 500) {
        replaceMain(xhr.responseText, xhr.responseURL || form.action);
      } else {
        window.location.assign(form.action);
      }
    });
    xhr.addEventListener("error", function () {
      if (button) button.disabled = false;
      announce(form, gettext("The upload failed. Check your connection and try again."));
      setProgress(form, 0);
    });
    setProgress(form, 0);
    xhr.send(new FormData(form));
  });
})();
