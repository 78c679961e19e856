/* Case map (list filters → GeoJSON points) and the detail page's position map. */
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
  var interpolate = window.interpolate || function (fmt, args) { return fmt.replace("%s", args[0]); };
  var colours = { normal: "#2e9d57", warning: "#e0a100", overdue: "#d23c3c" };
  var done = { closed: 1, rejected: 1, voided: 1, merged: 1 };
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }
  function base(el) {
    var map = L.map(el, { preferCanvas: true });
    if (el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
    return map;
  }
  function outlines(map, api) {
    return fetch(api + "geo/streets", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      return L.geoJSON(fc, { style: { color: "#123b6b", weight: 2, fill: false }, interactive: false }).addTo(map);
    });
  }
  var mapEl = document.getElementById("case-map");
  if (mapEl) {
    var map = base(mapEl);
    var api = mapEl.dataset.api;
    outlines(map, api).then(function (layer) {
      var b = layer.getBounds(); if (b.isValid()) { map.fitBounds(b); } else { map.setView([36.62, 101.78], 13); }
      return fetch(api + "cases/map?" + mapEl.dataset.query, { credentials: "same-origin" });
    }).then(function (r) { return r.json(); }).then(function (fc) {
      L.geoJSON(fc, {
        pointToLayer: function (f, latlng) {
          var p = f.properties;
          return L.circleMarker(latlng, { radius: 4, weight: 1, color: "#fff", fillOpacity: 0.85, fillColor: done[p.status] ? "#999" : colours[p.clock] || "#1f5fa8" });
        },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          layer.bindPopup("<a href='/cases/" + p.id + "/'>" + esc(p.number) + "</a><br>" + esc(p.category) + "<br>" + esc(p.status_label));
        }
      }).addTo(map);
      document.getElementById("map-count").textContent = interpolate(gettext("%s 件"), [fc.features.length]);
      mapEl.classList.add("loaded");
    });
  }
  var pointEl = document.getElementById("case-point");
  if (pointEl) {
    var pm = base(pointEl);
    var ll = [parseFloat(pointEl.dataset.lat), parseFloat(pointEl.dataset.lng)];
    pm.setView(ll, 16);
    if (pointEl.dataset.movable) {
      movable(pm, ll, pointEl.dataset.api);
    } else {
      L.circleMarker(ll, { radius: 8, color: "#d23c3c", fillOpacity: 0.7 }).addTo(pm);
    }
    outlines(pm, "/api/v1/");
  }

  /* Drag the case's marker: the new street / community / grid is located before the move is
     confirmed with a reason; a point outside the district shows the server's refusal. */
  function movable(pm, ll, api) {
    var marker = L.marker(ll, { draggable: true, autoPan: true, title: gettext("拖动以修改位置") }).addTo(pm);
    var form = document.getElementById("move-form");
    var where = document.getElementById("move-where");
    var confirm = document.getElementById("move-confirm");
    var asked = 0;
    // Where the case was, kept in sight while it is being moved.
    var was = L.circleMarker(ll, { radius: 6, color: "#777", dashArray: "3", fillOpacity: 0.2, interactive: false });
    marker.on("dragstart", function () { was.addTo(pm); });
    marker.on("dragend", function () {
      var p = marker.getLatLng(), ask = ++asked;
      form.elements.lng.value = p.lng.toFixed(7);
      form.elements.lat.value = p.lat.toFixed(7);
      form.hidden = false;
      confirm.disabled = true;
      where.className = "";
      where.textContent = gettext("定位中…");
      fetch(api + "geo/locate?lng=" + form.elements.lng.value + "&lat=" + form.elements.lat.value, { credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          if (ask !== asked) { return; }  // the marker was dragged again meanwhile
          if (res.ok) {
            var b = res.body;
            where.textContent = interpolate(gettext("新位置：%(street)s / %(community)s / %(grid)s（%(code)s）"),
              { street: b.street.name, community: b.community.name, grid: b.grid.name, code: b.grid.code }, true);
            where.className = "located";
            confirm.disabled = false;
          } else {
            where.textContent = (res.body && res.body.message) || gettext("无法定位该位置");
            where.className = "error";
          }
        })
        .catch(function () { if (ask === asked) { where.textContent = gettext("无法定位该位置"); where.className = "error"; } });
    });
    document.getElementById("move-cancel").addEventListener("click", function () {
      asked++;
      marker.setLatLng(ll);
      was.remove();
      form.hidden = true;
    });
    window.chengyunCaseMap = { map: pm, marker: marker };
  }
})();
