// Follows a background job on its page (templates/jobs/_progress.html): polls the job's JSON
// every second and a half, moves the bar and the count, and reloads the page once the job
// has started or ended, so the server shows what comes next. Without script the page
// refreshes itself instead (<noscript> meta refresh).
(function () {
  "use strict";
  if (!window.fetch) return;
  var box = document.querySelector("[data-job]");
  if (!box) return;
  var status = box.getAttribute("data-job-status");
  if (status !== "queued" && status !== "running") return;
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-job-text]");
  var template = box.getAttribute("data-count");
  var lang = document.documentElement.lang || "vi";

  function count(n) {
    try { return n.toLocaleString(lang); } catch (e) { return String(n); }
  }

  function show(job) {
    if (job.status !== status) { window.location.reload(); return; }
    if (job.status !== "running" || !job.total) return;
    bar.max = job.total;
    bar.value = job.done;
    if (text && template) {
      text.textContent = template.replace("{done}", count(job.done))
        .replace("{total}", count(job.total)) + (job.message ? " · " + job.message : "");
    }
  }

  function poll() {
    fetch(box.getAttribute("data-job"), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) { if (job) show(job); })
      .catch(function () { /* offline for a moment: try again */ })
      .then(function () { window.setTimeout(poll, 1500); });
  }
  window.setTimeout(poll, 1500);
})();
