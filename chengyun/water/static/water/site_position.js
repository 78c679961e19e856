/* A section's or outfall's position on its edit form: a draggable marker kept in sync with the
   lng/lat inputs. Typed coordinates may be GCJ-02 or BD-09 (the CRS select); the locate API turns
   them into WGS84 for the marker and says which street and grid the point falls in. */
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
  var interpolate = window.interpolate || function (fmt, obj) { return fmt.replace(/%\((\w+)\)s/g, function (m, k) { return obj[k]; }); };

  function setup(box) {
    var form = box.closest("form");
    var el = box.querySelector(".site-pick-map");
    var lng = form.elements.lng, lat = form.elements.lat, crs = form.elements.crs;
    var note = box.querySelector(".site-located");
    var start = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lng)];
    var map = L.map(el).setView(start, 16);
    if (el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
    var marker = L.marker(start, { draggable: true, autoPan: true, title: gettext("拖动以修改位置") }).addTo(map);
    var asked = 0;

    function locate(x, y, system, follow) {
      var ask = ++asked;
      note.className = "site-located muted";
      note.textContent = gettext("定位中…");
      fetch(el.dataset.api + "geo/locate?lng=" + encodeURIComponent(x) + "&lat=" + encodeURIComponent(y) + "&crs=" + system, { credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          if (ask !== asked) { return; }
          var b = res.body || {}, d = b.detail || {};
          if (res.ok) {
            note.textContent = interpolate(gettext("所在：%(street)s / %(community)s / %(grid)s（%(code)s）"),
              { street: b.street.name, community: b.community.name, grid: b.grid.name, code: b.grid.code }, true);
            note.className = "site-located";
            if (follow) { marker.setLatLng([b.lat, b.lng]); map.panTo([b.lat, b.lng]); }
          } else {
            // Bank-side sites just outside the grids are filed in the nearest grid on saving.
            note.textContent = (b.message || gettext("无法定位该位置")) + (b.code === "outside_district" ? gettext("（岸边站点保存时归入 300 米内最近的网格）") : "");
            note.className = "site-located error";
            if (follow && typeof d.lng === "number") { marker.setLatLng([d.lat, d.lng]); map.panTo([d.lat, d.lng]); }
          }
        })
        .catch(function () { if (ask === asked) { note.textContent = gettext("无法定位该位置"); note.className = "site-located error"; } });
    }
    function fromMarker() {
      var p = marker.getLatLng();
      lng.value = p.lng.toFixed(7);
      lat.value = p.lat.toFixed(7);
      crs.value = "wgs84";  // the map is WGS84 whatever was typed before
      locate(lng.value, lat.value, "wgs84", false);
    }
    marker.on("dragend", fromMarker);
    map.on("click", function (e) { marker.setLatLng(e.latlng); fromMarker(); });
    function fromInputs() {
      var x = parseFloat(lng.value), y = parseFloat(lat.value);
      if (isFinite(x) && isFinite(y)) { locate(x, y, crs.value, true); }
    }
    [lng, lat, crs].forEach(function (input) { input.addEventListener("change", fromInputs); });
    // The form sits in a closed <details>: the map learns its size when it is opened.
    var details = box.closest("details");
    if (details) { details.addEventListener("toggle", function () { map.invalidateSize(); map.setView(marker.getLatLng(), map.getZoom()); }); }
    fetch(el.dataset.api + "geo/streets", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      L.geoJSON(fc, { style: { color: "#123b6b", weight: 2, fill: false }, interactive: false }).addTo(map);
    });
    el.classList.add("loaded");
    window.chengyunSiteMap = { map: map, marker: marker };
  }
  Array.prototype.forEach.call(document.querySelectorAll(".site-position"), setup);
})();
