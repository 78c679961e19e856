// The collapse-risk map: road segments coloured by risk score; a click opens the segment.
(function () {
  "use strict";
  var el = document.getElementById("roadmap");
  var map = L.map(el, { preferCanvas: true });
  if (el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
  function colour(r) { return r >= 60 ? "#c62828" : r >= 30 ? "#e67e22" : r > 0 ? "#c0a000" : "#9aa5b1"; }
  fetch(el.dataset.api + "roads/segments.geojson", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
    var layer = L.geoJSON(fc, {
      style: function (f) { var r = f.properties.risk; return { color: colour(r), weight: r >= 30 ? 6 : 3, opacity: 0.9 }; },
      onEachFeature: function (f, l) { l.bindTooltip(f.properties.name + " " + f.properties.code + "：" + f.properties.risk); l.on("click", function () { location.href = "segments/" + encodeURIComponent(f.properties.code) + "/"; }); }
    }).addTo(map);
    var b = layer.getBounds(); if (b.isValid()) { map.fitBounds(b); } else { map.setView([36.62, 101.78], 13); }
    el.classList.add("loaded");
  });
})();
