/* 水环境一张图: district boundaries, water bodies, sections by latest class, outfalls by status.
   Works with no basemap tiles (vector layers on a plain background). */
(function () {
  "use strict";
  var el = document.getElementById("map");
  var api = el.dataset.api;
  var gettext = window.gettext || function (s) { return s; };
  var interpolate = window.interpolate || function (fmt, args) { return fmt.replace("%s", args[0]); };
  var LABELS = { 1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ", 5: "Ⅴ", 6: "劣Ⅴ" };
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.5 });
  var baseLayers = {};
  if (el.dataset.tileUrl) {
    baseLayers[gettext("底图")] = L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  var info = document.getElementById("site-info");
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }
  function get(path) {
    return fetch(api + path, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) { return r.json(); });
  }

  var streets = L.geoJSON(null, { style: { color: "#123b6b", weight: 2, fill: false, opacity: 0.6 }, interactive: false });
  var bodies = L.geoJSON(null, {
    style: function (f) {
      return f.properties.kind === "lake" ? { color: "#1565c0", weight: 1, fillColor: "#64b5f6", fillOpacity: 0.5 }
        : { color: "#1e88e5", weight: 6, opacity: 0.55 };
    },
    onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name, { sticky: true }); }
  });
  var sections = L.geoJSON(null, {
    pointToLayer: function (f, ll) {
      var p = f.properties;
      return L.circleMarker(ll, { radius: 9, color: p.alert ? "#b71c1c" : "#fff", weight: p.alert ? 3 : 2, fillColor: p.colour, fillOpacity: 0.95 });
    },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      layer.bindTooltip(p.name + " " + (p.label ? p.label + gettext("类") : gettext("暂无数据")), { direction: "top" });
      layer.on("click", function () { showSection(p); });
    }
  });
  var outfalls = L.geoJSON(null, {
    pointToLayer: function (f, ll) {
      var p = f.properties;
      return L.marker(ll, { icon: L.divIcon({ className: "", iconSize: [14, 14],
        html: "<div style='width:14px;height:14px;transform:rotate(45deg);border:2px solid #fff;box-shadow:0 0 2px #333;background:" + p.colour + "'></div>" }) });
    },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      layer.bindTooltip(p.name + "（" + p.status_label + "）", { direction: "top" });
      layer.on("click", function () { showOutfall(p); });
    }
  });

  // The hour the latest class was judged for, in China time, and how old it is: a class
  // from yesterday must not read as today's.
  function hourText(iso) {
    var t = new Date(iso), local = new Date(t.getTime() + 8 * 3600 * 1000);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var text = local.getUTCFullYear() + "-" + pad(local.getUTCMonth() + 1) + "-" + pad(local.getUTCDate()) + " " + pad(local.getUTCHours()) + ":00";
    var hours = Math.floor((Date.now() - t.getTime()) / 3600000);
    if (hours >= 3) { text += interpolate(gettext("（%s 小时前）"), [hours]); }
    return text;
  }
  function showSection(p) {
    info.innerHTML = "<h3>" + esc(p.name) + " <small class='muted'>" + esc(p.code) + "</small></h3><dl class='facts'>" +
      "<dt>" + esc(gettext("水体")) + "</dt><dd>" + esc(p.water_body) + "</dd>" +
      "<dt>" + esc(gettext("最新类别")) + "</dt><dd>" + (p.label ? "<span class='wq wq-" + p.water_class + "'>" + esc(p.label) + "</span>" : esc(gettext("暂无数据"))) + "</dd>" +
      "<dt>" + esc(gettext("评价时段")) + "</dt><dd>" + (p.at ? esc(hourText(p.at)) : "—") + "</dd>" +
      "<dt>" + esc(gettext("目标类别")) + "</dt><dd>" + esc(p.target) + "</dd>" +
      "<dt>" + esc(gettext("达标")) + "</dt><dd>" + (p.compliant == null ? "—" : (p.compliant ? esc(gettext("达标")) : "<b class='error'>" + esc(gettext("超标")) + "</b>")) + "</dd>" +
      "</dl><p><a href='" + p.url + "'>" + esc(gettext("查看断面详情")) + " →</a></p>";
  }
  function showOutfall(p) {
    info.innerHTML = "<h3>" + esc(p.name) + " <small class='muted'>" + esc(p.code) + "</small></h3><dl class='facts'>" +
      "<dt>" + esc(gettext("类型")) + "</dt><dd>" + esc(p.outfall_kind) + "</dd>" +
      "<dt>" + esc(gettext("受纳水体")) + "</dt><dd>" + esc(p.water_body) + "</dd>" +
      "<dt>" + esc(gettext("责任单位")) + "</dt><dd>" + esc(p.unit) + "</dd>" +
      "<dt>" + esc(gettext("状态")) + "</dt><dd>" + esc(p.status_label) + "</dd>" +
      "</dl><p><a href='" + p.url + "'>" + esc(gettext("查看排污口详情")) + " →</a></p>";
  }

  var legend = JSON.parse(document.getElementById("water-legend").textContent);
  var ctl = L.control({ position: "bottomright" });
  ctl.onAdd = function () {
    var d = L.DomUtil.create("div", "legend");
    var html = "<b>" + esc(gettext("断面水质")) + "</b><br>";
    legend.classes.forEach(function (c) { html += "<i style='background:" + c[1] + "'></i>" + LABELS[c[0]] + gettext("类") + "<br>"; });
    html += "<i style='background:#9e9e9e'></i>" + esc(gettext("暂无数据")) + "<br><b>" + esc(gettext("排污口")) + "</b><br>";
    legend.statuses.forEach(function (s) { html += "<i style='border-radius:0;background:" + s[1] + "'></i>" + esc(s[0]) + "<br>"; });
    d.innerHTML = html;
    return d;
  };
  ctl.addTo(map);

  Promise.all([get("geo/streets"), get("water/map/water-bodies"), get("water/map/sections"), get("water/map/outfalls")]).then(function (all) {
    streets.addData(all[0]); bodies.addData(all[1]); sections.addData(all[2]); outfalls.addData(all[3]);
    streets.addTo(map); bodies.addTo(map); outfalls.addTo(map); sections.addTo(map);
    var b = streets.getBounds();
    [bodies, sections, outfalls].forEach(function (layer) { var lb = layer.getBounds(); if (lb.isValid()) { b.extend(lb); } });
    if (b.isValid()) { map.fitBounds(b); } else { map.setView([36.6, 101.78], 13); }
    el.dataset.sectionCount = all[2].features.length;
    el.dataset.outfallCount = all[3].features.length;
    el.classList.add("loaded");
  });
  var overlays = {};
  overlays[pgettext("行政区划（复数）", "街道")] = streets; overlays[gettext("水体")] = bodies; overlays[gettext("监测断面")] = sections; overlays[gettext("入河排污口")] = outfalls;
  L.control.layers(baseLayers, overlays, { collapsed: window.innerWidth < 760 }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
})();
