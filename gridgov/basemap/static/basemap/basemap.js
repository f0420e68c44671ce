/* The offline base map: vector tiles of roads, water and settlements built in PostGIS
 * (/api/v1/geo/tiles/{z}/{x}/{y}.pbf, leaflet.vectorgrid) and place-name labels (/api/v1/geo/places.geojson).
 * Served by the project, no internet needed. The demo county's base map is generated (示意, not surveyed):
 * the label says so in the corner of the map.
 *   GGBasemap.add(map, { theme: "light" | "dark", labelClass: "..." })  → { tiles, labels } */
/* global L */
(function () {
  "use strict";
  const THEMES = {
    light: { land: "#f3f1ea", water: "#a9cbe8", waterLine: "#7fb0dc", built: "#e3d9c6", village: "#ebe3d2",
             major: "#f2b84b", majorCase: "#c98a1c", minor: "#ffffff", minorCase: "#b9b3a5" },
    dark: { land: "#06122a", water: "#0e3a66", waterLine: "#1b5c96", built: "#1c2c4a", village: "#15233d",
            major: "#6e7fa3", majorCase: "#2a3a5c", minor: "#3b4d72", minorCase: "#1a2845" },
  };
  function styles(c) {
    return {
      water: (p) => p.kind === "lake"
        ? { fill: true, fillColor: c.water, fillOpacity: 1, stroke: true, color: c.waterLine, weight: 1 }
        : { color: c.waterLine, weight: 3, opacity: 0.9 },
      settlements: (p) => ({ fill: true, fillColor: p.kind === "built_up" ? c.built : c.village, fillOpacity: 0.95,
                             stroke: false, weight: 0 }),
      roads: (p, z) => p.kind === "major_road"
        ? { color: c.major, weight: z >= 13 ? 5 : 3, opacity: 1 }
        : { color: c.minor, weight: z >= 14 ? 4 : 2, opacity: z >= 11 ? 0.95 : 0 },
      places: () => ({ radius: 0, weight: 0, opacity: 0, fillOpacity: 0 }),
    };
  }
  function add(map, opts) {
    opts = opts || {};
    if (typeof L === "undefined" || !L.vectorGrid) return null;
    // leaflet.vectorgrid 1.3 calls L.DomEvent.fakeStop, removed in Leaflet 1.8
    if (!L.DomEvent.fakeStop) L.DomEvent.fakeStop = function () { return true; };
    const theme = THEMES[opts.theme] || THEMES.light;
    const paneName = opts.pane || "basemap";
    if (!map.getPane(paneName)) map.createPane(paneName).style.zIndex = 150;
    if (!map.getPane("basemapLabels")) map.createPane("basemapLabels").style.zIndex = 450;
    map.getPane("basemapLabels").style.pointerEvents = "none";
    map.getContainer().classList.add("has-basemap", "basemap-" + (opts.theme || "light"));
    const tiles = L.vectorGrid.protobuf(opts.tiles || "/api/v1/geo/tiles/{z}/{x}/{y}.pbf", {
      pane: paneName, rendererFactory: L.canvas.tile, interactive: false, maxNativeZoom: 18, minZoom: 8,
      fetchOptions: { credentials: "same-origin" }, vectorTileLayerStyles: styles(theme),
    }).addTo(map);
    const labels = L.layerGroup([], { pane: "basemapLabels" }).addTo(map);
    const towns = [], villages = [];
    const labelClass = opts.labelClass || "basemap-label";
    function marker(f) {
      const span = document.createElement("span");  // text node: names are data, never HTML
      span.textContent = f.properties.name;
      const icon = L.divIcon({ className: labelClass + " " + labelClass + "-" + f.properties.kind, html: span,
                               iconSize: null });
      const c = f.geometry.coordinates;
      return L.marker([c[1], c[0]], { icon: icon, pane: "basemapLabels", interactive: false, keyboard: false });
    }
    function sync() {
      const z = map.getZoom(), b = map.getBounds().pad(0.2);
      labels.clearLayers();
      const villageZoom = opts.villageZoom || 12;
      towns.forEach((m) => { if (z >= 9 && z < 15 && b.contains(m.getLatLng())) labels.addLayer(m); });
      villages.forEach((m) => { if (z >= villageZoom && b.contains(m.getLatLng())) labels.addLayer(m); });
      map.getContainer().dataset.basemapLabels = String(labels.getLayers().length);
    }
    fetch(opts.places || "/api/v1/geo/places.geojson", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : null)).then((fc) => {
        if (!fc) return;
        fc.features.forEach((f) => (f.properties.kind === "town" ? towns : villages).push(marker(f)));
        if (fc.label && map.attributionControl) map.attributionControl.addAttribution(fc.label);
        else if (fc.label) {
          const note = L.control({ position: "bottomleft" });
          note.onAdd = () => { const d = L.DomUtil.create("div", "basemap-note"); d.textContent = fc.label; return d; };
          note.addTo(map);
        }
        map.on("zoomend moveend", sync);
        sync();
      }).catch(() => { /* offline and not cached: the grid outlines still show */ });
    return { tiles: tiles, labels: labels };
  }
  window.GGBasemap = { add: add };
})();
