/* A dataset's map preview: its rows' coordinates as points on the platform's map component
   (portal/map.js: Leaflet on the configured tiles or a plain background, with the province's real
   administrative boundaries). The preview table lists the same rows. */
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("dataset-map");
    if (!el || !window.ztMap || !window.L) { return; }
    var points = JSON.parse(document.getElementById(el.getAttribute("data-map-points")).textContent);
    var map = window.ztMap.create(el, { scrollWheelZoom: false });
    var markers = window.L.featureGroup();
    points.forEach(function (p) {
      var marker = window.L.circleMarker([p[1], p[0]], {
        radius: 5, color: "#7f1d1d", weight: 1, fillColor: "#c0392b", fillOpacity: 0.85
      });
      var label = (p[2] ? p[2] + " " : "") + p[0] + ", " + p[1];
      marker.bindTooltip(label);
      markers.addLayer(marker);
    });
    var province = el.getAttribute("data-region") || "330000";
    window.ztMap.boundaries(province).then(function (fc) {
      window.ztMap.areas(map, fc, {});
      markers.addTo(map);
      window.ztMap.fit(map, markers.getLayers().length ? markers : window.L.geoJSON(fc), 24);
      el.setAttribute("data-chart-ready", "1");
    });
  }
  if (document.readyState === "complete") { draw(); } else { window.addEventListener("load", draw); }
})();
