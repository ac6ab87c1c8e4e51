/* A dataset's map preview: its rows' coordinates as points on the schematic map (ECharts geo),
   the same map component as the codes module's risk map. */
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("dataset-map");
    if (!el || typeof window.echarts === "undefined") { return; }
    var points = JSON.parse(document.getElementById(el.getAttribute("data-map-points")).textContent);
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    fetch(el.getAttribute("data-geojson")).then(function (r) { return r.json(); }).then(function (geo) {
      window.echarts.registerMap("zt-dataset-map", geo);
      var lngs = points.map(function (p) { return p[0]; });
      var lats = points.map(function (p) { return p[1]; });
      var pad = 0.05;
      chart.setOption({
        animation: false,
        tooltip: { trigger: "item", formatter: function (p) { return (p.data.name || "") + " " + p.data.value[0] + ", " + p.data.value[1]; } },
        geo: {
          map: "zt-dataset-map", roam: true, label: { show: true, fontSize: 10, color: "#555" },
          itemStyle: { areaColor: "#eef3f8", borderColor: "#8aa4c0" },
          boundingCoords: [[Math.min.apply(null, lngs) - pad, Math.max.apply(null, lats) + pad],
                           [Math.max.apply(null, lngs) + pad, Math.min.apply(null, lats) - pad]]
        },
        series: [{ type: "scatter", coordinateSystem: "geo", symbolSize: 7, itemStyle: { color: "#c0392b" },
                   data: points.map(function (p) { return { name: p[2], value: [p[0], p[1]] }; }) }]
      });
      el.setAttribute("data-chart-ready", "1");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "complete") { draw(); } else { document.addEventListener("DOMContentLoaded", draw); }
})();
