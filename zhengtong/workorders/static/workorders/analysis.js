// 12345 hotspots and trends: draws the three charts from the page's JSON (the tables beside them
// carry the same figures for screen readers and without JavaScript).
(function () {
  "use strict";
  function draw() {
    var node = document.getElementById("wo-analysis-data");
    if (!node || !window.echarts) return;
    var data = JSON.parse(node.textContent);
    function chart(id, kind, series, name, horizontal) {
      var el = document.getElementById(id);
      if (!el) return;
      var c = window.echarts.init(el);
      var cat = { type: "category", data: series.x, axisLabel: { interval: horizontal ? 0 : "auto" } };
      var val = { type: "value", minInterval: 1 };
      c.setOption({
        tooltip: { trigger: "axis" },
        grid: { left: horizontal ? 110 : 40, right: 16, top: 16, bottom: 40, containLabel: false },
        xAxis: horizontal ? val : cat,
        yAxis: horizontal ? Object.assign({}, cat, { inverse: true }) : val,
        series: [{ name: name, type: kind, data: series.y, smooth: kind === "line" }],
      });
      window.addEventListener("resize", function () { c.resize(); });
    }
    chart("wo-chart-trend", "line", data.trend, data.labels.trend, false);
    chart("wo-chart-category", "bar", data.category, data.labels.category, true);
    chart("wo-chart-region", "bar", data.region, data.labels.region, true);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
