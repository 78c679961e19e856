/* 一张图: streets, communities and unit grids over an optional basemap.
   Works with no tiles at all (district intranets): vector boundaries on a plain background. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  var api = el.dataset.api;
  var gettext = window.gettext || function (s) { return s; };
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.5 });
  var baseLayers = {};
  if (el.dataset.tileUrl) {
    baseLayers[gettext("底图")] = L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  var info = document.getElementById("grid-info");
  var selected = null;

  function get(path) {
    return fetch(api + path, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); });
  }
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }

  function showGrid(code) {
    info.innerHTML = "<p class='muted'>" + esc(gettext("加载中…")) + "</p>";
    get("geo/grids/" + encodeURIComponent(code)).then(function (res) {
      if (!res.ok) { info.innerHTML = "<p class='error'>" + esc(res.body.message) + "</p>"; return; }
      var g = res.body;
      var people = g.people.map(function (p) {
        return "<li>" + esc(p.name) + " <span class='tag'>" + esc(p.roles.join("、")) + "</span> " + esc(p.phone) + "</li>";
      }).join("") || "<li class='muted'>" + esc(gettext("暂无")) + "</li>";
      info.innerHTML = "<h3>" + esc(g.name) + "</h3><dl>" +
        "<dt>" + esc(gettext("网格编码")) + "</dt><dd class='grid-code'>" + esc(g.code) + "</dd>" +
        "<dt>" + esc(gettext("所属社区")) + "</dt><dd>" + esc(g.community.name) + "</dd>" +
        "<dt>" + esc(gettext("所属街道")) + "</dt><dd>" + esc(g.street.name) + "</dd>" +
        "<dt>" + esc(gettext("面积")) + "</dt><dd>" + (g.area_m2 / 10000).toFixed(2) + " " + esc(gettext("公顷")) + "</dd></dl>" +
        "<b>" + esc(gettext("责任人员")) + "</b><ul class='grid-people'>" + people + "</ul>";
    });
  }

  var gridStyle = { color: "#1f5fa8", weight: 1, fillColor: "#6fa8dc", fillOpacity: 0.08 };
  var selStyle = { color: "#d23c3c", weight: 3, fillColor: "#f4cccc", fillOpacity: 0.35 };
  var grids = L.geoJSON(null, {
    style: function () { return gridStyle; },
    onEachFeature: function (f, layer) {
      layer.bindTooltip(f.properties.name + "<br>" + f.properties.code, { sticky: true });
      layer.on("click", function () { select(layer); });
    }
  });
  function select(layer) {
    if (selected) { selected.setStyle(gridStyle); }
    selected = layer;
    layer.setStyle(selStyle);
    showGrid(layer.feature.properties.code);
  }
  var communities = L.geoJSON(null, { style: { color: "#2e7d32", weight: 2, fill: false, dashArray: "4 3" }, interactive: false });
  var streets = L.geoJSON(null, {
    style: { color: "#123b6b", weight: 3.5, fill: false }, interactive: false,
    onEachFeature: function (f, layer) {
      layer.bindTooltip(f.properties.name, { permanent: true, direction: "center", className: "street-label" });
    }
  });

  Promise.all([get("geo/streets"), get("geo/communities"), get("geo/grids")]).then(function (all) {
    streets.addData(all[0].body); communities.addData(all[1].body); grids.addData(all[2].body);
    grids.addTo(map); communities.addTo(map); streets.addTo(map);
    var b = grids.getBounds();
    if (b.isValid()) { map.fitBounds(b); } else { map.setView([36.62, 101.78], 13); }
    el.dataset.gridCount = all[2].body.features.length;
    el.classList.add("loaded");
  });
  var overlays = {};
  overlays[pgettext("行政区划（复数）", "街道")] = streets; overlays[gettext("社区")] = communities; overlays[gettext("单元网格")] = grids;
  L.control.layers(baseLayers, overlays, { collapsed: window.innerWidth < 760 }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);

  document.getElementById("locate-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var parts = this.q.value.split(/[,，\s]+/).filter(Boolean);
    if (parts.length !== 2) { info.innerHTML = "<p class='error'>" + esc(gettext("请输入“经度,纬度”")) + "</p>"; return; }
    get("geo/locate?lng=" + encodeURIComponent(parts[0]) + "&lat=" + encodeURIComponent(parts[1])).then(function (res) {
      if (!res.ok) { info.innerHTML = "<p class='error'>" + esc(res.body.message) + "</p>"; return; }
      grids.eachLayer(function (layer) {
        if (layer.feature.properties.code === res.body.grid.code) { select(layer); map.fitBounds(layer.getBounds(), { maxZoom: 16 }); }
      });
    });
  });
  window.chengyunMap = { map: map, grids: grids };
})();
