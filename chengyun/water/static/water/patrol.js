/* Mobile patrol: start, track with the phone's geolocation (kept in localStorage so a reload
   loses nothing), report problems at the current position, stop and submit the track.
   The server computes the official distance and duration; the figures here are a preview. */
(function () {
  "use strict";
  var root = document.getElementById("patrol");
  var startBtn = document.getElementById("start");
  if (!root || !startBtn) { return; }
  var gettext = window.gettext || function (s) { return s; };
  var api = root.dataset.api;
  var csrf = document.querySelector("meta[name=csrf-token]").content;
  var gps = document.getElementById("gps");
  var stopBtn = document.getElementById("stop");
  var problem = document.getElementById("problem");
  var cancelBtn = document.getElementById("cancel");
  var patrolId = root.dataset.ongoing || null;
  var startedAt = root.dataset.started ? new Date(root.dataset.started) : null;
  var points = [];
  var watchId = null;
  var timer = null;
  var map = L.map("patrol-map").setView([36.6, 101.78], 15);
  var line = L.polyline([], { color: "#d23c3c", weight: 5 }).addTo(map);
  var here = L.circleMarker([0, 0], { radius: 7, color: "#fff", fillColor: "#1f5fa8", fillOpacity: 1 });
  L.control.scale({ imperial: false }).addTo(map);
  var reachData = document.getElementById("reach-layer");
  var reachLayer = L.geoJSON(reachData ? JSON.parse(reachData.textContent) : null, {
    style: { color: "#1f78c8", weight: 7, opacity: 0.45 },
    onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name, { sticky: true }); }
  }).addTo(map);
  if (reachLayer.getBounds().isValid()) { map.fitBounds(reachLayer.getBounds(), { padding: [20, 20], maxZoom: 16 }); }
  var reachSelect = document.getElementById("reach");
  // Choosing a reach shows it; the start of a patrol should be near it.
  reachSelect.addEventListener("change", function () {
    reachLayer.eachLayer(function (l) {
      var chosen = l.feature.properties.code === reachSelect.value;
      l.setStyle({ opacity: chosen || !reachSelect.value ? 0.45 : 0.15 });
      if (chosen) { map.fitBounds(l.getBounds(), { padding: [20, 20], maxZoom: 17 }); }
    });
  });

  function key() { return "chengyun.patrol." + patrolId; }
  function save() { try { localStorage.setItem(key(), JSON.stringify(points)); } catch (e) { /* storage full: the track stays in memory */ } }
  function metres(a, b) {
    var R = 6371008.8, rad = Math.PI / 180;
    var dLat = (b[1] - a[1]) * rad, dLng = (b[0] - a[0]) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLng / 2) * Math.sin(dLng / 2);
    return 2 * R * Math.asin(Math.sqrt(h));
  }
  function total() { var d = 0; for (var i = 1; i < points.length; i++) { d += metres(points[i - 1], points[i]); } return d; }
  function render() {
    line.setLatLngs(points.map(function (p) { return [p[1], p[0]]; }));
    document.getElementById("distance").textContent = Math.round(total());
    document.getElementById("points").textContent = points.length;
  }
  function tick() {
    if (!startedAt) { return; }
    var s = Math.max(0, Math.floor((Date.now() - startedAt.getTime()) / 1000));
    document.getElementById("elapsed").textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
  }
  function onFix(pos) {
    var c = pos.coords;
    gps.textContent = gettext("定位精度") + " " + Math.round(c.accuracy) + " m";
    gps.className = c.accuracy > 50 ? "error" : "muted";
    var p = [Math.round(c.longitude * 1e7) / 1e7, Math.round(c.latitude * 1e7) / 1e7];
    here.setLatLng([p[1], p[0]]).addTo(map);
    // Skip poor fixes and jitter while standing still.
    if (c.accuracy > 50) { return; }
    if (points.length && metres(points[points.length - 1], p) < 5) { return; }
    points.push(p);
    save();
    render();
    map.panTo([p[1], p[0]]);
  }
  function onError(err) { gps.textContent = gettext("无法定位：") + err.message; gps.className = "error"; }
  function track() {
    if (!navigator.geolocation) { onError({ message: gettext("浏览器不支持定位") }); return; }
    watchId = navigator.geolocation.watchPosition(onFix, onError, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
    timer = setInterval(tick, 1000);
    startBtn.hidden = true; stopBtn.hidden = false; cancelBtn.hidden = false; problem.hidden = false;
    document.getElementById("reach-box").hidden = true;
  }
  function post(path, body, isForm) {
    var headers = { "X-CSRFToken": csrf, Accept: "application/json" };
    if (!isForm) { headers["Content-Type"] = "application/json"; }
    return fetch(api + path, { method: "POST", credentials: "same-origin", headers: headers, body: isForm ? body : JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); });
  }

  startBtn.addEventListener("click", function () {
    post("patrols", { reach: document.getElementById("reach").value || null }).then(function (res) {
      if (!res.ok) { gps.textContent = res.body.message; gps.className = "error"; return; }
      patrolId = res.body.id; startedAt = new Date(res.body.started_at); points = []; save(); track();
    });
  });
  stopBtn.addEventListener("click", function () {
    if (points.length < 2) {
      // The server cannot accept a track of fewer than 2 points: walk on, or give this patrol up.
      gps.textContent = gettext("轨迹点不足 2 个，请走动后再结束；无法定位时可放弃本次巡河");
      gps.className = "error";
      cancelBtn.classList.add("big");
      return;
    }
    stopBtn.disabled = true;
    post("patrols/" + patrolId + "/finish", { track: { type: "LineString", coordinates: points } }).then(function (res) {
      stopBtn.disabled = false;
      if (!res.ok) { gps.textContent = res.body.message; gps.className = "error"; return; }
      finished(root.dataset.list + res.body.id + "/");
    });
  });
  function finished(url) {
    if (watchId !== null) { navigator.geolocation.clearWatch(watchId); }
    clearInterval(timer);
    localStorage.removeItem(key());
    window.location.href = url;
  }
  cancelBtn.addEventListener("click", function () {
    if (!window.confirm(gettext("确定放弃本次巡河？放弃的巡河不计入达标，轨迹不保存。"))) { return; }
    var reason = points.length < 2 ? gettext("轨迹点不足，无法结束") : gettext("巡河人放弃本次巡河");
    cancelBtn.disabled = true;
    post("patrols/" + patrolId + "/cancel", { reason: reason }).then(function (res) {
      cancelBtn.disabled = false;
      if (!res.ok) { gps.textContent = res.body.message; gps.className = "error"; return; }
      finished(root.dataset.list + res.body.id + "/");
    });
  });
  problem.addEventListener("submit", function (e) {
    e.preventDefault();
    var out = document.getElementById("problem-result");
    var last = points[points.length - 1] || (here.getLatLng().lat ? [here.getLatLng().lng, here.getLatLng().lat] : null);
    if (!last) { out.textContent = gettext("尚未定位，无法上报位置"); out.className = "error"; return; }
    var data = new FormData(problem);
    data.append("lng", last[0]); data.append("lat", last[1]);
    if (!data.get("photo") || !data.get("photo").size) { data.delete("photo"); }
    post("patrols/" + patrolId + "/problems", data, true).then(function (res) {
      out.className = res.ok ? "" : "error";
      out.textContent = res.ok ? gettext("已上报，案件编号 ") + res.body.case_number : res.body.message;
      if (res.ok) { problem.reset(); }
    });
  });

  if (patrolId) {
    try { points = JSON.parse(localStorage.getItem(key()) || "[]"); } catch (e) { points = []; }
    render();
    track();
  }
})();
