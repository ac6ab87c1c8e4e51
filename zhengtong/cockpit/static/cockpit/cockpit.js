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
  var mapChart = mapEl ? window.echarts.init(mapEl, null, { renderer: "svg" }) : null;
  var trendChart = trendEl ? window.echarts.init(trendEl, null, { renderer: "svg" }) : null;
  var geo = null;
  var query = "?indicator=" + encodeURIComponent(data.indicator) + "&days=" + data.days;

  function drill(code) { window.location.href = "/cockpit/" + encodeURIComponent(code) + "/" + (wall ? "wall/" : "") + query; }

  function drawRegions(regions, counties) {
    if (!mapChart) { return; }
    // A province or city is drawn as the map of its counties (the shapes we have); below a
    // county, the units have no shapes: a bar chart of the units directly below.
    if (counties && counties.length) { regions = counties; }
    var values = regions.map(function (r) { return r.value; }).filter(function (v) { return v !== null; });
    var max = values.length ? Math.max.apply(null, values) : 1;
    var min = values.length ? Math.min.apply(null, values) : 0;
    var codes = {};
    if (geo) { geo.features.forEach(function (f) { codes[f.properties.code] = f.properties.name; }); }
    var onMap = regions.filter(function (r) { return codes[r.code]; });
    var option;
    // Units without a shape stay in the table below the map.
    if (geo && onMap.length >= 3) {
      // Only the shapes of this scope, so the map zooms to the region.
      var wanted = {};
      onMap.forEach(function (r) { wanted[r.code] = true; });
      window.echarts.registerMap("zt-scope", { type: "FeatureCollection", features: geo.features.filter(function (f) { return wanted[f.properties.code]; }) });
      option = {
        animation: false,
        tooltip: { trigger: "item", formatter: function (p) { return p.name + ": " + (p.value === undefined || isNaN(p.value) ? "—" : p.value) + " " + data.unit_of; } },
        visualMap: { min: min, max: max === min ? min + 1 : max, calculable: false, left: 8, bottom: 8, textStyle: { color: text }, inRange: { color: ["#e0f3f8", "#2c7fb8", "#08306b"] } },
        series: [{ type: "map", map: "zt-scope", roam: true, label: { show: true, fontSize: 10, color: text },
          data: onMap.map(function (r) { return { name: codes[r.code], value: r.value, code: r.code }; }) }]
      };
    } else {
      option = {
        animation: false,
        grid: { left: 48, right: 16, top: 16, bottom: 64 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: regions.map(function (r) { return r.name; }), axisLabel: { rotate: 30, color: text } },
        yAxis: { type: "value", axisLabel: { color: text } },
        series: [{ type: "bar", data: regions.map(function (r) { return { value: r.value, code: r.code }; }), itemStyle: { color: "#2c7fb8" } }]
      };
    }
    mapChart.setOption(option, true);
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

  if (mapChart) {
    mapChart.on("click", function (p) { if (p.data && p.data.code) { drill(p.data.code); } });
  }

  function start() { drawRegions(data.regions, data.counties); drawTrend(data.trend); }
  if (mapEl) {
    fetch(mapEl.getAttribute("data-geojson")).then(function (r) { return r.json(); }).then(function (g) {
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
