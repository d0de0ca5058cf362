// The car export page (django-import-export's export form): its "Select all" box is wired with an inline
// onchange handler, which this site's Content-Security-Policy blocks (no inline scripts), and its label points
// at an id the box lacks. Give the box that id and the same handler, from a file (the blocked one goes).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input.select-toggle").forEach(function (toggle) {
      toggle.id = toggle.id || toggle.name;
      toggle.removeAttribute("onchange");
      toggle.addEventListener("change", function (event) {
        document.querySelectorAll('.selectable-field-export-row input[type="checkbox"]').forEach(function (box) {
          box.checked = event.target.checked;
        });
      });
    });
  });
})();
