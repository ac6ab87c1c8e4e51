/* Cockpit: the region map (or bar chart where no shapes exist) with click-to-drill-down, the
   daily trend, and in wall mode a refresh of the figures from the API without reloading. Every
   chart has a table alternative in the page. */
(function () {
  "use strict";
  var dataEl = document.getElementById("cockpit-data");
  if (!dataEl || typeof window.echarts === "undefined") { return; }
  var data = JSON.parse(dataEl.textContent);
  var wall = document.body.classList.contains("wall");
  var text = wall ? "#dde6f0" : "#222";
  var mapEl = document.getElementById("cockpit-map");
  var trendEl = document.getElementById("cockpit-trend");
  var mapChart = null;   // ECharts bar chart, for units without shapes (below a county)
  var leaflet = null;    // the map component (portal/map.js) with real boundaries
  var shapeLayer = null;
  var trendChart = trendEl ? window.echarts.init(trendEl, null, { renderer: "svg" }) : null;
  var geo = null;
  var query = "?indicator=" + encodeURIComponent(data.indicator) + "&days=" + data.days;

  function drill(code) { window.location.href = "/cockpit/" + encodeURIComponent(code) + "/" + (wall ? "wall/" : "") + query; }

  // Colour of a value on a light-to-dark blue scale (min..max).
  function shade(v, min, max) {
    if (v === null || v === undefined) { return "#e8eaed"; }
    var t = max === min ? 0.5 : (v - min) / (max - min);
    var stops = [[224, 243, 248], [44, 127, 184], [8, 48, 107]];
    var a = t < 0.5 ? stops[0] : stops[1], b = t < 0.5 ? stops[1] : stops[2], u = t < 0.5 ? t * 2 : (t - 0.5) * 2;
    return "rgb(" + [0, 1, 2].map(function (i) { return Math.round(a[i] + (b[i] - a[i]) * u); }).join(",") + ")";
  }

  function drawRegions(regions, counties) {
    if (!mapEl) { return; }
    // A province or city is drawn as the map of its units (real boundaries of cities and counties);
    // below a county the units have no shapes: a bar chart of the units directly below.
    var codes = {};
    if (geo) { geo.features.forEach(function (f) { codes[f.properties.code] = f; }); }
    var onMap = regions.filter(function (r) { return codes[r.code]; });
    if ((!geo || onMap.length < 3) && counties && counties.length) {
      regions = counties; onMap = regions.filter(function (r) { return codes[r.code]; });
    }
    var values = onMap.map(function (r) { return r.value; }).filter(function (v) { return v !== null; });
    var max = values.length ? Math.max.apply(null, values) : 1;
    var min = values.length ? Math.min.apply(null, values) : 0;
    // Units without a shape stay in the table below the map.
    if (geo && onMap.length >= 3 && window.ztMap) {
      var byCode = {};
      onMap.forEach(function (r) { byCode[r.code] = r; });
      var fc = { type: "FeatureCollection", features: onMap.map(function (r) { return codes[r.code]; }) };
      var style = function (f) {
        var r = byCode[f.properties.code];
        return { color: "#1a1a1a", weight: 1, fillColor: shade(r ? r.value : null, min, max), fillOpacity: 0.85 };
      };
      if (!leaflet) {
        leaflet = window.ztMap.create(mapEl);
        shapeLayer = window.ztMap.areas(leaflet, fc, {
          style: style,
          tooltip: function (f) {
            var r = byCode[f.properties.code];
            return f.properties.name + ": " + (!r || r.value === null ? "—" : r.value) + " " + data.unit_of;
          },
          onClick: function (f) { drill(f.properties.code); }
        });
        window.ztMap.legend(leaflet, [
          { colour: shade(min, min, max), label: String(min) }, { colour: shade(max, min, max), label: String(max) }
        ], data.unit_of);
        window.ztMap.fit(leaflet, shapeLayer, 8);
      } else {
        shapeLayer.setStyle(style);
      }
    } else {
      if (!mapChart) { mapChart = window.echarts.init(mapEl, null, { renderer: "svg" }); mapChart.on("click", function (p) { if (p.data && p.data.code) { drill(p.data.code); } }); }
      mapChart.setOption({
        animation: false,
        grid: { left: 48, right: 16, top: 16, bottom: 64 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: regions.map(function (r) { return r.name; }), axisLabel: { rotate: 30, color: text } },
        yAxis: { type: "value", axisLabel: { color: text } },
        series: [{ type: "bar", data: regions.map(function (r) { return { value: r.value, code: r.code }; }), itemStyle: { color: "#2c7fb8" } }]
      }, true);
    }
    mapEl.setAttribute("data-chart-ready", "1");
  }

  function drawTrend(trend) {
    if (!trendChart) { return; }
    trendChart.setOption({
      animation: false,
      grid: { left: 48, right: 16, top: 16, bottom: 32 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: trend.map(function (t) { return t.day.slice(5); }), axisLabel: { color: text } },
      yAxis: { type: "value", axisLabel: { color: text } },
      series: [{ type: "line", data: trend.map(function (t) { return t.value; }), smooth: true, areaStyle: { opacity: 0.15 }, itemStyle: { color: "#f28e2b" } }]
    }, true);
  }

  function start() { drawRegions(data.regions, data.counties); drawTrend(data.trend); }
  if (mapEl && window.ztMap) {
    window.ztMap.boundaries(mapEl.getAttribute("data-region") || "330000").then(function (g) {
      geo = g; start();
    }).catch(start);
  } else { start(); }
  window.addEventListener("resize", function () { if (mapChart) { mapChart.resize(); } if (trendChart) { trendChart.resize(); } });

  if (wall) {
    var seconds = parseInt(document.body.getAttribute("data-refresh"), 10) || 60;
    var api = document.body.getAttribute("data-api");
    var stamp = document.getElementById("wall-updated");
    var refresh = function () {
      fetch(api + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (d) {
          d.figures.forEach(function (f) {
            var li = document.querySelector('.kpi[data-code="' + f.code + '"]');
            if (!li) { return; }
            li.className = "kpi band-" + (f.band || "none");
            var v = li.querySelector(".kpi-value");
            if (v && v.firstChild) { v.firstChild.nodeValue = f.value === null ? "—" : String(f.value); }
          });
          drawRegions(d.regions, d.counties); drawTrend(d.trend);
          var live = document.getElementById("wall-live");
          if (live && d.live.length) {
            live.innerHTML = "";
            d.live.forEach(function (w) {
              var li = document.createElement("li"); li.className = "kpi";
              var n = document.createElement("span"); n.className = "kpi-name"; n.textContent = w.feed + " · " + w.key;
              var v = document.createElement("span"); v.className = "kpi-value"; v.textContent = (w.mean === null ? "—" : w.mean) + " " + w.unit;
              li.appendChild(n); li.appendChild(v); live.appendChild(li);
            });
          }
          if (stamp) { stamp.textContent = new Date().toLocaleTimeString(document.documentElement.lang || undefined); }
        }).catch(function () { if (stamp) { stamp.textContent = "!"; } });
    };
    if (stamp) { stamp.textContent = new Date().toLocaleTimeString(document.documentElement.lang || undefined); }
    window.setInterval(refresh, seconds * 1000);
  }
})();
