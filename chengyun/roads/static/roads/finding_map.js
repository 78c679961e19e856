/* The finding form's map: the roads coloured by collapse risk; a tap (or the phone's position)
   places the finding, the marker can be dragged, and the nearest road segment is suggested. */
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
  var interpolate = window.interpolate || function (fmt, obj) { return fmt.replace(/%\((\w+)\)s/g, function (m, k) { return obj[k]; }); };
  var el = document.getElementById("finding-map");
  if (!el) { return; }
  var lng = document.getElementById("lng"), lat = document.getElementById("lat");
  var segment = document.getElementById("segment"), note = document.getElementById("pick-note");
  var map = L.map(el);
  if (el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
  var marker = null, roads = null;
  function colour(r) { return r >= 60 ? "#c62828" : r >= 30 ? "#e67e22" : r > 0 ? "#c0a000" : "#5b6b7d"; }

  /* The road nearest to the point on screen (within 40 px), measured along each line's pieces. */
  function nearestRoad(latlng) {
    if (!roads) { return null; }
    var p = map.latLngToLayerPoint(latlng), best = null, bestD = 40;
    roads.eachLayer(function (layer) {
      var pts = layer.getLatLngs().map(function (ll) { return map.latLngToLayerPoint(ll); });
      for (var i = 1; i < pts.length; i++) {
        var d = L.LineUtil.pointToSegmentDistance(p, pts[i - 1], pts[i]);
        if (d < bestD) { bestD = d; best = layer.feature.properties; }
      }
    });
    return best;
  }
  function place(latlng, how) {
    lng.value = latlng.lng.toFixed(7);
    lat.value = latlng.lat.toFixed(7);
    if (marker) { marker.setLatLng(latlng); } else {
      marker = L.marker(latlng, { draggable: true, autoPan: true, title: gettext("拖动以微调位置") }).addTo(map);
      marker.on("dragend", function () { place(marker.getLatLng(), gettext("拖动")); });
    }
    var road = nearestRoad(latlng);
    if (road) {
      segment.value = road.code;
      note.textContent = interpolate(gettext("%(how)s：%(lng)s, %(lat)s · 路段 %(name)s（%(code)s），风险分 %(risk)s"),
        { how: how, lng: lng.value, lat: lat.value, name: road.name, code: road.code, risk: road.risk }, true);
      note.className = "pick-note";
    } else {
      note.textContent = interpolate(gettext("%(how)s：%(lng)s, %(lat)s · 附近没有路段，请核对位置或填写路段编号"),
        { how: how, lng: lng.value, lat: lat.value }, true);
      note.className = "pick-note error";
    }
  }
  map.on("click", function (e) { place(e.latlng, gettext("地图选点")); });
  fetch(el.dataset.api + "roads/segments.geojson", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
    roads = L.geoJSON(fc, {
      style: function (f) { return { color: colour(f.properties.risk), weight: 6, opacity: 0.8 }; },
      onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name + " " + f.properties.code); }
    }).addTo(map);
    roads.on("click", function (e) { L.DomEvent.stopPropagation(e); place(e.latlng, gettext("地图选点")); });
    var x = parseFloat(el.dataset.lng), y = parseFloat(el.dataset.lat);
    if (isFinite(x) && isFinite(y)) {
      map.setView([y, x], 18);
      marker = L.marker([y, x], { draggable: true, autoPan: true, title: gettext("拖动以微调位置") }).addTo(map);
      marker.on("dragend", function () { place(marker.getLatLng(), gettext("拖动")); });
    } else {
      var b = roads.getBounds();
      if (b.isValid()) { map.fitBounds(b); } else { map.setView([36.62, 101.78], 14); }
    }
    el.classList.add("loaded");
    window.chengyunFindingMap = { map: map, roads: roads, marker: function () { return marker; } };
  });
  document.getElementById("locate-me").addEventListener("click", function () {
    if (!navigator.geolocation) { note.textContent = gettext("此浏览器不支持定位，请在地图上点选"); return; }
    note.textContent = gettext("定位中…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
      map.setView(ll, 18);
      place(ll, interpolate(gettext("手机定位（精度约 %(m)s 米）"), { m: Math.round(pos.coords.accuracy) }, true));
    }, function (err) { note.textContent = interpolate(gettext("定位失败：%(reason)s；请在地图上点选"), { reason: err.message }, true); },
    { enableHighAccuracy: true, timeout: 15000 });
  });
})();
