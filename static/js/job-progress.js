// Polls a running job's status and updates its progress bar; reloads the page when it ends.
// Without JavaScript the page refreshes itself (a <noscript> meta refresh) instead.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.dataset.finished === "yes") { return; }
  var url = box.dataset.statusUrl;
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { return; }
        var bar = document.getElementById("job-progress");
        if (job.percent !== null) { bar.value = job.percent; bar.textContent = job.percent + "%"; }
        document.getElementById("job-counts").textContent =
          job.done + (job.total ? " / " + job.total : "");
        if (job.finished) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
}());
