/* Hotline import batch page: polls the batch's progress while it is pending or running.
 * Translated words come from the box's data-* attributes (no inline script: CSP). */
(function () {
  "use strict";
  var box = document.getElementById("hotline-progress");
  if (!box) return;
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (b) {
      box.querySelector("progress").value = b.percent;
      box.querySelector(".hotline-progress-text").textContent =
        b.processed + "/" + b.total + " · " + b.status_display + " · " + box.dataset.created + " " + b.created +
        " · " + box.dataset.skipped + " " + b.skipped + " · " + box.dataset.errors + " " + b.errors;
      if (b.status === "pending" || b.status === "running") { setTimeout(poll, 1500); }
      else if (b.errors > 0 || b.created > 0) { if (!box.dataset.reloaded) { box.dataset.reloaded = 1; location.reload(); } }
    });
  }
  if (box.dataset.poll) poll();
})();
