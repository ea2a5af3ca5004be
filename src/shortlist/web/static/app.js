// shortlist dashboard helpers: sortable and filterable tables, charts from escaped JSON, live run progress.
(function () {
  "use strict";

  function cellValue(row, index, numeric) {
    var cell = row.children[index];
    if (!cell) { return numeric ? -Infinity : ""; }
    var raw = cell.getAttribute("data-value");
    if (raw === null) { raw = cell.textContent.trim(); }
    if (!numeric) { return raw.toLowerCase(); }
    var n = parseFloat(raw);
    return isNaN(n) ? -Infinity : n;
  }

  function makeSortable(table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, index) {
      th.addEventListener("click", function () {
        var numeric = th.getAttribute("data-type") === "num";
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
          return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  function makeFilter(input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    if (!table) { return; }
    input.addEventListener("input", function () {
      var needle = input.value.toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        r.style.display = r.textContent.toLowerCase().indexOf(needle) >= 0 ? "" : "none";
      });
    });
  }

  function drawCharts() {
    if (typeof window.Plotly === "undefined") { return; }
    document.querySelectorAll("script.chart-spec").forEach(function (spec) {
      var target = document.getElementById(spec.getAttribute("data-target"));
      if (!target) { return; }
      var fig = JSON.parse(spec.textContent);
      window.Plotly.newPlot(target, fig.data, fig.layout, {displaylogo: false, responsive: true})
        .then(function () { target.setAttribute("data-rendered", "1"); });
    });
  }

  function pollRuns() {
    var table = document.getElementById("runs");
    if (!table || !table.querySelector('tr[data-status="running"]')) { return; }
    window.setTimeout(function () {
      fetch("/runs.json", {headers: {Accept: "application/json"}}).then(function (r) { return r.json(); })
        .then(function (data) {
          data.runs.forEach(function (run) {
            var row = table.querySelector('tr[data-run="' + run.run_id + '"]');
            if (!row) { return; }
            row.setAttribute("data-status", run.status);
            row.querySelector(".progress").textContent =
              run.docs_total ? run.docs_done + " / " + run.docs_total : String(run.docs_done);
            var status = row.children[2];
            status.textContent = run.status;
            status.className = "status-" + run.status;
          });
          pollRuns();
        }).catch(function () { window.setTimeout(pollRuns, 5000); });
    }, 3000);
  }

  document.querySelectorAll("table.sortable").forEach(makeSortable);
  document.querySelectorAll("input.filter").forEach(makeFilter);
  drawCharts();
  pollRuns();
}());
