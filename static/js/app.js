// Tasharuk: the only script besides htmx. No inline scripts anywhere (strict CSP).
(function () {
  "use strict";
  // Send the CSRF token on every htmx request, whatever element fires it.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.getAttribute("content"); }
  });
  // Keep keyboard focus where it was after a swap: move it to the swapped region's
  // element marked data-focus-after-swap (a button, a status message).
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) { return; }
    var focus = target.querySelector("[data-focus-after-swap]") || (target.matches("[data-focus-after-swap]") ? target : null);
    if (focus) { focus.focus(); }
  });
})();
