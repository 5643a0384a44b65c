// Warmline metrics page: draws the trend and the breakdowns the server put in data-chart
// (Chart.js, vendored). The tables beside the charts carry the same figures.
(function () {
  "use strict";
  var root = document.getElementById("metrics");
  if (!root || typeof Chart === "undefined") return;
  var data = JSON.parse(root.dataset.chart);
  var percent = data.unit === "share";
  function shown(v) { return v === null ? null : (percent ? Math.round(v * 1000) / 10 : v); }
  var axis = { beginAtZero: true, title: { display: true, text: percent ? "%" : data.unit } };
  var common = { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } } };

  var trend = document.getElementById("trend-chart");
  if (trend) {
    trend.chart = new Chart(trend, {
      type: "line",
      data: { labels: data.trend.labels, datasets: [{ label: data.title, data: data.trend.values.map(shown), spanGaps: true, borderColor: "#b4532a", backgroundColor: "#b4532a" }] },
      options: Object.assign({ scales: { y: axis } }, common)
    });
  }
  document.querySelectorAll("canvas.breakdown-chart").forEach(function (canvas) {
    var b = data.breakdowns[canvas.dataset.by];
    if (!b) return;
    canvas.chart = new Chart(canvas, {
      type: "bar",
      data: { labels: b.labels, datasets: [{ label: data.title, data: b.values.map(shown), backgroundColor: "#d98b5f" }] },
      options: Object.assign({ indexAxis: "y", scales: { x: axis } }, common)
    });
  });
  // A changed filter shows its figures at once.
  document.querySelectorAll("#metric-filters select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
