/* The console's map: the case's point on its grid outlines (no base map unless one is configured), or, in
 * pick mode, a map to click a point on (fills #id_lon / #id_lat). Grid outlines come from
 * /api/v1/grids/?bbox=… around the point or the view. */
/* global L */
(function () {
  "use strict";
  const node = document.getElementById("map");
  const cfgNode = document.getElementById("map-config");
  if (!node || !cfgNode || typeof L === "undefined") return;
  const CFG = JSON.parse(cfgNode.textContent);
  const lonInput = document.getElementById("id_lon");
  const latInput = document.getElementById("id_lat");

  const map = L.map(node, { attributionControl: CFG.tiles.length > 0, zoomSnap: 0.5 });
  CFG.tiles.forEach((t) => L.tileLayer(t.url, Object.assign({ maxZoom: CFG.max_zoom }, t.options)).addTo(map));
  if (!CFG.tiles.length && window.GGBasemap) window.GGBasemap.add(map, { theme: "light" });  // offline base map

  const pinIcon = L.divIcon({ className: "pin", html: "<span></span>", iconSize: [32, 34], iconAnchor: [16, 32] });
  let marker = null;
  function place(lonlat) {
    const ll = L.latLng(lonlat[1], lonlat[0]);
    if (marker) marker.setLatLng(ll);
    else marker = L.marker(ll, { icon: pinIcon, keyboard: false, interactive: false }).addTo(map);
    return ll;
  }

  const grids = L.geoJSON(null, {
    style: (f) => {
      const own = CFG.grid && f.properties.code === CFG.grid;
      return { color: own ? "#1559b7" : "#6f86a8", weight: own ? 2.5 : 1.2, fillColor: own ? "#1559b7" : "#9fb3cf",
               fillOpacity: own ? 0.12 : 0.04, dashArray: own ? null : "4 3" };
    },
    onEachFeature: (f, layer) => {
      // the case's own grid is named beside the map; its label would sit under the pin
      const own = CFG.point && CFG.grid && f.properties.code === CFG.grid;
      layer.bindTooltip(document.createTextNode(f.properties.name || ""), { permanent: !own, direction: "center", className: "grid-label" });
    },
  }).addTo(map);

  let ctl = null;
  async function loadGrids(bounds) {
    if (ctl) ctl.abort();
    const mine = ctl = new AbortController();
    const zoom = map.getZoom();
    const u = new URL(CFG.grids, location.origin);
    u.searchParams.set("bbox", [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map((v) => v.toFixed(5)).join(","));
    u.searchParams.set("level", zoom >= 13 ? "4" : "2");
    if (zoom < 13) u.searchParams.set("simplify", "0.0005");
    try {
      const resp = await fetch(u, { credentials: "same-origin", signal: mine.signal, headers: { Accept: "application/json" } });
      if (!resp.ok) return;
      const fc = await resp.json();
      grids.clearLayers();
      grids.addData(fc);
      node.dataset.grids = String(fc.features.length);
    } catch (e) { /* aborted or offline: keep what is shown */ }
  }

  const point = CFG.point;
  if (point) {
    const ll = place(point);
    map.setView(ll, node.clientWidth < 500 ? 14 : 15);
  } else if (CFG.extent) {
    map.fitBounds([[CFG.extent[1], CFG.extent[0]], [CFG.extent[3], CFG.extent[2]]], { padding: [12, 12] });
  } else {
    map.setView(CFG.center, CFG.zoom);
  }
  map.on("moveend", () => loadGrids(map.getBounds().pad(0.3)));
  loadGrids(map.getBounds().pad(0.3));

  if (CFG.pick) {
    node.classList.add("pick");
    map.on("click", (e) => {
      place([e.latlng.lng, e.latlng.lat]);
      if (lonInput) lonInput.value = e.latlng.lng.toFixed(6);
      if (latInput) latInput.value = e.latlng.lat.toFixed(6);
      node.dataset.picked = "1";
    });
    const fromInputs = () => {
      const lon = parseFloat(lonInput && lonInput.value), lat = parseFloat(latInput && latInput.value);
      if (Number.isFinite(lon) && Number.isFinite(lat) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
        map.panTo(place([lon, lat]));
      }
    };
    [lonInput, latInput].forEach((i) => i && i.addEventListener("change", fromInputs));
  }
  node.dataset.ready = "1";
})();
