/* 领导驾驶舱: the district map with every panel's markers, the panels' ECharts, and redrawing
   both when htmx swaps a refreshed panel in (no inline script: the CSP allows this site's files only). */
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
  var COLOURS = { red: "#ff5b5b", yellow: "#f4c430", green: "#37c77a", grey: "#9bb6d4", "": "#6fb1ff" };
  var el = document.getElementById("cp-map");
  var map = null, layers = {};

  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }

  function drawPoints(panel) {
    if (!map) { return; }
    var key = panel.dataset.key;
    if (layers[key]) { map.removeLayer(layers[key]); }
    var points = [];
    try { points = JSON.parse(panel.dataset.points || "[]"); } catch (e) { points = []; }
    var group = L.layerGroup();
    points.forEach(function (p) {
      if (p.lng == null || p.lat == null) { return; }
      var m = L.circleMarker([p.lat, p.lng], { radius: 5, weight: 1, color: "#0b1a2e", fillColor: COLOURS[p.status || ""] || COLOURS[""], fillOpacity: 0.9 });
      m.bindPopup("<a href='" + esc(p.url) + "'>" + esc(p.label) + "</a>");
      group.addLayer(m);
    });
    layers[key] = group.addTo(map);
  }

  function drawChart(panel) {
    var box = panel.querySelector(".cp-chart");
    if (!box || !window.echarts) { return; }
    var option;
    try { option = JSON.parse(box.dataset.option); } catch (e) { return; }
    option.textStyle = { color: "#dbe6f5" };
    option.backgroundColor = "transparent";
    (option.series || []).forEach(function (s) { if (s.label) { s.label.color = "#dbe6f5"; } });
    if (option.xAxis) { option.xAxis.axisLabel = { color: "#a9c3e0", interval: 0, fontSize: 11 }; }
    if (option.yAxis) { option.yAxis.axisLabel = { color: "#a9c3e0" }; option.yAxis.splitLine = { lineStyle: { color: "#1f4570" } }; }
    var chart = echarts.getInstanceByDom(box) || echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(option, true);
  }

  function setUp(panel) { drawChart(panel); drawPoints(panel); }

  if (el && window.L) {
    map = L.map(el, { preferCanvas: true, zoomSnap: 0.25, attributionControl: false });
    if (el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
    map.setView([36.62, 101.78], 12);
    fetch(el.dataset.api + "geo/streets", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (fc) {
        el.classList.add("loaded");
        if (!fc || !fc.features || !fc.features.length) { return; }
        var streets = L.geoJSON(fc, { style: { color: "#6fb1ff", weight: 1.5, fillColor: "#1f5fa8", fillOpacity: 0.12 },
          onEachFeature: function (f, layer) {
            if (f.properties && f.properties.name) { layer.bindTooltip(f.properties.name, { permanent: true, direction: "center", className: "street-label" }); }
          } }).addTo(map);
        streets.bringToBack();
        map.fitBounds(streets.getBounds(), { padding: [10, 10] });
      });
  }
  document.querySelectorAll(".cp-panel").forEach(setUp);
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var panel = event.detail && event.detail.elt;
    var fresh = panel && panel.id ? document.getElementById(panel.id) : null;
    if (fresh) { setUp(fresh); }
  });
  window.addEventListener("resize", function () {
    document.querySelectorAll(".cp-chart").forEach(function (box) { var c = window.echarts && echarts.getInstanceByDom(box); if (c) { c.resize(); } });
  });
  window.chengyunCockpit = { map: map, layers: layers, gettext: gettext };
})();
