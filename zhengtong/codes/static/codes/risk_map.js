/* 五色图: ECharts map of county risk levels with a day slider (data from the public API). */
(function () {
  "use strict";
  var el = document.getElementById("risk-map");
  if (!el || typeof window.echarts === "undefined") { return; }
  var days = JSON.parse(document.getElementById("risk-days").textContent);
  var legend = JSON.parse(document.getElementById("risk-legend").textContent);
  var slider = document.getElementById("risk-day");
  var label = document.getElementById("risk-day-label");
  var tableDay = document.getElementById("risk-table-day");
  var tbody = document.querySelector("#risk-table tbody");
  var chart = window.echarts.init(el, null, { renderer: "svg" });
  fetch(el.getAttribute("data-geojson")).then(function (r) { return r.json(); }).then(function (geo) {
    window.echarts.registerMap("zt-schematic", geo);
    var names = {};
    geo.features.forEach(function (f) { names[f.properties.code] = f.properties.name; });
    function load(day) {
      fetch(el.getAttribute("data-api") + "?day=" + encodeURIComponent(day)).then(function (r) { return r.json(); }).then(function (data) {
        label.textContent = data.day; tableDay.textContent = data.day;
        chart.setOption({
          animation: false,
          tooltip: { trigger: "item", formatter: function (p) { return p.name + ": " + (p.data ? p.data.levelLabel : "—"); } },
          visualMap: { type: "piecewise", pieces: legend.map(function (l) { return { value: l.level, label: l.label, color: l.colour }; }), left: 8, bottom: 8 },
          series: [{ type: "map", map: "zt-schematic", roam: true, label: { show: true, fontSize: 10 },
            data: data.counties.map(function (c) {
              var lv = legend.filter(function (l) { return l.level === c.level; })[0];
              return { name: names[c.county] || c.name, value: c.level, levelLabel: lv ? lv.label : c.level };
            }) }]
        });
        tbody.innerHTML = "";
        data.counties.forEach(function (c) {
          var tr = document.createElement("tr");
          var i = c.indicators;
          [c.name + " " + c.county, String(c.level), i.new7, i.new14, i.local_share14, i.clusters14, i.days_without_case === null ? "—" : i.days_without_case]
            .forEach(function (v, idx) {
              var td = document.createElement("td");
              if (idx === 1) { var s = document.createElement("span"); s.className = "swatch"; s.style.background = c.hex; td.appendChild(s); td.appendChild(document.createTextNode(" ")); }
              td.appendChild(document.createTextNode(String(v)));
              tr.appendChild(td);
            });
          tbody.appendChild(tr);
        });
        el.setAttribute("data-chart-ready", "1");
      });
    }
    slider.addEventListener("input", function () { load(days[parseInt(slider.value, 10)]); });
    if (days.length) { load(days[days.length - 1]); }
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
