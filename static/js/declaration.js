// The declaration page (templates/events/declaration.html): a drawing pad per signature form (signature_pad,
// vendored), shown only when this script runs; without it the form offers the keyboard way alone (the box "I
// sign by typing my name"). On sending, the drawing goes along as a PNG data URL in the hidden field; the
// server checks it (events/declaration_pdf.py) and answers a missing or unreadable one next to the field.
(function () {
  "use strict";
  if (typeof window.SignaturePad !== "function") {
    return;
  }

  document.querySelectorAll("form[data-declaration]").forEach(function (form) {
    const draw = form.querySelector("[data-draw]");
    const canvas = draw.querySelector("canvas");
    const typed = form.querySelector("[data-typed]");
    const field = form.querySelector("input[name$='-signature']");
    const clear = draw.querySelector("[data-clear]");
    draw.hidden = false;
    const pad = new window.SignaturePad(canvas, { penColor: "#000", minWidth: 1, maxWidth: 2.5 });

    // Sharp on high-density screens: the canvas holds devicePixelRatio pixels per CSS pixel. Resizing clears it,
    // so the drawing is kept across a turn of the phone.
    function fit() {
      const ratio = Math.max(window.devicePixelRatio || 1, 1);
      const data = pad.toData();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      pad.fromData(data);
    }

    function showDrawing() {
      draw.hidden = typed.checked;
      if (!typed.checked) {
        fit();
      }
    }

    clear.addEventListener("click", function () {
      pad.clear();
      field.value = "";
    });
    typed.addEventListener("change", showDrawing);
    window.addEventListener("resize", function () {
      if (!draw.hidden) {
        fit();
      }
    });
    form.addEventListener("submit", function () {
      field.value = !typed.checked && !pad.isEmpty() ? pad.toDataURL("image/png") : "";
    });
    showDrawing();
  });
})();
