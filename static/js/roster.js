/* The roster's convoy picture, colour filter and "Find my car". Progressive enhancement: without
 * JavaScript each car in the picture is a link to its row in the list, the colour filter and the search
 * are GET forms answered by the server. With it:
 *  - tapping, clicking or focusing a car says which car it is (slot, register number, nickname, colour)
 *    below the picture, with links to the car's page and to its row, and highlights the row;
 *  - choosing a colour highlights that colour's cars in the picture and the list and dims the rest
 *    ("Filter" still asks the server for the narrowed list);
 *  - "Find my car" looks on this page first (register number or nickname) and highlights the car in the
 *    picture and the list; a car on another page is found by the server, which sends the reader there
 *    (offline, in the convoy picture, whose car links to the page that lists it).
 * Every text comes from the page (translated by the server); no inline script (the CSP forbids it). */
(function () {
  "use strict";
  document.documentElement.classList.add("has-js");

  function rowFor(entryId) {
    return document.getElementById("entry-" + entryId);
  }

  function carsFor(entryId) {
    return document.querySelectorAll('.convoy-cars a[href$="#entry-' + entryId + '"]');
  }

  // A car links to "#entry-<id>" (its row on this page) or "?session=…&page=…#entry-<id>" (the page that
  // lists it: the picture is the whole convoy); a row has the id "entry-<id>".
  function entryOf(el) {
    return (el.getAttribute("href") || "#" + el.id).replace(/^.*#entry-/, "");
  }

  function cellText(row, name) {
    var cell = row.querySelector("td." + name);
    return cell ? cell.textContent.trim().toLowerCase() : "";
  }

  function clearSelection() {
    document.querySelectorAll(".is-selected").forEach(function (el) { el.classList.remove("is-selected"); });
    document.querySelectorAll("[data-convoy-info]").forEach(function (info) { info.hidden = true; });
  }

  function select(car, options) {
    var entryId = entryOf(car);
    clearSelection();
    car.classList.add("is-selected");
    var row = rowFor(entryId);
    if (row) row.classList.add("is-selected");
    var figure = car.closest("[data-convoy]");
    var info = figure && figure.querySelector("[data-convoy-info]");
    if (!info) return;
    var title = car.querySelector("title");
    info.querySelector("[data-convoy-info-text]").textContent = title ? title.textContent : "";
    var carLink = info.querySelector("[data-convoy-info-car]");
    var rowLink = row && row.querySelector("td.reg a");
    carLink.hidden = !rowLink;
    if (rowLink) carLink.href = rowLink.href;
    var listLink = info.querySelector("[data-convoy-info-row]");
    var href = car.getAttribute("href");
    listLink.hidden = !row && href.charAt(0) === "#";
    listLink.href = row ? "#entry-" + entryId : href;
    info.hidden = false;
    if (options && options.scroll) car.scrollIntoView({block: "center"});
  }

  document.querySelectorAll(".convoy-cars a").forEach(function (car) {
    car.addEventListener("click", function (event) {
      event.preventDefault();
      select(car);
      car.focus();
    });
    car.addEventListener("focus", function () { select(car); });
  });

  // Colour: highlight in the picture and the list, dim the rest.
  var colourSelect = document.querySelector("[data-colour-filter] select");
  function highlightColour() {
    var chosen = colourSelect.value;
    document.querySelectorAll(".convoy-cars a[data-colour], .roster-table tr[data-colour]").forEach(function (el) {
      var match = el.getAttribute("data-colour") === chosen;
      el.classList.toggle("is-match", chosen !== "" && match);
      el.classList.toggle("is-dimmed", chosen !== "" && !match);
    });
  }
  if (colourSelect) colourSelect.addEventListener("change", highlightColour);

  // Find my car: on this page first.
  var findForm = document.querySelector("[data-find-car]");

  // A new search starts clean: the last failed search's error (the server's, under the field) and the
  // last status go, whatever this one finds.
  function clearFindMessages(input) {
    findForm.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
    input.classList.remove("is-invalid");
    input.removeAttribute("aria-invalid");
    var status = findForm.querySelector("[data-find-status]");
    if (status) {
      status.textContent = "";
      status.classList.add("visually-hidden");
    }
  }

  if (findForm) {
    findForm.addEventListener("submit", function (event) {
      var input = findForm.querySelector("input[name=find]");
      clearFindMessages(input);
      var text = input.value.trim().toLowerCase();
      var number = text.replace(/^#\s*/, "");
      var rows = document.querySelectorAll(".roster-table tr[id^='entry-']");
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i];
        if ((number !== "" && cellText(row, "reg") === "#" + number) || (text !== "" && cellText(row, "nick") === text)) {
          event.preventDefault();
          var car = carsFor(entryOf(row))[0];
          if (car) {
            select(car, {scroll: true});
            car.focus({preventScroll: true});
          } else {
            clearSelection();
            row.classList.add("is-selected");
            row.scrollIntoView({block: "center"});
          }
          return;
        }
      }
      var status = findForm.querySelector("[data-find-status]");
      if (offline()) {
        // No server to ask: the picture names every car of the convoy, and links to the page that lists it.
        event.preventDefault();
        var inPicture = findInPicture(text, number);
        if (inPicture) {
          select(inPicture, {scroll: true});
          inPicture.focus({preventScroll: true});
        } else if (status) {
          status.textContent = status.getAttribute("data-not-found-offline").replace("{text}", input.value.trim());
          status.classList.remove("visually-hidden");
        }
        return;
      }
      if (status) status.textContent = status.getAttribute("data-not-found");
      // Not on this page: the server finds it and sends the reader to its page.
    });
  }

  // A page shown from the phone's saved copy (static/js/offline.js), or a browser that knows it is offline.
  function offline() {
    return document.documentElement.hasAttribute("data-offline-saved") || !navigator.onLine;
  }

  // A car of the convoy picture by register number or nickname: its name is "Slot 5, #417, “Shadow”, colour".
  function findInPicture(text, number) {
    var cars = document.querySelectorAll(".convoy-cars a");
    for (var i = 0; i < cars.length; i++) {
      var title = cars[i].querySelector("title");
      var parts = title ? title.textContent.toLowerCase().split(", ") : [];
      if ((number !== "" && parts.indexOf("#" + number) !== -1) || (text !== "" && parts.indexOf("“" + text + "”") !== -1)) {
        return cars[i];
      }
    }
    return null;
  }

  // Arriving from a search (or a shared link) at #entry-…: select that car in the picture too.
  var match = /^#entry-(\d+)$/.exec(window.location.hash);
  if (match) {
    var target = carsFor(match[1])[0];
    if (target) select(target);
  }
})();
