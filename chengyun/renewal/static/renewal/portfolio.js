/* Project portfolio page: map of projects, Gantt by year, funding by source (vendored Leaflet + ECharts). */
(function () {
  "use strict";
  var mapEl = document.getElementById("pf-map");
  if (!mapEl) { return; }
  var STATE_COLOURS = { reserve: "#7e8ea3", approved: "#5c6bc0", funded: "#8e24aa", tendering: "#f9a825",
    construction: "#ef6c00", accepted: "#2e7d32", operation: "#1b5e20", withdrawn: "#bdbdbd" };

  function drawMap(projects) {
    var map = L.map(mapEl, { preferCanvas: true, zoomSnap: 0.25 });
    if (mapEl.dataset.tileUrl) { L.tileLayer(mapEl.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
    var layer = L.featureGroup();
    projects.forEach(function (p) {
      if (p.lng == null || p.lat == null) { return; }
      L.circleMarker([p.lat, p.lng], { radius: 7, color: "#fff", weight: 1, fillColor: STATE_COLOURS[p.state] || "#333", fillOpacity: 0.9 })
        .bindTooltip(p.code + " " + p.name + "（" + p.type_label + "，" + p.state_label + "）")
        .on("click", function () { location.href = mapEl.dataset.detail + p.id + "/"; })
        .addTo(layer);
    });
    layer.addTo(map);
    mapEl.dataset.markers = String(layer.getLayers().length);
    var b = layer.getBounds();
    if (b.isValid()) { map.fitBounds(b, { padding: [20, 20] }); } else { map.setView([36.62, 101.78], 13); }
    mapEl.classList.add("loaded");
  }

  function drawGantt(projects) {
    var el = document.getElementById("pf-gantt");
    if (!el || !window.echarts) { return; }
    var rows = projects.filter(function (p) { return p.state !== "withdrawn"; })
      .sort(function (a, b) { return a.start_year - b.start_year || a.end_year - b.end_year || (a.code < b.code ? -1 : 1); });
    el.style.height = Math.max(240, rows.length * 18 + 80) + "px";
    var minYear = Math.min.apply(null, rows.map(function (p) { return p.start_year; }).concat([2026]));
    var maxYear = Math.max.apply(null, rows.map(function (p) { return p.end_year; }).concat([2028]));
    var chart = echarts.init(el);
    chart.setOption({
      grid: { left: 8, right: 16, top: 30, bottom: 20, containLabel: true },
      tooltip: { formatter: function (x) { var p = rows[x.dataIndex]; return p.code + " " + p.name + "<br>" + p.start_year + "—" + p.end_year + "，" + p.state_label; } },
      xAxis: { type: "value", min: minYear, max: maxYear + 1, interval: 1, position: "top",
        axisLabel: { formatter: function (v) { return v <= maxYear ? String(v) : ""; } } },
      yAxis: { type: "category", inverse: true, data: rows.map(function (p) { return p.code; }), axisLabel: { fontSize: 10 } },
      series: [
        // An invisible bar up to the start year (clipped by the axis minimum) carries the plan bar.
        { type: "bar", stack: "g", silent: true, itemStyle: { color: "transparent" }, data: rows.map(function (p) { return p.start_year; }) },
        { type: "bar", stack: "g", name: gettext("计划期"), barWidth: 10,
          data: rows.map(function (p) { return { value: p.end_year - p.start_year + 1, itemStyle: { color: STATE_COLOURS[p.state] } }; }) }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawFunding(projects) {
    var el = document.getElementById("pf-funding");
    if (!el || !window.echarts) { return; }
    var bySource = {}, years = {};
    projects.forEach(function (p) {
      p.funding.forEach(function (f) {
        bySource[f.source_label] = bySource[f.source_label] || {};
        bySource[f.source_label][f.year] = (bySource[f.source_label][f.year] || 0) + f.amount_wan;
        years[f.year] = true;
      });
    });
    var ys = Object.keys(years).sort();
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" }, legend: { type: "scroll", bottom: 0 },
      grid: { left: 8, right: 8, top: 10, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: ys }, yAxis: { type: "value", name: gettext("万元") },
      series: Object.keys(bySource).map(function (s) { return { name: s, type: "bar", stack: "f", data: ys.map(function (y) { return Math.round((bySource[s][y] || 0) * 100) / 100; }) }; })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  fetch(mapEl.dataset.api, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (page) {
    var projects = page.results || [];
    drawMap(projects);
    drawGantt(projects);
    drawFunding(projects);
  });
})();
