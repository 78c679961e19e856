/* The night-economy map: zones by class, the policies' areas, permitted spots; a click picks the
   point whose "allowed now?" answer (the one check endpoint) is shown with the rules that decided. */
(function () {
  "use strict";
  var el = document.getElementById("night-map");
  if (!el) { return; }
  var layers = JSON.parse(document.getElementById("night-layers").textContent);
  var form = document.getElementById("check-form");
  var answer = document.getElementById("check-answer");
  var map = L.map(el);
  if (el.dataset.tileUrl) { L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
  L.control.scale({ imperial: false }).addTo(map);
  var colours = { forbidden: "#d32f2f", controlled: "#ffa000", open: "#43a047" };
  var policies = L.geoJSON(layers.policies, {
    style: { color: "#1565c0", weight: 2, dashArray: "6 4", fillOpacity: 0.05 },
    onEachFeature: function (f, l) { l.bindTooltip(f.properties.name); }
  }).addTo(map);
  L.geoJSON(layers.zones, {
    style: function (f) { return { color: colours[f.properties.kind], weight: 1, fillOpacity: 0.3 }; },
    onEachFeature: function (f, l) { l.bindTooltip(f.properties.kind_label + "：" + f.properties.name + (f.properties.reason ? "（" + f.properties.reason + "）" : "")); }
  }).addTo(map);
  L.geoJSON(layers.permits, {
    style: { color: "#6a1b9a", weight: 1, fillOpacity: 0.7 },
    onEachFeature: function (f, l) { l.bindTooltip(f.properties.shop + " " + f.properties.number); }
  }).addTo(map);
  if (policies.getBounds().isValid()) { map.fitBounds(policies.getBounds(), { padding: [20, 20] }); } else { map.setView([36.6, 101.78], 13); }
  var marker = null;
  var at = document.getElementById("check-at");
  var now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000);
  at.value = now.toISOString().slice(0, 16);

  function ask() {
    if (!form.lng.value) { answer.textContent = form.dataset.msgPick; return; }
    var when = at.value ? at.value + ":00+08:00" : "";
    var url = form.dataset.api + "?lng=" + form.lng.value + "&lat=" + form.lat.value + "&activity=" + encodeURIComponent(form.activity.value) +
      (when ? "&at=" + encodeURIComponent(when) : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) { return r.json(); }).then(function (b) {
      answer.innerHTML = "";
      var box = document.createElement("div");
      if (b.rules === undefined) { box.className = "answer no"; box.textContent = b.message; answer.appendChild(box); return; }
      box.className = "answer " + (b.allowed ? "yes" : "no");
      var head = document.createElement("b");
      head.textContent = (b.allowed ? form.dataset.msgAllowed : form.dataset.msgRefused) + " · " + b.activity_label;
      box.appendChild(head);
      var info = document.createElement("p");
      info.textContent = form.dataset.msgZone + "：" + (b.zone ? b.zone.name : form.dataset.msgNone) + " · " + form.dataset.msgPolicy + "：" +
        (b.policy ? b.policy.name : form.dataset.msgNone);
      box.appendChild(info);
      var list = document.createElement("ul");
      b.rules.forEach(function (r) {
        var li = document.createElement("li");
        li.textContent = (r.passed ? "✓ " : "✗ ") + r.text;
        if (!r.passed) { li.className = "failed"; }
        list.appendChild(li);
      });
      box.appendChild(list);
      answer.appendChild(box);
    });
  }
  map.on("click", function (e) {
    form.lng.value = e.latlng.lng.toFixed(7);
    form.lat.value = e.latlng.lat.toFixed(7);
    if (marker) { marker.setLatLng(e.latlng); } else { marker = L.marker(e.latlng).addTo(map); }
    ask();
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); ask(); });
})();
