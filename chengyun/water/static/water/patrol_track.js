// A patrol's page: its GPS track and the problems found on the way.
(function () {
  "use strict";
  var el = document.getElementById("track-map");
  var track = JSON.parse(el.dataset.track);
  var problems = JSON.parse(document.getElementById("patrol-problems").textContent);
  var map = L.map(el);
  if (track) {
    var line = L.geoJSON(track, { style: { color: "#d23c3c", weight: 4 } }).addTo(map);
    map.fitBounds(line.getBounds(), { padding: [20, 20] });
  } else { map.setView([36.6, 101.78], 14); }
  problems.forEach(function (pr) {
    L.circleMarker([pr.lat, pr.lng], { radius: 7, color: "#fff", fillColor: "#e0a100", fillOpacity: 1 }).addTo(map).bindTooltip(pr.kind);
  });
  L.control.scale({ imperial: false }).addTo(map);
  el.classList.add("loaded");
})();
