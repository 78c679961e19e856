// One vehicle's day: the kept track as a line, the dropped points as red circles.
(function () {
  "use strict";
  var el = document.getElementById("trackmap");
  if (!el) { return; }
  var map = L.map(el, { preferCanvas: true });
  if (el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
  fetch(el.dataset.geojson, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
    var layer = L.geoJSON(fc, {
      style: function () { return { color: "#1565c0", weight: 3 }; },
      pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 5, color: "#c62828" }).bindTooltip(f.properties.time); }
    }).addTo(map);
    var b = layer.getBounds(); if (b.isValid()) { map.fitBounds(b); } else { map.setView([36.62, 101.78], 13); }
    el.classList.add("loaded");
  });
})();
