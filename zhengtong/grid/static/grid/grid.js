/* Grid module: device location, picking a location on a map of cells, the command-room map.
   No inline handlers; every form also works by typing coordinates. */
(function () {
  "use strict";
  var STATE_COLOURS = {
    reported: "#b3261e", registered: "#e8710a", dispatched: "#1a73e8", suspended: "#777777",
    disposed: "#188038", verified: "#0b8043", closed: "#444444", rejected: "#999999", merged: "#bbbbbb"
  };

  function status(btn, text) {
    var holder = btn.parentNode.querySelector("[data-geo-status]");
    if (holder) { holder.textContent = text; }
  }

  function locate(btn, done) {
    if (!navigator.geolocation) { status(btn, "—"); return; }
    status(btn, "…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      status(btn, pos.coords.latitude.toFixed(5) + ", " + pos.coords.longitude.toFixed(5));
      done(pos.coords.latitude, pos.coords.longitude);
    }, function (err) { status(btn, err.message); }, { enableHighAccuracy: true, timeout: 10000 });
  }

  document.addEventListener("click", function (evt) {
    var btn = evt.target.closest("[data-geolocate]");
    if (btn) {
      locate(btn, function (lat, lng) {
        document.getElementById(btn.getAttribute("data-lat")).value = lat.toFixed(6);
        document.getElementById(btn.getAttribute("data-lng")).value = lng.toFixed(6);
      });
      return;
    }
    var near = evt.target.closest("[data-nearby]");
    if (near) {
      locate(near, function (lat, lng) {
        window.htmx.ajax("GET", near.getAttribute("data-nearby") + "?lat=" + lat + "&lng=" + lng,
          { target: "#" + near.getAttribute("data-target") });
      });
    }
  });

  function pickMap(el) {
    if (typeof window.echarts === "undefined") { return; }
    var source = document.getElementById(el.getAttribute("data-pick-map"));
    var geojson = JSON.parse(source.textContent);
    if (!geojson.features.length) { el.hidden = true; return; }
    window.echarts.registerMap("cells-pick", geojson);
    var chart = window.echarts.init(el);
    var latInput = document.getElementById(el.getAttribute("data-lat"));
    var lngInput = document.getElementById(el.getAttribute("data-lng"));
    function draw(point) {
      chart.setOption({
        geo: { map: "cells-pick", roam: true, label: { show: true, fontSize: 10 },
               itemStyle: { areaColor: "#e8f0fe", borderColor: "#1a73e8" } },
        series: [{ type: "scatter", coordinateSystem: "geo", symbolSize: 14,
                   itemStyle: { color: "#b3261e" }, data: point ? [point] : [] }]
      });
    }
    draw(latInput.value && lngInput.value ? [parseFloat(lngInput.value), parseFloat(latInput.value)] : null);
    chart.getZr().on("click", function (e) {
      var coord = chart.convertFromPixel({ geoIndex: 0 }, [e.offsetX, e.offsetY]);
      if (!coord) { return; }
      lngInput.value = coord[0].toFixed(6);
      latInput.value = coord[1].toFixed(6);
      draw(coord);
    });
  }

  function commandMap(el) {
    if (typeof window.echarts === "undefined") { return; }
    var chart = window.echarts.init(el);
    var form = document.querySelector("[data-map-filters]");
    function load() {
      var url = el.getAttribute("data-command-map");
      if (form) {
        ["state", "category"].forEach(function (name) {
          var v = form.elements[name].value;
          if (v) { url += "&" + name + "=" + encodeURIComponent(v); }
        });
      }
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
        window.echarts.registerMap("township", data.geojson);
        var byState = {};
        data.points.forEach(function (p) { (byState[p.state] = byState[p.state] || []).push(p); });
        var series = Object.keys(byState).map(function (state) {
          return { name: data.states[state], type: "scatter", coordinateSystem: "geo", symbolSize: 9,
                   itemStyle: { color: STATE_COLOURS[state] || "#333" },
                   data: byState[state].map(function (p) { return { name: "#" + p.id + " " + p.category, value: p.value, id: p.id }; }) };
        });
        chart.setOption({
          tooltip: { trigger: "item", formatter: function (p) { return p.seriesName + "<br>" + p.name; } },
          legend: { top: 0 },
          geo: { map: "township", roam: true, label: { show: true, fontSize: 10, color: "#555" },
                 itemStyle: { areaColor: "#f1f3f4", borderColor: "#9aa0a6" } },
          series: series
        }, true);
      });
    }
    chart.on("click", function (p) { if (p.data && p.data.id) { window.location = "/grid/incidents/" + p.data.id + "/"; } });
    if (form) {
      ["state", "category"].forEach(function (name) { form.elements[name].addEventListener("change", load); });
    }
    load();
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    document.querySelectorAll("[data-pick-map]").forEach(pickMap);
    document.querySelectorAll("[data-command-map]").forEach(commandMap);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
