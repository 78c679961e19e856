// Loaded right after the vendored Leaflet on every page with a map. The attribution keeps the
// library's name but not the flag Leaflet 1.9 puts before it: a district government's maps carry
// no national symbols but its own.
(function () {
  "use strict";
  if (window.L && L.Control && L.Control.Attribution) {
    L.Control.Attribution.prototype.options.prefix = '<a href="https://leafletjs.com" title="A JavaScript library for interactive maps">Leaflet</a>';
  }
})();
