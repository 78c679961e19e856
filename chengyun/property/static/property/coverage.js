/* Property governance pages: the community coverage map, the monthly coverage line and a
   company's grade history (both ECharts lines read from data-series). */
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };

  function line(el, key) {
    if (!el || !window.echarts) { return; }
    var data = JSON.parse(el.dataset.series);
    var chart = window.echarts.init(el);
    chart.setOption({
      grid: { left: 40, right: 16, top: 16, bottom: 30 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.days },
      yAxis: { type: "value", min: key === "rates" ? 0 : null, max: key === "rates" ? 100 : null, scale: key !== "rates" },
      series: [{ type: "line", name: el.dataset.label, data: data[key], step: key === "scores" ? "end" : false, smooth: false }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  line(document.getElementById("coverage-series"), "rates");
  line(document.getElementById("grade-history"), "scores");

  var el = document.getElementById("coverage-map");
  if (!el || !window.L) { return; }
  var map = L.map(el);
  if (el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
  function colour(rate) {
    if (rate === null) { return "#bdbdbd"; }
    if (rate >= 100) { return "#2e7d32"; }
    if (rate >= 80) { return "#81c784"; }
    if (rate >= 50) { return "#ffb74d"; }
    return "#e57373";
  }
  var modeColour = { professional: "#1565c0", community_quasi: "#6a1b9a", community_cleaning: "#00838f", none: "#c62828" };
  fetch(el.dataset.api, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
    var layer = L.geoJSON(fc, {
      style: function (f) { return { color: "#555", weight: 1, fillOpacity: 0.6, fillColor: colour(f.properties.rate) }; },
      onEachFeature: function (f, l) {
        var p = f.properties;
        l.bindTooltip(p.name + "：" + p.covered + "/" + p.total + "（" + p.rate + "%）");
      }
    });
    // The view first: vector layers need the map's bounds to draw.
    var b = layer.getBounds();
    map.fitBounds(b.isValid() ? b : L.latLngBounds([[36.5, 101.7], [36.7, 101.9]]));
    layer.addTo(map);
    (fc.compounds || []).forEach(function (c) {
      L.circleMarker([c.lat, c.lng], { radius: 3, weight: 1, color: modeColour[c.mode] || "#555", fillOpacity: 0.9 })
        .bindTooltip(c.name).addTo(map);
    });
    el.classList.add("loaded");
  });
})();
