// The region map: Leaflet drawing the region's own data (municipalities, villages,
// shops, pick-up points, tours) from the page's <script type="application/json">,
// with no tile server unless one is configured (data-tile-url). A point with a
// "choose" property gets a button that fills a form field (the pick-up point).
(function () {
  "use strict";
  var COLOURS = { village: "#4a5560", town: "#1b1f23", shop: "#8a4b08", pickup: "#1d5e3a", full: "#8a1c1c",
                  hub: "#0b4f8a", tour: "#0b4f8a", trip: "#6a2c91", load: "#8a4b08" };

  function popup(feature) {
    var p = feature.properties || {};
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = p.name || "";
    box.appendChild(title);
    if (p.note) { var note = document.createElement("div"); note.textContent = p.note; box.appendChild(note); }
    if (p.choose) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = p.choose_label || "Wählen";
      button.addEventListener("click", function () {
        var field = document.getElementById(p.choose_field || "pickup_point_id");
        if (field) { field.value = p.choose; field.dispatchEvent(new Event("change", { bubbles: true })); field.focus(); }
      });
      box.appendChild(button);
    }
    return box;
  }

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-features"));
    if (!source || typeof L === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var map = L.map(element, { attributionControl: !!element.getAttribute("data-tile-url"), zoomSnap: 0.25 });
    var tiles = element.getAttribute("data-tile-url");
    if (tiles) { L.tileLayer(tiles, { attribution: element.getAttribute("data-tile-attribution") || "" }).addTo(map); }
    var layer = L.geoJSON(data, {
      style: function (f) {
        var kind = (f.properties || {}).kind;
        return { color: (f.properties || {}).colour || COLOURS[kind] || "#0b4f8a", weight: kind === "municipality" ? 1 : 3,
                 fillOpacity: kind === "municipality" ? 0.05 : 0.2 };
      },
      pointToLayer: function (f, latlng) {
        var p = f.properties || {};
        var radius = p.kind === "village" || p.kind === "town" ? 3 : 7;
        return L.circleMarker(latlng, { radius: radius, color: p.colour || COLOURS[p.full ? "full" : p.kind] || "#333",
                                        weight: 2, fillOpacity: p.kind === "pickup" ? 0.8 : 0.5 });
      },
      onEachFeature: function (f, l) {
        if ((f.properties || {}).name) { l.bindPopup(function () { return popup(f); }); l.bindTooltip(f.properties.name); }
      }
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [16, 16] }); } else { map.setView([51.77, 9.38], 10); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-map]").forEach(draw);
  });
})();
