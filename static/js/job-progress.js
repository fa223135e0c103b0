// A background job's panel (templates/_macros/jobs.html): while the job waits or runs, ask its status
// every two seconds and show it; once it has ended, reload the page, which then shows the outcome.
// Without JavaScript the panel's refresh link does the same by hand.
(function () {
  "use strict";
  var INTERVAL = 2000;

  function watch(panel) {
    var url = panel.getAttribute("data-job-status");
    var text = panel.querySelector("[data-job-text]");
    var label = panel.querySelector("[data-job-label]");
    var bar = panel.querySelector("[data-job-progress]");
    var failures = 0;

    function show(status) {
      if (text && status.text) { text.textContent = status.text; }
      if (label && status.label) { label.textContent = status.label; }
      if (bar && typeof status.percent === "number") {
        bar.value = status.percent;
        bar.textContent = status.percent + " %";
      }
    }

    function ask() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (status) {
          failures = 0;
          show(status);
          if (status.ended) {
            window.location.reload();
            return;
          }
          window.setTimeout(ask, INTERVAL);
        })
        .catch(function () {
          failures += 1; // offline for a moment: ask less often, the refresh link still works
          if (failures < 30) { window.setTimeout(ask, INTERVAL * Math.min(failures + 1, 10)); }
        });
    }

    window.setTimeout(ask, INTERVAL);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-job-running]"), watch);
})();
