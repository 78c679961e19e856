/* Mobile report page: browser geolocation (WGS84), tap-to-pick on the map, category search. */
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
  var interpolate = window.interpolate || function (fmt, args) { return fmt.replace("%s", args[0]); };
  var lng = document.getElementById("lng"), lat = document.getElementById("lat");
  var text = document.getElementById("position-text");
  var mapEl = document.getElementById("pick-map");
  var map = null, marker = null;
  function setPoint(x, y, note) {
    lng.value = x.toFixed(7); lat.value = y.toFixed(7);
    text.textContent = lng.value + ", " + lat.value + (note ? "（" + note + "）" : "");
    if (map) {
      if (marker) { marker.setLatLng([y, x]); } else { marker = L.marker([y, x]).addTo(map); }
      map.setView([y, x], Math.max(map.getZoom() || 15, 15));
    }
  }
  if (mapEl && window.L) {
    map = L.map(mapEl);
    if (mapEl.dataset.tileUrl) { L.tileLayer(mapEl.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
    fetch(mapEl.dataset.api + "geo/streets", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      var layer = L.geoJSON(fc, { style: { color: "#123b6b", weight: 2, fillOpacity: 0.03 } }).addTo(map);
      var b = layer.getBounds();
      layer.on("click", function (e) { setPoint(e.latlng.lng, e.latlng.lat, gettext("地图选点")); });
      // The boundaries can arrive after the reporter has already located or picked a point:
      // redrawing it then would erase the accuracy note, so only a point the form came back with
      // (a re-rendered form) is drawn here.
      if (marker) { return; }
      if (lng.value) { setPoint(parseFloat(lng.value), parseFloat(lat.value)); } else if (b.isValid()) { map.fitBounds(b); }
    });
    map.on("click", function (e) { setPoint(e.latlng.lng, e.latlng.lat, gettext("地图选点")); });
  }
  document.getElementById("locate-me").addEventListener("click", function () {
    if (!navigator.geolocation) { text.textContent = gettext("此浏览器不支持定位，请在地图上点选"); return; }
    text.textContent = gettext("定位中…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPoint(pos.coords.longitude, pos.coords.latitude, interpolate(gettext("精度约 %s 米"), [Math.round(pos.coords.accuracy)]));
    }, function (err) { text.textContent = interpolate(gettext("定位失败：%s；请在地图上点选"), [err.message]); }, { enableHighAccuracy: true, timeout: 15000 });
  });
  var select = document.getElementById("category"), search = document.getElementById("category-search");
  function currentKind() { var r = document.querySelector("input[name=category_kind]:checked"); return r ? r.value : "event"; }
  function refilter() {
    var q = (search.value || "").trim(), kind = currentKind();
    Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (g) {
      var any = false;
      Array.prototype.forEach.call(g.querySelectorAll("option"), function (o) {
        var show = o.dataset.kind === kind && (!q || o.textContent.indexOf(q) >= 0);
        o.hidden = !show; o.disabled = !show; if (show) { any = true; }
      });
      g.hidden = !any;
    });
    var sel = select.options[select.selectedIndex];
    if (sel && sel.disabled) { select.value = ""; }
  }
  search.addEventListener("input", refilter);
  Array.prototype.forEach.call(document.querySelectorAll("input[name=category_kind]"), function (r) { r.addEventListener("change", refilter); });
  refilter();
})();
