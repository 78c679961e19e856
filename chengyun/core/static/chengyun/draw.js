/* Draw a line or an area on a Leaflet map for a form: each click adds a vertex (a vertex's marker
   can be dragged to move it), "undo" drops the last one, "clear" starts again. The drawing is
   written as GeoJSON into the form's hidden input named by data-input (LineString from 2 points,
   Polygon from 3); with data-circle the form may instead give a centre (a click) and a radius.
   With data-mode="point" a click (or dragging the marker) places one point into the form's lng and
   lat inputs, and typing into them moves the marker.

   <div class="draw-box" data-mode="line|polygon" data-input="geometry" data-api="/api/v1/" data-context="ctx-json-id"
        data-tile-url="" data-msg-points="已点 %(n)s 个顶点" data-msg-centre="圆心已选">
     <div class="draw-map"></div>
     <p><button type="button" data-draw="undo">…</button><button type="button" data-draw="clear">…</button><span class="draw-status"></span></p>
   </div>
   Context layers (existing segments, zones, policy areas) come from a json_script element. */
(function () {
  "use strict";

  function setup(box) {
    var form = box.closest("form");
    var mode = box.dataset.mode === "line" || box.dataset.mode === "point" ? box.dataset.mode : "polygon";
    var input = form.elements[box.dataset.input || "geometry"];
    var el = box.querySelector(".draw-map");
    var status = box.querySelector(".draw-status");
    // A view from the start: markers of a drawing sent back cannot be placed on a map without one.
    var map = L.map(el, { zoomSnap: 0.5, doubleClickZoom: false }).setView([36.6, 101.78], 13);
    if (box.dataset.tileUrl) { L.tileLayer(box.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
    L.control.scale({ imperial: false }).addTo(map);
    var points = [];
    var markers = [];
    var shapeLayer = null;
    var circleLayer = null;
    var vertexIcon = L.divIcon({ className: "draw-vertex", iconSize: [12, 12] });

    function shapeChoice() {
      var radio = form.querySelector("input[name=shape]:checked");
      return radio ? radio.value : "drawn";
    }
    function write() {
      if (!input) { return; }
      var ring = points.map(function (p) { return [+p.lng.toFixed(7), +p.lat.toFixed(7)]; });
      if (mode === "line") {
        input.value = ring.length >= 2 ? JSON.stringify({ type: "LineString", coordinates: ring }) : "";
      } else {
        input.value = ring.length >= 3 ? JSON.stringify({ type: "Polygon", coordinates: [ring.concat([ring[0]])] }) : "";
      }
    }
    var pointMarker = null;
    function drawPoint() {
      if (pointMarker) { map.removeLayer(pointMarker); pointMarker = null; }
      var lng = parseFloat(form.elements.lng.value), lat = parseFloat(form.elements.lat.value);
      if (!isFinite(lng) || !isFinite(lat)) { status.textContent = ""; return false; }
      pointMarker = L.marker([lat, lng], { icon: vertexIcon, draggable: true, keyboard: false }).addTo(map);
      pointMarker.on("drag", function (e) { setPoint(e.target.getLatLng(), false); });
      status.textContent = box.dataset.msgPoint || "";
      box.dataset.vertices = 1;
      return true;
    }
    function setPoint(latlng, move) {
      form.elements.lng.value = latlng.lng.toFixed(7);
      form.elements.lat.value = latlng.lat.toFixed(7);
      if (move) { drawPoint(); }
    }
    function redraw() {
      if (mode === "point") { return; }
      if (shapeLayer) { map.removeLayer(shapeLayer); shapeLayer = null; }
      if (points.length >= 2) {
        shapeLayer = (mode === "line" || points.length < 3 ? L.polyline(points, { color: "#c62828", weight: 4 })
          : L.polygon(points, { color: "#c62828", weight: 2, fillOpacity: 0.2 })).addTo(map);
      }
      write();
      var fmt = box.dataset.msgPoints || "%(n)s";
      status.textContent = fmt.replace("%(n)s", points.length);
      box.dataset.vertices = points.length;
    }
    function addVertex(latlng) {
      var i = points.length;
      points.push(latlng);
      var m = L.marker(latlng, { icon: vertexIcon, draggable: true, keyboard: false }).addTo(map);
      m.on("drag", function (e) { points[markers.indexOf(m)] = e.target.getLatLng(); redraw(); });
      markers.push(m);
      redraw();
      return i;
    }
    function clear() {
      markers.forEach(function (m) { map.removeLayer(m); });
      markers = []; points = [];
      redraw();
    }
    function drawCircle() {
      if (circleLayer) { map.removeLayer(circleLayer); circleLayer = null; }
      var lng = parseFloat(form.elements.lng && form.elements.lng.value), lat = parseFloat(form.elements.lat && form.elements.lat.value);
      var r = parseFloat(form.elements.radius_m && form.elements.radius_m.value);
      if (isFinite(lng) && isFinite(lat)) {
        circleLayer = L.circle([lat, lng], { radius: isFinite(r) && r > 0 ? r : 1, color: "#c62828", weight: 2, fillOpacity: 0.2 }).addTo(map);
        status.textContent = box.dataset.msgCentre || "";
      }
    }
    map.on("click", function (e) {
      if (mode === "point") { setPoint(e.latlng, true); return; }
      if (box.dataset.circle && shapeChoice() === "circle") {
        form.elements.lng.value = e.latlng.lng.toFixed(7);
        form.elements.lat.value = e.latlng.lat.toFixed(7);
        drawCircle();
        return;
      }
      addVertex(e.latlng);
    });
    box.querySelectorAll("[data-draw]").forEach(function (b) {
      b.addEventListener("click", function () {
        if (b.dataset.draw === "undo" && markers.length) { map.removeLayer(markers.pop()); points.pop(); redraw(); }
        if (b.dataset.draw === "clear") { clear(); }
        if (b.dataset.draw === "clear" && mode === "point") { form.elements.lng.value = ""; form.elements.lat.value = ""; drawPoint(); }
      });
    });
    if (mode === "point") {
      ["lng", "lat"].forEach(function (n) { form.elements[n].addEventListener("input", drawPoint); });
    }
    if (box.dataset.circle) {
      ["lng", "lat", "radius_m"].forEach(function (n) { if (form.elements[n]) { form.elements[n].addEventListener("input", drawCircle); } });
    }

    // Context: what is already there, to draw against; the view is fitted to it.
    var bounds = null;
    var ctx = box.dataset.context && document.getElementById(box.dataset.context);
    if (ctx) {
      var fc = JSON.parse(ctx.textContent);
      var layer = L.geoJSON(fc, {
        style: function (f) { return { color: (f.properties && f.properties.colour) || "#1565c0", weight: 3, fillOpacity: 0.08, dashArray: "5 4" }; },
        pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 5, color: (f.properties && f.properties.colour) || "#37474f", weight: 2 }); },
        onEachFeature: function (f, l) { if (f.properties && f.properties.name) { l.bindTooltip(f.properties.name); } },
        interactive: true
      }).addTo(map);
      if (layer.getBounds().isValid()) { bounds = layer.getBounds(); }
    }
    // A drawing sent back with an error is shown again.
    var again = null;
    try { again = input && input.value ? JSON.parse(input.value) : null; } catch (e) { again = null; }
    if (again && again.coordinates) {
      var coords = again.type === "Polygon" ? again.coordinates[0].slice(0, -1) : again.coordinates;
      coords.forEach(function (c) { addVertex(L.latLng(c[1], c[0])); });
      if (shapeLayer) { bounds = shapeLayer.getBounds(); }
    }
    if (box.dataset.circle) { drawCircle(); }
    if (mode === "point" && drawPoint()) { bounds = L.latLngBounds([pointMarker.getLatLng(), pointMarker.getLatLng()]); }
    if (bounds) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 }); }
    if (box.dataset.api) {
      fetch(box.dataset.api + "geo/streets", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (streets) {
        var s = L.geoJSON(streets, { style: { color: "#123b6b", weight: 2, fill: false }, interactive: false }).addTo(map);
        if (!bounds && s.getBounds().isValid()) { map.fitBounds(s.getBounds()); }
        el.classList.add("loaded");
      }).catch(function () { el.classList.add("loaded"); });
    } else {
      el.classList.add("loaded");
    }
    redraw();
    window.chengyunDraw = { map: map, points: points, clear: clear };
  }
  Array.prototype.forEach.call(document.querySelectorAll(".draw-box"), setup);
})();
