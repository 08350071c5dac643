// A background job's page: poll its JSON status until it finishes, then reload to show the result.
(function () {
  var box = document.getElementById("job");
  if (!box || box.dataset.finished === "true") return;
  var url = box.dataset.statusUrl;
  var bar = document.getElementById("job-bar");
  function fmt(n) { return Number(n).toLocaleString("zh-CN"); }
  function show(s) {
    document.getElementById("job-state").textContent = s.state_label;
    document.getElementById("job-phase").textContent = s.phase || "";
    document.getElementById("job-count").textContent = s.total ? fmt(s.done) + " / " + fmt(s.total) : "";
    var pct = s.percent === null ? 100 : s.percent;
    bar.style.width = pct + "%";
    bar.textContent = s.percent === null ? "" : s.percent + "%";
    bar.parentElement.setAttribute("aria-valuenow", String(s.percent || 0));
  }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { setTimeout(poll, 3000); return; }
        show(s);
        if (s.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
