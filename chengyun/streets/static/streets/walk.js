/* The phone patrol page: start, a live track from the phone's geolocation (kept in localStorage
   so a reload loses nothing), one-tap reports at the current position, the "allowed now?" check,
   and stop, which sends every point with its time: the server cleans the track and reports the
   points it dropped. Messages come from the page (data-msg-*), already translated. */
(function () {
  "use strict";
  var root = document.getElementById("walk");
  var startBtn = document.getElementById("start");
  if (!root || !startBtn) { return; }
  var msg = root.dataset;
  var api = root.dataset.api;
  var csrf = document.querySelector("meta[name=csrf-token]").content;
  var gps = document.getElementById("gps");
  var stopBtn = document.getElementById("stop");
  var report = document.getElementById("report");
  var result = document.getElementById("result");
  var patrolId = root.dataset.ongoing || null;
  var points = [];
  var watchId = null;
  var map = L.map("walk-map").setView([36.6, 101.78], 16);
  if (root.dataset.tileUrl) { L.tileLayer(root.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
  var mine = L.geoJSON(JSON.parse(document.getElementById("my-segments").textContent), { style: { color: "#1565c0", weight: 7, opacity: 0.35 } }).addTo(map);
  if (mine.getBounds().isValid()) { map.fitBounds(mine.getBounds(), { padding: [10, 10], maxZoom: 17 }); }
  var line = L.polyline([], { color: "#c62828", weight: 5 }).addTo(map);
  var here = null;

  function key() { return "chengyun.walk." + patrolId; }
  function save() { try { localStorage.setItem(key(), JSON.stringify(points)); } catch (e) { /* storage full: the track stays in memory */ } }
  function metres(a, b) {
    var R = 6371008.8, rad = Math.PI / 180;
    var dLat = (b[1] - a[1]) * rad, dLng = (b[0] - a[0]) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLng / 2) * Math.sin(dLng / 2);
    return 2 * R * Math.asin(Math.sqrt(h));
  }
  function render() {
    var d = 0;
    for (var i = 1; i < points.length; i++) { d += metres(points[i - 1], points[i]); }
    line.setLatLngs(points.map(function (p) { return [p[1], p[0]]; }));
    document.getElementById("distance").textContent = Math.round(d);
    document.getElementById("points").textContent = points.length;
  }
  function onFix(pos) {
    var c = pos.coords;
    gps.textContent = msg.msgAccuracy + " " + Math.round(c.accuracy);
    var p = [Math.round(c.longitude * 1e7) / 1e7, Math.round(c.latitude * 1e7) / 1e7, new Date(pos.timestamp || Date.now()).toISOString()];
    if (here) { here.setLatLng([p[1], p[0]]); } else { here = L.circleMarker([p[1], p[0]], { radius: 7, color: "#fff", fillColor: "#1565c0", fillOpacity: 1 }).addTo(map); }
    if (c.accuracy > 50) { return; }
    if (points.length && metres(points[points.length - 1], p) < 3) { return; }
    points.push(p);
    save();
    render();
    map.panTo([p[1], p[0]]);
  }
  function track() {
    if (!navigator.geolocation) { return; }
    watchId = navigator.geolocation.watchPosition(onFix, function (err) { gps.textContent = err.message; gps.className = "error"; },
      { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
    startBtn.hidden = true; stopBtn.hidden = false; report.hidden = false;
  }
  function send(method, path, body) {
    return fetch(api + path, { method: method, credentials: "same-origin", headers: { "X-CSRFToken": csrf, Accept: "application/json", "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); });
  }
  function position() {
    if (points.length) { var p = points[points.length - 1]; return [p[0], p[1]]; }
    if (here) { var ll = here.getLatLng(); return [ll.lng, ll.lat]; }
    return null;
  }
  startBtn.addEventListener("click", function () {
    send("POST", "patrols", {}).then(function (res) {
      if (!res.ok) { gps.textContent = res.body.message; gps.className = "error"; return; }
      patrolId = res.body.id; points = []; save(); track();
    });
  });
  stopBtn.addEventListener("click", function () {
    if (points.length < 2) { gps.textContent = msg.msgFew; gps.className = "error"; return; }
    stopBtn.disabled = true;
    send("POST", "patrols/" + patrolId + "/track", { points: points }).then(function (res) {
      stopBtn.disabled = false;
      if (!res.ok) { gps.textContent = res.body.message; gps.className = "error"; return; }
      if (watchId !== null) { navigator.geolocation.clearWatch(watchId); }
      localStorage.removeItem(key());
      window.location.href = root.dataset.detail + res.body.id + "/";
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("button.tap"), function (btn) {
    btn.addEventListener("click", function () {
      var at = position();
      if (!at) { result.textContent = msg.msgNofix; result.className = "error"; return; }
      var note = document.getElementById("note").value;
      var body = { kind: btn.dataset.kind, description: note || btn.textContent.trim(), lng: at[0], lat: at[1] };
      if (btn.dataset.kind === "night") {
        body.activity = document.getElementById("activity").value;
        body.shop = document.getElementById("shop").value || null;
        body.rule = document.getElementById("rule").value;
      }
      send("POST", "patrols/" + patrolId + "/findings", body).then(function (res) {
        result.className = res.ok ? "" : "error";
        result.textContent = res.ok ? msg.msgFiled + " " + res.body.case_number + (res.body.rule ? " · " + res.body.rule : "") : res.body.message;
        if (res.ok) { document.getElementById("note").value = ""; }
      });
    });
  });
  document.getElementById("check").addEventListener("click", function () {
    var at = position();
    var out = document.getElementById("answer");
    if (!at) { out.textContent = msg.msgNofix; return; }
    send("GET", "night/check?lng=" + at[0] + "&lat=" + at[1] + "&activity=" + encodeURIComponent(document.getElementById("activity").value)).then(function (res) {
      out.innerHTML = "";
      var box = document.createElement("div");
      box.className = "answer " + (res.ok && res.body.allowed ? "yes" : "no");
      if (!res.ok) { box.textContent = res.body.message; out.appendChild(box); return; }
      var head = document.createElement("b");
      head.textContent = res.body.allowed ? msg.msgAllowed : msg.msgRefused;
      box.appendChild(head);
      var list = document.createElement("ul");
      res.body.rules.forEach(function (r) {
        var li = document.createElement("li");
        li.textContent = (r.passed ? "✓ " : "✗ ") + r.text;
        if (!r.passed) { li.className = "failed"; }
        list.appendChild(li);
      });
      box.appendChild(list);
      out.appendChild(box);
    });
  });
  if (patrolId) {
    try { points = JSON.parse(localStorage.getItem(key()) || "[]"); } catch (e) { points = []; }
    render();
    track();
  }
})();
