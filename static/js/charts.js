// Draws every <canvas data-chart="ID"> from the JSON block <script type="application/json" id="ID">:
//   {"type": "line"|"bar", "labels": [...], "datasets": [...Chart.js datasets...],
//    "indexAxis": "y" (horizontal bars), "legend": false, "percent": true (y axis as %)}
// Loaded after Chart.js (static/vendor/chartjs) on the pages that have charts.
(function () {
  'use strict';
  function options(spec) {
    var opts = {animation: false, plugins: {legend: {display: spec.legend !== false}}};
    if (spec.indexAxis) {
      opts.indexAxis = spec.indexAxis;
    } else if (spec.percent) {
      opts.scales = {y: {ticks: {callback: function (v) { return (v * 100).toFixed(1) + '%'; }}}};
    } else {
      opts.scales = {y: {beginAtZero: true}};
    }
    return opts;
  }
  document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    new window.Chart(canvas, {type: spec.type, data: {labels: spec.labels, datasets: spec.datasets},
                              options: options(spec)});
  });
})();
