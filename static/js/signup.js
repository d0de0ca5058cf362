/* Sign-up forms on the event page are sent once: a second click while the first post is on its way (a
 * double click) sends nothing more, and the button shows as disabled. An extra only: the server answers a
 * repeat of the same form with the same sign-up (events.services.entry_create), with or without this. */
(function () {
  "use strict";

  function buttons(form) {
    return form.querySelectorAll("[type=submit]");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-submit-once")) return;
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    buttons(form).forEach(function (button) {
      button.classList.add("disabled");
      button.setAttribute("aria-disabled", "true");
    });
  });

  // Back on this page from the browser's history: its forms can be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      delete form.dataset.sent;
      buttons(form).forEach(function (button) {
        button.classList.remove("disabled");
        button.removeAttribute("aria-disabled");
      });
    });
  });
})();
