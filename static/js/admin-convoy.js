// Convoy order in the admin: drag and drop (HTML5) plus up/down buttons for keyboards and small screens.
// The order of the hidden "entry" inputs is what the form posts; the server assigns slots 1..N.
(function () {
  "use strict";
  // Django's JavaScript catalogue (loaded before this file) translates; without it, English.
  const gettext = window.gettext || function (text) { return text; };
  const interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\((\w+)\)s/g, function (_, name) { return String(values[name]); });
  };
  const list = document.getElementById("convoy-list");
  const status = document.getElementById("convoy-status");
  if (!list) {
    return;
  }
  let dragged = null;
  // Moves live only in this page until "Save order": leaving before that asks first (the browser's own
  // question; browsers no longer show a page's text there).
  let unsaved = false;
  window.addEventListener("beforeunload", function (event) {
    if (unsaved) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  const form = document.getElementById("convoy-form");
  if (form) {
    form.addEventListener("submit", function () { unsaved = false; });
  }

  function items() {
    return Array.from(list.querySelectorAll(".convoy-item"));
  }

  function renumber(moved) {
    items().forEach(function (item, index) {
      item.querySelector(".convoy-position").textContent = String(index + 1);
    });
    if (moved) {
      unsaved = true;
    }
    if (moved && status) {
      const position = items().indexOf(moved) + 1;
      status.textContent = interpolate(
        gettext("%(car)s moved to place %(position)s"), { car: moved.dataset.label, position: position }, true);
    }
  }

  items().forEach(function (item) {
    item.querySelector(".convoy-moves").hidden = false;

    item.addEventListener("dragstart", function (event) {
      dragged = item;
      item.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.label);
    });
    item.addEventListener("dragend", function () {
      item.classList.remove("is-dragging");
      items().forEach(function (other) { other.classList.remove("is-target"); });
      dragged = null;
    });
    item.addEventListener("dragover", function (event) {
      if (!dragged || dragged === item) {
        return;
      }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      item.classList.add("is-target");
    });
    item.addEventListener("dragleave", function () {
      item.classList.remove("is-target");
    });
    item.addEventListener("drop", function (event) {
      event.preventDefault();
      item.classList.remove("is-target");
      if (!dragged || dragged === item) {
        return;
      }
      const all = items();
      // Dropping on a car further down puts the dragged car after it, otherwise before it.
      if (all.indexOf(dragged) < all.indexOf(item)) {
        item.after(dragged);
      } else {
        item.before(dragged);
      }
      renumber(dragged);
    });

    item.querySelector(".convoy-up").addEventListener("click", function (event) {
      const previous = item.previousElementSibling;
      if (previous) {
        previous.before(item);
        renumber(item);
        event.currentTarget.focus();
      }
    });
    item.querySelector(".convoy-down").addEventListener("click", function (event) {
      const next = item.nextElementSibling;
      if (next) {
        next.after(item);
        renumber(item);
        event.currentTarget.focus();
      }
    });
  });
})();
