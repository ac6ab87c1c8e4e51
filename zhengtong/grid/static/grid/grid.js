/* Grid module: device location, picking a location on a map of cells, the command-room map.
   No inline handlers; every form also works by typing coordinates. */
(function () {
  "use strict";
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

  // Colours of incident states on the map: distinct hues (no two greens), each a dot with a white rim.
  var STATE_COLOURS = {
    reported: "#c5221f", registered: "#e37400", dispatched: "#1a56db", suspended: "#5f6368",
    disposed: "#137333", verified: "#8430ce", closed: "#202124", rejected: "#9aa0a6", merged: "#c0c4c8"
  };

  // The county around the cells, with the city's other counties faint, from the real boundaries.
  function drawCounty(map, code) {
    return window.ztMap.boundaries(code).then(function (fc) {
      var county = String(code).slice(0, 6);
      var parts = { type: "FeatureCollection", features: fc.features.filter(function (f) { return f.properties.level === "county"; }) };
      window.ztMap.areas(map, parts, {
        style: function (f) {
          return f.properties.code === county
            ? { color: "#1a1a1a", weight: 2.5, fillColor: "#ffffff", fillOpacity: 0.55 }
            : { color: "#5f6b7a", weight: 1, dashArray: "4 3", fillOpacity: 0 };
        },
        labelClass: "zt-map-label-minor"
      });
    });
  }

  function cellsLayer(map, geojson, withLabels) {
    return window.ztMap.areas(map, geojson, {
      style: function () { return { color: "#1a56db", weight: 1.5, fillColor: "#d2e3fc", fillOpacity: 0.45 }; },
      labels: withLabels
    });
  }

  function pickMap(el) {
    if (!window.ztMap) { return; }
    var source = document.getElementById(el.getAttribute("data-pick-map"));
    var geojson = JSON.parse(source.textContent);
    if (!geojson.features.length) { el.hidden = true; return; }
    var map = window.ztMap.create(el);
    var latInput = document.getElementById(el.getAttribute("data-lat"));
    var lngInput = document.getElementById(el.getAttribute("data-lng"));
    var cells = cellsLayer(map, geojson, true);
    var marker = null;
    function draw(lat, lng) {
      if (marker) { marker.setLatLng([lat, lng]); } else {
        marker = window.L.circleMarker([lat, lng], { radius: 9, color: "#ffffff", weight: 2, fillColor: "#c5221f", fillOpacity: 1 }).addTo(map);
      }
    }
    drawCounty(map, geojson.features[0].properties.code).then(function () { cells.bringToFront(); });
    window.ztMap.fit(map, cells, 16, 1);
    if (latInput.value && lngInput.value) { draw(parseFloat(latInput.value), parseFloat(lngInput.value)); }
    map.on("click", function (e) {
      latInput.value = e.latlng.lat.toFixed(6);
      lngInput.value = e.latlng.lng.toFixed(6);
      draw(e.latlng.lat, e.latlng.lng);
    });
    el.setAttribute("data-chart-ready", "1");
  }

  function commandMap(el) {
    if (!window.ztMap) { return; }
    var map = window.ztMap.create(el);
    var form = document.querySelector("[data-map-filters]");
    var cells = null;
    var points = window.L.layerGroup().addTo(map);
    var legend = null;
    var first = true;
    drawCounty(map, el.getAttribute("data-region")).then(function () { if (cells) { cells.bringToFront(); } });
    function load() {
      var url = el.getAttribute("data-command-map");
      if (form) {
        ["state", "category"].forEach(function (name) {
          var v = form.elements[name].value;
          if (v) { url += "&" + name + "=" + encodeURIComponent(v); }
        });
      }
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
        if (!cells) {
          cells = cellsLayer(map, data.geojson, true);
          window.ztMap.fit(map, cells, 20, 2);
        }
        points.clearLayers();
        var seen = {};
        data.points.forEach(function (p) {
          seen[p.state] = true;
          var m = window.L.circleMarker([p.value[1], p.value[0]], {
            radius: 7, color: "#ffffff", weight: 2, fillColor: STATE_COLOURS[p.state] || "#333333", fillOpacity: 1
          });
          m.bindTooltip("#" + p.id + " " + p.category + " · " + data.states[p.state]);
          m.on("click", function () { window.location = "/grid/incidents/" + p.id + "/"; });
          m.addTo(points);
        });
        if (legend) { map.removeControl(legend); }
        var rows = [{ colour: "#d2e3fc", label: el.getAttribute("data-cells-label") }];
        Object.keys(STATE_COLOURS).forEach(function (state) {
          if (seen[state]) { rows.push({ colour: STATE_COLOURS[state], label: data.states[state], shape: "dot" }); }
        });
        legend = window.ztMap.legend(map, rows, null, "topright");
        if (first) { first = false; el.setAttribute("data-chart-ready", "1"); }
      });
    }
    if (form) {
      ["state", "category"].forEach(function (name) { form.elements[name].addEventListener("change", load); });
    }
    load();
  }

  function init() {
    document.querySelectorAll("[data-pick-map]").forEach(pickMap);
    document.querySelectorAll("[data-command-map]").forEach(commandMap);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
