/* Charging layout page: POST /api/v1/renewal/charging-plan, draw demand coverage before/after and the chosen sites. */
(function () {
  "use strict";
  var form = document.getElementById("cp-form");
  if (!form) { return; }
  var mapEl = document.getElementById("cp-map");
  var summary = document.getElementById("cp-summary");
  var map = L.map(mapEl, { preferCanvas: true, zoomSnap: 0.25 }).setView([36.62, 101.78], 13);
  if (form.dataset.tileUrl) { L.tileLayer(form.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
  var layer = L.featureGroup().addTo(map);
  var last = null, fitted = false;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function colour(served, weight) {
    if (served >= weight - 1e-9) { return "#2e7d32"; }
    return served > 0 ? "#f9a825" : "#c62828";
  }

  function card(value, label) {
    var d = document.createElement("div");
    d.className = "card";
    var b = document.createElement("b");
    b.textContent = value;
    d.appendChild(b);
    d.appendChild(document.createTextNode(label));
    return d;
  }

  function draw() {
    if (!last) { return; }
    var view = (form.querySelector('input[name="view"]:checked') || {}).value || "after";
    layer.clearLayers();
    last.demand.forEach(function (d) {
      var served = view === "before" ? d.served_before : d.served_after;
      L.circleMarker([d.lat, d.lng], { radius: 3 + Math.min(8, Math.sqrt(d.weight)), weight: 0, fillColor: colour(served, d.weight), fillOpacity: 0.8 })
        .bindTooltip((d.name || d.id) + "：" + gettext("需求") + " " + d.weight + "，" + gettext("已服务") + " " + served).addTo(layer);
    });
    last.sites.forEach(function (s) {
      if (view === "before" && !s.existing) { return; }
      var c = s.existing ? "#555" : "#1f6fd1";
      L.circle([s.lat, s.lng], { radius: last.radius_m, color: c, weight: 1, fill: false, dashArray: "4 4" }).addTo(layer);
      L.marker([s.lat, s.lng], { icon: L.divIcon({ className: "", html: '<div style="width:12px;height:12px;background:' + c + ';border:2px solid #fff"></div>' }) })
        .bindTooltip((s.name || s.id) + "：" + gettext("容量") + " " + s.capacity + "，" + gettext("服务") + " " + s.served).addTo(layer);
    });
    mapEl.dataset.view = view;
    mapEl.dataset.markers = String(layer.getLayers().length);
    if (!fitted) { var b = layer.getBounds(); if (b.isValid()) { map.fitBounds(b, { padding: [20, 20] }); fitted = true; } }
  }

  function render(out) {
    last = out;
    summary.textContent = "";
    summary.appendChild(card(out.total_demand, gettext("个充电桩需求")));
    summary.appendChild(card(Math.round(out.coverage_before * 1000) / 10 + "%", gettext("布局前覆盖")));
    summary.appendChild(card(Math.round(out.coverage_after * 1000) / 10 + "%", gettext("布局后覆盖")));
    var method = out.method === "exact" ? gettext("精确最优（MILP）") : gettext("贪心");
    summary.appendChild(card(Math.round(out.gap * 1000) / 10 + "%", method + " · " + (out.optimum !== null ? gettext("与最优差距") : gettext("与上界差距（至多）"))));
    draw();
    mapEl.classList.add("loaded");
  }

  function run(ev) {
    if (ev) { ev.preventDefault(); }
    var body = { k: parseInt(form.k.value, 10), radius_m: parseFloat(form.radius_m.value), method: form.method.value };
    fetch(form.dataset.api, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (res) {
        if (!res.ok) { summary.textContent = res.body.message || gettext("计算失败"); return; }
        render(res.body);
      });
  }

  form.addEventListener("submit", run);
  Array.prototype.forEach.call(form.querySelectorAll('input[name="view"]'), function (r) { r.addEventListener("change", draw); });
  run();
})();
