/* 五色图: county risk levels on the map component (real county boundaries, portal/map.js) with a
   day slider; data from the public API. The table below the map carries the same figures. */
(function () {
  "use strict";
  var el = document.getElementById("risk-map");
  if (!el || !window.ztMap) { return; }
  var days = JSON.parse(document.getElementById("risk-days").textContent);
  var legend = JSON.parse(document.getElementById("risk-legend").textContent);
  var slider = document.getElementById("risk-day");
  var label = document.getElementById("risk-day-label");
  var tableDay = document.getElementById("risk-table-day");
  var tbody = document.querySelector("#risk-table tbody");
  var map = window.ztMap.create(el);
  var layer = null;
  var byCode = {};
  var levels = {};
  legend.forEach(function (l) { levels[l.level] = l; });
  window.ztMap.legend(map, legend.map(function (l) { return { colour: l.colour, label: l.level + " · " + l.label }; }));

  var shapes = window.ztMap.boundaries("330000");

  function draw(fc) {
    var counties = { type: "FeatureCollection", features: fc.features.filter(function (f) { return f.properties.level === "county"; }) };
    var cities = { type: "FeatureCollection", features: fc.features.filter(function (f) { return f.properties.level === "city"; }) };
    layer = window.ztMap.areas(map, counties, {
      style: function (f) {
        var row = byCode[f.properties.code];
        var lv = row ? levels[row.level] : null;
        return { color: "#4a5563", weight: 0.8, fillColor: lv ? lv.colour : "#e8eaed", fillOpacity: lv ? 0.85 : 0.6 };
      },
      tooltip: function (f) {
        var row = byCode[f.properties.code];
        var lv = row ? levels[row.level] : null;
        return f.properties.name + (lv ? " · " + lv.label : "");
      },
      // Only the counties the risk list covers are named (the others stay grey).
      label: function (f) { return byCode[f.properties.code] ? f.properties.name : ""; }
    });
    window.ztMap.areas(map, cities, { style: function () { return { color: "#1a1a1a", weight: 2, fillOpacity: 0 }; }, labels: false });
    window.ztMap.fit(map, layer, 8);
  }

  function load(day) {
    fetch(el.getAttribute("data-api") + "?day=" + encodeURIComponent(day)).then(function (r) { return r.json(); }).then(function (data) {
      label.textContent = data.day; tableDay.textContent = data.day;
      byCode = {};
      data.counties.forEach(function (c) { byCode[c.county] = c; });
      shapes.then(function (fc) { if (layer) { layer.setStyle(layer.options.style); } else { draw(fc); } });
      tbody.innerHTML = "";
      data.counties.forEach(function (c) {
        var tr = document.createElement("tr");
        var i = c.indicators;
        var lv = levels[c.level];
        [c.name, lv ? lv.label : String(c.level), i.new7, i.new14, i.local_share14, i.clusters14, i.days_without_case === null ? "—" : i.days_without_case]
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
})();
