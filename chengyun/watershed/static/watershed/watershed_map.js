/* 小流域一张图 and a project's disturbed area: vector layers on a plain background (no tiles needed). */
(function () {
  "use strict";
  var COLOURS = { met: "#2e7d32", unmet: "#c62828", missing: "#f9a825" };
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }
  function style(f) {
    var p = f.properties;
    if (p.layer === "watershed") { return { color: COLOURS[p.status] || "#555", weight: 2, fillOpacity: 0.15 }; }
    if (p.layer === "project") { return { color: "#6d4c41", weight: 1, dashArray: "4", fillOpacity: 0.35 }; }
    return { color: "#00897b", weight: 3 };
  }
  function point(f, ll) {
    var bad = f.properties.compliant === false;
    return L.circleMarker(ll, { radius: 8, color: bad ? "#c62828" : "#1565c0", fillOpacity: 0.9 });
  }
  function popup(f, layer) {
    var p = f.properties;
    var text = esc(p.name) + (p.label ? "<br>" + esc(p.label) : "") + (p.neighbour ? "<br>" + esc(p.neighbour) : "") + (p.state ? "<br>" + esc(p.state) : "");
    if (p.url) { text = '<a href="' + esc(p.url) + '">' + text + "</a>"; }
    layer.bindPopup(text);
  }
  var el = document.getElementById("ws-map");
  if (el) {
    var map = L.map(el, { preferCanvas: true });
    map.setView([36.6, 101.78], 12);
    fetch(el.dataset.api, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (fc) {
        var layer = L.geoJSON(fc, { style: style, pointToLayer: point, onEachFeature: popup }).addTo(map);
        var b = layer.getBounds();
        if (b.isValid()) { map.fitBounds(b, { padding: [10, 10] }); }
      });
  }
  var pm = document.getElementById("ws-project-map");
  if (pm) {
    var m2 = L.map(pm, { preferCanvas: true });
    var pt = JSON.parse(pm.dataset.point);
    m2.setView([pt[1], pt[0]], 15);
    L.circleMarker([pt[1], pt[0]], { radius: 6 }).addTo(m2);
    if (pm.dataset.area) {
      var area = L.geoJSON(JSON.parse(pm.dataset.area), { style: { color: "#6d4c41", fillOpacity: 0.35 } }).addTo(m2);
      m2.fitBounds(area.getBounds(), { padding: [20, 20] });
    }
  }
})();
