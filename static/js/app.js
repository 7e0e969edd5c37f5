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
  // - On afterSettle, not afterSwap: htmx wires up the new content (hx-post…) only when it
  //   settles, so a button focused earlier and pressed at once would post the whole page.
  // - htmx fires the event on every element it swapped in: with hx-swap="outerHTML" the
  //   request's target (event.detail.target) is the old element, already out of the page,
  //   so look in the element the event fired on when it is still in the page.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.target && event.target.isConnected ? event.target : event.detail.target;
    if (!target || !target.isConnected || !target.querySelector) { return; }
    var focus = target.querySelector("[data-focus-after-swap]") || (target.matches("[data-focus-after-swap]") ? target : null);
    if (focus) { focus.focus(); }
  });
})();
