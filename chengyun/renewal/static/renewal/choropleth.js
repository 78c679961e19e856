/* The dashboard's choropleth: one indicator by community or street, coloured by verdict
   (达标 green, 不达标 red) with the year-on-year arrow as a label. */
(function () {
  "use strict";
  var el = document.getElementById("choropleth");
  if (!el) { return; }
  var select = document.getElementById("choropleth-indicator");
  var unitSelect = document.getElementById("choropleth-unit");
  var map = L.map(el);
  if (el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
  var layer = null;
  var labels = L.layerGroup().addTo(map);
  var colours = { met: "#66bb6a", unmet: "#e57373" };
  function fmt(v) { return v === null || v === undefined ? "—" : (Math.round(v * 100) / 100).toString(); }
  function load() {
    var url = el.dataset.api + "?year=" + encodeURIComponent(el.dataset.year) + "&indicator=" + encodeURIComponent(select.value) +
      "&unit_kind=" + encodeURIComponent(unitSelect.value);
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      if (layer) { map.removeLayer(layer); }
      labels.clearLayers();
      var unit = fc.indicator.unit || "";
      layer = L.geoJSON(fc, {
        style: function (f) {
          return { color: "#555", weight: 1, fillOpacity: 0.65, fillColor: colours[f.properties.status] || "#bdbdbd" };
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          var text = p.name + "：" + fmt(p.value) + unit + (p.status_label ? "（" + p.status_label + "）" : "") +
            (p.previous !== null ? " " + gettext("上年") + " " + fmt(p.previous) + unit : "") + (p.arrow ? " " + p.arrow : "");
          l.bindTooltip(text);
          if (p.arrow) {
            // The year-on-year arrow sits at the area's centre (▲ better, ▼ worse, ＝ same).
            var icon = L.divIcon({ className: "choropleth-label tr-" + p.trend, html: p.arrow, iconSize: [20, 20] });
            L.marker(l.getBounds().getCenter(), { icon: icon, interactive: false, keyboard: false }).addTo(labels);
          }
        }
      }).addTo(map);
      var b = layer.getBounds();
      if (b.isValid()) { map.fitBounds(b); }
      el.classList.add("loaded");
    });
  }
  select.addEventListener("change", load);
  unitSelect.addEventListener("change", load);
  load();
})();
