/* The assign page's map: the segments one may assign, the chosen one in red; picking a line picks the segment. */
(function () {
  "use strict";
  var el = document.getElementById("assign-map");
  if (!el) { return; }
  var fc = JSON.parse(document.getElementById("assign-layers").textContent);
  var select = document.querySelector("#assign-form select[name=segment]");
  var map = L.map(el);
  if (el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
  var lines = L.geoJSON(fc, {
    style: function (f) { return { color: f.properties.code === select.value ? "#c62828" : "#1565c0", weight: f.properties.code === select.value ? 6 : 3 }; },
    onEachFeature: function (f, l) {
      l.bindTooltip(f.properties.name);
      l.on("click", function () { select.value = f.properties.code; lines.resetStyle(); });
    }
  }).addTo(map);
  select.addEventListener("change", function () { lines.resetStyle(); });
  if (lines.getBounds().isValid()) { map.fitBounds(lines.getBounds(), { padding: [20, 20], maxZoom: 17 }); } else { map.setView([36.6, 101.78], 13); }
  el.classList.add("loaded");
})();
