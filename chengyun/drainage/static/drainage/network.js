/* 排水管网图 and 上下游追溯: every pipe drawn once on a canvas, coloured by CJJ 181 structural
   grade; a trace restyles the pipes it reaches. Works without basemap tiles. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  var api = el.dataset.api, mode = el.dataset.mode;
  var gettext = window.gettext || function (s) { return s; };
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.5 });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  var renderer = L.canvas({ padding: 0.3 });
  function get(path) {
    return fetch(api + path, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); });
  }
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }
  var GRADE = { 1: "#2e7d32", 2: "#c0a000", 3: "#e67e22", 4: "#c62828" };
  var TYPE = { rain: "#9fb7d3", sewage: "#c9b79c", combined: "#b9a6d0" };
  function baseStyle(p) {
    if (mode === "trace") { return { color: "#b8c2cc", weight: 1, opacity: 0.7 }; }
    if (p.s) { return { color: GRADE[p.s], weight: p.s >= 3 ? 4 : 2.5, opacity: 0.95 }; }
    return { color: TYPE[p.type] || "#999", weight: p.d >= 600 ? 2 : 1, opacity: 0.8 };
  }
  var byCode = {};
  var pipes = L.geoJSON(null, {
    renderer: renderer,
    style: function (f) { return baseStyle(f.properties); },
    onEachFeature: function (f, layer) {
      byCode[f.properties.code] = layer;
      layer.on("click", function (e) { onPipeClick(f.properties, e); });
    }
  }).addTo(map);
  var streets = L.geoJSON(null, { style: { color: "#123b6b", weight: 1.5, fill: false, dashArray: "3 4" }, interactive: false }).addTo(map);
  var overlay = L.layerGroup().addTo(map);

  function onPipeClick(p, e) {
    if (mode === "trace") {
      get("drainage/pipes/" + encodeURIComponent(p.code)).then(function (res) {
        if (res.ok) { runTrace(res.body.from_node, document.querySelector("#trace-form select").value); }
      });
      return;
    }
    var info = document.getElementById("pipe-info");
    get("drainage/pipes/" + encodeURIComponent(p.code)).then(function (res) {
      if (!res.ok) { info.innerHTML = "<p class='error'>" + esc(res.body.message) + "</p>"; return; }
      var b = res.body;
      info.innerHTML = "<h4><a href='" + el.dataset.pipeUrl + encodeURIComponent(b.code) + "/'>" + esc(b.code) + "</a></h4><dl class='grid-info'>" +
        "<dt>" + esc(gettext("管径")) + "</dt><dd>DN" + b.diameter_mm + " " + esc(b.material) + "</dd>" +
        "<dt>" + esc(gettext("建设年份")) + "</dt><dd>" + esc(b.install_year || "—") + "</dd>" +
        "<dt>" + esc(gettext("道路")) + "</dt><dd>" + esc(b.road_name) + "</dd>" +
        "<dt>" + esc(gettext("结构性")) + "</dt><dd>" + esc(b.structural_grade || gettext("未检测")) + "</dd>" +
        "<dt>" + esc(gettext("功能性")) + "</dt><dd>" + esc(b.functional_grade || "—") + "</dd></dl>" +
        "<a href='" + el.dataset.traceUrl + "?node=" + encodeURIComponent(b.to_node) + "&direction=upstream'>" + esc(gettext("向上游追溯")) + "</a> · " +
        "<a href='" + el.dataset.traceUrl + "?node=" + encodeURIComponent(b.from_node) + "&direction=downstream'>" + esc(gettext("向下游追溯")) + "</a>";
    });
  }

  var traced = [];
  function runTrace(node, direction) {
    var info = document.getElementById("trace-info");
    if (!node) { return; }
    info.innerHTML = "<p class='muted'>" + esc(gettext("追溯中…")) + "</p>";
    var started = performance.now();
    get("drainage/trace?node=" + encodeURIComponent(node) + "&direction=" + direction).then(function (res) {
      traced.forEach(function (l) { l.setStyle(baseStyle(l.feature.properties)); });
      traced = [];
      overlay.clearLayers();
      if (!res.ok) { info.innerHTML = "<p class='error'>" + esc(res.body.message) + "</p>"; return; }
      var b = res.body, colour = direction === "upstream" ? "#d23c3c" : "#6a1b9a";
      b.pipes.forEach(function (code) {
        var l = byCode[code];
        if (l) { l.setStyle({ color: colour, weight: 3, opacity: 1 }); l.bringToFront(); traced.push(l); }
      });
      if (b.catchment) {
        L.geoJSON(b.catchment, { style: { color: "#d23c3c", weight: 1, fillOpacity: 0.08, dashArray: "5 4" }, interactive: false }).addTo(overlay);
      }
      var start = b.nodes.length ? b.nodes[0] : node;
      get("drainage/nodes/" + encodeURIComponent(start)).then(function (r) {
        if (r.ok) { L.circleMarker([r.body.lat, r.body.lng], { radius: 8, color: "#000", fillColor: colour, fillOpacity: 1 }).bindTooltip(start).addTo(overlay); }
      });
      var ms = Math.round(performance.now() - started);
      var src = b.sources.slice(0, 50).map(function (s) { return "<li>" + esc(s.name) + " <span class='tag'>" + esc(s.node) + "</span></li>"; }).join("");
      info.innerHTML = "<p><b>" + esc(direction === "upstream" ? gettext("上游") : gettext("下游")) + "</b>：" +
        b.pipe_count + " " + esc(gettext("根管段")) + "，" + b.node_count + " " + esc(gettext("个节点")) + "，" + (b.length_m / 1000).toFixed(2) + " km" +
        " <span class='muted'>(" + ms + " ms)</span></p>" +
        (b.ends.length ? "<p>" + esc(gettext("最终去向")) + "：" + b.ends.map(esc).join("、") + "</p>" : "") +
        (b.sources.length ? "<p>" + esc(gettext("接入排水户")) + "（" + b.sources.length + "）</p><ul>" + src + "</ul>" : "");
      el.dataset.traced = b.pipe_count;
      if (traced.length) { map.fitBounds(L.featureGroup(traced).getBounds(), { maxZoom: 17 }); }
    });
  }

  Promise.all([get("drainage/pipes.geojson"), get("geo/streets")]).then(function (all) {
    pipes.addData(all[0].body);
    streets.addData(all[1].body);
    var b = pipes.getBounds();
    if (b.isValid()) { map.fitBounds(b); } else { map.setView([36.62, 101.78], 13); }
    el.dataset.pipeCount = all[0].body.features.length;
    el.classList.add("loaded");
    if (mode === "trace" && el.dataset.node) { runTrace(el.dataset.node, el.dataset.direction || "upstream"); }
  });
  if (mode === "trace") {
    document.getElementById("trace-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var node = this.node.value.trim(), dir = this.direction.value;
      history.replaceState(null, "", "?node=" + encodeURIComponent(node) + "&direction=" + dir);
      runTrace(node, dir);
    });
  }
  L.control.scale({ imperial: false }).addTo(map);
  window.chengyunDrainage = { map: map, pipes: pipes, trace: runTrace };
})();
