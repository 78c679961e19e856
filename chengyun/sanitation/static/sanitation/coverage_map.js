// The sweeping coverage map: each segment coloured by its passes against the plan on the chosen day.
(function () {
  "use strict";
  var el = document.getElementById("sweepmap");
  if (!el) { return; }
  var map = L.map(el, { preferCanvas: true });
  if (el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
  function colour(p) {
    if (!p.planned) { return "#9aa5b1"; }
    if (p.passes >= p.planned) { return "#2e7d32"; }
    return p.passes > 0 || p.covered > 0 ? "#e67e22" : "#c62828";
  }
  fetch(el.dataset.geojson, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
    var layer = L.geoJSON(fc, {
      style: function (f) { return { color: colour(f.properties), weight: f.properties.planned > 1 ? 6 : 4, opacity: 0.9 }; },
      onEachFeature: function (f, l) {
        var p = f.properties;
        l.bindTooltip(p.name + " " + p.code + "：" + p.passes + " / " + p.planned + "（" + p.covered + "%）");
      }
    }).addTo(map);
    var b = layer.getBounds(); if (b.isValid()) { map.fitBounds(b); } else { map.setView([36.62, 101.78], 13); }
    el.classList.add("loaded");
  });
})();
