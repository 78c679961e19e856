/* The board's segment map (coloured by the leader's coverage), a patrol's track with its dropped
   points and covered segments, and a permit's spot. Data come from json_script blocks. */
(function () {
  "use strict";
  function data(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  function base(el) {
    var map = L.map(el);
    if (el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
    L.control.scale({ imperial: false }).addTo(map);
    return map;
  }
  function fit(map, layer) {
    if (layer && layer.getBounds && layer.getBounds().isValid()) { map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 17 }); }
    else { map.setView([36.6, 101.78], 13); }
  }
  function colour(share) { return share >= 0.8 ? "#2e7d32" : (share >= 0.3 ? "#f9a825" : "#c62828"); }

  var board = document.getElementById("board-map");
  if (board) {
    var bm = base(board);
    var segs = L.geoJSON(data("board-segments"), {
      style: function (f) { return { color: colour(f.properties.share), weight: 6, opacity: 0.85 }; },
      onEachFeature: function (f, l) {
        l.bindTooltip(f.properties.name + " · " + f.properties.chief + " · " + Math.round(f.properties.share * 100) + "% / " +
          Math.round(f.properties.team_share * 100) + "%", { sticky: true });
      }
    }).addTo(bm);
    fit(bm, segs);
  }

  var detail = document.getElementById("patrol-detail-map");
  if (detail) {
    var d = data("patrol-layer");
    var dm = base(detail);
    L.geoJSON({ type: "FeatureCollection", features: d.segments }, {
      style: function (f) { return { color: colour(f.properties.share), weight: 8, opacity: 0.45 }; },
      onEachFeature: function (f, l) { l.bindTooltip(f.properties.name + " " + Math.round(f.properties.share * 100) + "%"); }
    }).addTo(dm);
    var track = d.track ? L.geoJSON(d.track, { style: { color: "#1565c0", weight: 4 } }).addTo(dm) : null;
    d.dropped.forEach(function (p) {
      L.circleMarker([p.lat, p.lng], { radius: 6, color: "#c62828", fillOpacity: 0.9 }).bindTooltip(p.label).addTo(dm);
    });
    fit(dm, track);
  }

  var permit = document.getElementById("permit-map");
  if (permit) {
    var pm = base(permit);
    var spot = L.geoJSON(data("permit-layer"), { style: { color: "#6a1b9a", weight: 2, fillOpacity: 0.5 } }).addTo(pm);
    fit(pm, spot);
    pm.setZoom(18);
  }
})();
