/* District map wall. Data: /api/v1/maps/ (aggregates and vector tiles built in PostGIS). Polls the data
   version every few seconds and refreshes what changed. Never shows personal data: the API has none. */
(function () {
  "use strict";
  var CFG = JSON.parse(document.getElementById("mapwall-config").textContent);
  var S = JSON.parse(document.getElementById("mapwall-strings").textContent);
  var API = CFG.api;
  // leaflet.vectorgrid 1.3 calls L.DomEvent.fakeStop, removed in Leaflet 1.8: clicks on tiles need it back.
  if (!L.DomEvent.fakeStop) L.DomEvent.fakeStop = function () { return true; };
  var WARN = { red: "#ff3b3b", orange: "#ff8c1a", yellow: "#ffd21f", blue: "#2f9bff", overdue: "#d04cff", closed: "#6b7a90" };
  var RAMP = ["#0b1d3a", "#123766", "#17568f", "#1c7bb0", "#2aa6c7", "#52d0d6", "#a8f0e6"];
  var HEXRAMP = ["#173d6b", "#1f6fa0", "#2ba3b8", "#7fd0a8", "#f2d95c", "#ff8f3d", "#ff3d3d"];
  var state = { metric: "open", period: "30d", category: "", hotUnit: "grid", version: null, bucket: null,
                breaks: [], first: true, gridData: null };
  var etags = {};
  var probe = window.__mapwall = { grids: 0, hot: 0, hex: 0, heat: 0, tiles: 0, dashboard: 0 };
  var pending = 0;

  /* ---------- fetch with ETag (a poll that finds nothing new is a 304) ---------- */
  function getJSON(url) {
    var cached = etags[url];
    var headers = cached ? { "If-None-Match": cached.etag } : {};
    return fetch(url, { credentials: "same-origin", headers: headers }).then(function (r) {
      if (r.status === 304 && cached) return cached.data;
      if (!r.ok) throw new Error(url + " → " + r.status);
      return r.json().then(function (data) {
        var tag = r.headers.get("ETag");
        if (tag) etags[url] = { etag: tag, data: data };
        return data;
      });
    });
  }
  function q(extra) {
    var p = new URLSearchParams({ period: state.period });
    if (state.category) p.set("category", state.category);
    Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
    return p.toString();
  }
  function track(promise) {
    pending += 1;
    return promise.catch(function (e) { console.warn(e); }).then(function () {
      pending -= 1;
      if (pending === 0 && state.first) { state.first = false; document.body.setAttribute("data-ready", "1"); }
    });
  }

  /* ---------- map and base map ---------- */
  var map = L.map("map", { zoomControl: false, attributionControl: false, preferCanvas: true, minZoom: 8, maxZoom: 18,
                           zoomSnap: 0.25 }).setView([33.03, 119.02], 10);
  L.control.zoom({ position: "topright" }).addTo(map);
  L.control.scale({ imperial: false, position: "bottomright" }).addTo(map);
  (function basemap() {
    var b = CFG.basemap;
    if (b.kind === "offline" && window.GGBasemap) { window.GGBasemap.add(map, { theme: "dark", labelClass: "wall-label", villageZoom: 12 }); return; }
    if (!b.layers.length) return;
    map.createPane("base").style.zIndex = 150;
    b.layers.forEach(function (url) {
      L.tileLayer(url, { pane: "base", subdomains: b.subdomains, maxZoom: 18, opacity: 0.55 }).addTo(map);
    });
    if (b.datum === "gcj02") {
      var pane = map.getPane("base");
      var shift = function () {
        var c = map.getCenter(), g = GCJ02.fromWgs84(c.lng, c.lat);
        var a = map.latLngToLayerPoint(c), m = map.latLngToLayerPoint([g[1], g[0]]);
        pane.style.transform = "translate(" + (a.x - m.x) + "px," + (a.y - m.y) + "px)";
      };
      map.on("zoomend moveend", shift);
      shift();
    }
  })();
  ["grids", "hex", "hot", "cases", "newest"].forEach(function (name, i) {
    map.createPane(name).style.zIndex = 400 + i * 10;
  });

  /* ---------- colour scales ---------- */
  function quantileBreaks(values, n) {
    var v = values.filter(function (x) { return x !== null && x > 0; }).sort(function (a, b) { return a - b; });
    if (!v.length) return [];
    var out = [];
    for (var i = 1; i < n; i++) {
      var b = v[Math.min(v.length - 1, Math.floor(v.length * i / n))];
      if (!out.length || b > out[out.length - 1]) out.push(b);
    }
    return out;
  }
  // class k of breaks.length + 1 classes (k = number of breaks ≤ value), spread over ramp[1..]; ramp[0] is zero.
  function classColour(k, nBreaks, ramp) {
    return ramp[1 + (nBreaks ? Math.round(k * (ramp.length - 2) / nBreaks) : 0)];
  }
  function rampColour(value, breaks, ramp) {
    if (value === null || value === undefined) return "#243246";
    if (value <= 0) return ramp[0];
    var k = 0;
    while (k < breaks.length && value >= breaks[k]) k++;
    return classColour(k, breaks.length, ramp);
  }
  function metricValue(p) { return state.metric === "per_1000" ? p.per_1000 : p[state.metric]; }
  function gridStyle(p) {
    var on = document.getElementById("l-choropleth").checked;
    return { color: "#3fa9f5", weight: 0.6, opacity: 0.7, fill: true, fillColor: rampColour(metricValue(p), state.breaks, RAMP),
             fillOpacity: on ? (map.getZoom() >= CFG.street_zoom ? 0.4 : 0.72) : 0.0 };
  }

  /* ---------- grids: GeoJSON aggregates at district zooms, vector tiles at street zooms ---------- */
  var gridGeo = L.geoJSON(null, { pane: "grids", style: function (f) { return gridStyle(f.properties); },
    onEachFeature: function (f, layer) {
      layer.on("click", function () { showGrid(f.properties.code); });
      layer.bindTooltip(function () { return tip(f.properties); }, { sticky: true, className: "gridtip" });
    } }).addTo(map);
  function tip(p) {
    return "<b>" + esc(p.name) + "</b><br>" + S.open + " " + p.open + " · " + S.overdue + " " + p.overdue +
      "<br>" + S.period_total + " " + p.total + (p.per_1000 !== null && p.per_1000 !== undefined ? " · " + S.per_1000 + " " + p.per_1000 : "");
  }
  // Leaflet 1.9.4's GridLayer.redraw() (and setUrl, which calls it) takes the map's zoom unrounded
  // (Leaflet#9930): at a fractional zoom (zoomSnap 0.25) it asks for tiles like /15.25/x/y and draws
  // nothing. Re-setting the view rounds the tile zoom as adding the layer does.
  function redrawTiles(layer, url) {
    if (url) layer.setUrl(url, true);
    if (!layer._map) return;
    layer._removeAllTiles();
    layer._resetView();
  }
  var gridTiles = null;
  function gridTileUrl() { return API + "tiles/grids/{z}/{x}/{y}.pbf?" + q({ v: state.version + "-" + state.bucket }); }
  function makeGridTiles() {
    return L.vectorGrid.protobuf(gridTileUrl(), {
      pane: "grids", rendererFactory: L.canvas.tile, interactive: true, maxNativeZoom: 18,
      fetchOptions: { credentials: "same-origin" },
      getFeatureId: function (f) { return f.properties.code; },
      vectorTileLayerStyles: {
        grids: function (p) { return gridStyle(p); },
        streets: { color: "#7fdcff", weight: 2.2, opacity: 0.9, fill: false }
      }
    }).on("click", function (e) { if (e.layer.properties.code) showGrid(e.layer.properties.code); });
  }
  function loadGrids() {
    return getJSON(API + "grids.geojson?" + q({ z: 11 })).then(function (fc) {
      state.gridData = fc;
      state.breaks = quantileBreaks(fc.features.map(function (f) { return metricValue(f.properties); }), 6);
      gridGeo.clearLayers().addData(fc);
      probe.grids = fc.features.length;
      if (!state.fitted && fc.features.length) { map.fitBounds(gridGeo.getBounds(), { padding: [10, 10] }); state.fitted = true; }
      legend();
    });
  }
  function restyleGrids() {
    if (state.gridData) state.breaks = quantileBreaks(state.gridData.features.map(function (f) { return metricValue(f.properties); }), 6);
    gridGeo.setStyle(function (f) { return gridStyle(f.properties); });
    if (gridTiles) redrawTiles(gridTiles);
    legend();
  }

  /* ---------- cases: vector tiles at street zooms, hexagon aggregates below; newest as live markers ---------- */
  var caseTiles = null;
  function caseTileUrl() { return API + "tiles/cases/{z}/{x}/{y}.pbf?" + q({ v: state.version + "-" + state.bucket }); }
  function makeCaseTiles() {
    return L.vectorGrid.protobuf(caseTileUrl(), {
      pane: "cases", rendererFactory: L.canvas.tile, interactive: true, maxNativeZoom: 18,
      fetchOptions: { credentials: "same-origin" },
      vectorTileLayerStyles: {
        cases: function (p) {
          return { radius: p.colour === "overdue" ? 6 : 4.5, fill: true, fillColor: WARN[p.colour] || WARN.blue, fillOpacity: 0.95,
                   color: "#fff", weight: p.colour === "overdue" ? 1.5 : 0.6, opacity: 0.9 };
        }
      }
    }).on("click", function (e) { if (e.layer.properties.number) showCase(e.layer.properties.number); })
      .on("tileload", function () { probe.tiles += 1; });
  }
  var hexLayer = L.geoJSON(null, { pane: "hex",
    style: function (f) {
      return { color: "#0b1a30", weight: 0.5, fillColor: rampColour(f.properties.n, state.hexBreaks || [], HEXRAMP), fillOpacity: 0.8 };
    },
    onEachFeature: function (f, layer) { layer.bindTooltip(S.cases + " " + f.properties.n, { className: "gridtip" }); } });
  function loadHex() {
    var z = Math.max(8, Math.min(12, Math.round(map.getZoom())));
    return getJSON(API + "hexbins.geojson?" + q({ z: z, what: "period" })).then(function (fc) {
      state.hexBreaks = quantileBreaks(fc.features.map(function (f) { return f.properties.n; }), HEXRAMP.length - 1);
      hexLayer.clearLayers().addData(fc);
      probe.hex = fc.features.length;
      legend();
    });
  }
  var newest = L.layerGroup([], { pane: "newest" }).addTo(map);
  function drawNewest(rows) {
    newest.clearLayers();
    rows.slice(0, 20).forEach(function (r) {
      var dot = document.createElement("div");  // an element, not HTML with style="" (CSP style-src 'self')
      dot.className = "pulse";
      dot.style.cssText = "width:14px;height:14px";
      dot.style.background = WARN[r.colour] || WARN.blue;
      var icon = L.divIcon({ className: "", iconSize: [14, 14], html: dot });
      L.marker([r.lat, r.lon], { icon: icon, pane: "newest" }).on("click", function () { showCase(r.number); }).addTo(newest);
    });
  }

  /* ---------- heat (kernel density from server-side cell counts) ---------- */
  var heat = L.heatLayer([], { radius: 16, blur: 18, minOpacity: 0.15,
    gradient: { 0.2: "#1f6fa0", 0.45: "#2ee6d6", 0.65: "#f2e35c", 0.85: "#ff8f3d", 1.0: "#ff2d2d" } });
  function loadHeat() {
    var z = Math.max(8, Math.min(16, Math.round(map.getZoom())));
    return getJSON(API + "heat/?" + q({ z: z })).then(function (d) {
      // scale to the 98th percentile of cell counts: a few very busy cells must not wash out the rest
      var counts = d.points.map(function (p) { return p[2]; }).sort(function (a, b) { return a - b; });
      var p98 = counts.length ? counts[Math.floor(counts.length * 0.98)] : 1;
      // leaflet.heat divides intensities by 2^(maxZoom - zoom): pin maxZoom to the zoom the cells were made for
      heat.setOptions({ max: Math.max(1, p98), maxZoom: z });
      heat.setLatLngs(d.points);
      probe.heat = d.points.length;
    });
  }

  /* ---------- hotspots (Gi*, FDR) and space-time trend ---------- */
  var hotParams = null;
  var hotLayer = L.geoJSON(null, { pane: "hot",
    // only significant cells (or cells with a trend category) are drawn; the rest is the grid layer beneath
    filter: function (f) { return state.hotUnit === "trend" ? f.properties.category !== "none" : f.properties["class"] !== 0; },
    style: function (f) {
      var p = f.properties;
      if (state.hotUnit === "trend") {
        var c = CFG.trend_classes.filter(function (t) { return t.key === p.category; })[0];
        var on = p.category !== "none";
        return { color: on ? c.colour : "transparent", weight: on ? 2.2 : 0, fillColor: c ? c.colour : "#000", fillOpacity: on ? 0.55 : 0 };
      }
      var cls = CFG.hotspot_classes.filter(function (c) { return c["class"] === p["class"]; })[0];
      var sig = p["class"] !== 0;
      return { color: sig ? cls.colour : "transparent", weight: sig ? 1.6 : 0, fillColor: cls.colour, fillOpacity: sig ? 0.6 : 0 };
    },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      layer.bindTooltip(function () {
        if (state.hotUnit === "trend") return esc(p.name) + "<br>" + labelOf(CFG.trend_classes, "key", p.category) +
          "<br>" + S.weeks_hot + " " + p.weeks_hot + " · Mann-Kendall τ " + p.mk_tau + " (p " + p.mk_p + ")";
        return (p.name ? esc(p.name) : S.hexagon) + "<br>" + labelOf(CFG.hotspot_classes, "class", p["class"]) + "<br>Gi* z = " + p.z +
          " · p = " + p.p + " · " + S.cases + " " + p.value;
      }, { sticky: true, className: "gridtip" });
      if (p.code) layer.on("click", function () { showGrid(p.code); });
    } });
  function labelOf(list, key, value) {
    var c = list.filter(function (x) { return x[key] === value; })[0];
    return c ? c.label : "";
  }
  function loadHot() {
    var url = state.hotUnit === "trend" ? API + "hotspots/trend.geojson?" + q({ weeks: 8 })
      : API + "hotspots.geojson?" + q({ unit: state.hotUnit, permutations: 999 });
    return getJSON(url).then(function (fc) {
      hotParams = fc;
      hotLayer.clearLayers().addData(fc);
      probe.hot = fc.features.length;
      legend();
    });
  }

  /* ---------- legend ---------- */
  function fmt(v) { return v >= 100 ? Math.round(v) : Math.round(v * 10) / 10; }
  function legend() {
    var h = "";
    if (document.getElementById("l-choropleth").checked && state.breaks.length) {
      h += "<h3>" + S.metric_titles[state.metric] + "</h3>";
      var edges = [0].concat(state.breaks);
      h += '<div class="cols">';
      edges.forEach(function (b, i) {
        var hi = edges[i + 1];
        h += '<div class="row"><span class="sw" data-bg="' + classColour(i, state.breaks.length, RAMP) + '"></span>' +
          (hi !== undefined ? fmt(b) + " – " + fmt(hi) : "≥ " + fmt(b)) + "</div>";
      });
      h += "</div>";
    }
    if (document.getElementById("l-hex").checked && map.hasLayer(hexLayer) && (state.hexBreaks || []).length) {
      var hb = [0].concat(state.hexBreaks);
      h += "<h3>" + S.hex_title + "</h3><div class=\"cols\">";
      hb.forEach(function (b, i) {
        var hi = hb[i + 1];
        h += '<div class="row"><span class="sw" data-bg="' + classColour(i, state.hexBreaks.length, HEXRAMP) + '"></span>' +
          (hi !== undefined ? fmt(b) + " – " + fmt(hi) : "≥ " + fmt(b)) + "</div>";
      });
      h += "</div>";
    }
    if (document.getElementById("l-cases").checked) {
      h += "<h3>" + S.warning + "</h3><div class='row'>";
      ["red", "orange", "yellow", "blue", "overdue"].forEach(function (c) {
        h += '<span class="dot" data-bg="' + WARN[c] + '"></span>' + S.colours[c] + "&nbsp;";
      });
      h += "</div>";
    }
    if (document.getElementById("l-hot").checked && hotParams) {
      var list = state.hotUnit === "trend" ? CFG.trend_classes : CFG.hotspot_classes;
      h += "<h3>" + (state.hotUnit === "trend" ? S.trend_title : S.hot_title) + "</h3>";
      h += '<div class="cols">';
      list.forEach(function (c) {
        var n = hotParams.summary[c.key];
        h += '<div class="row"><span class="sw" data-bg="' + c.colour + '"></span>' + (c.short || c.label) +
          (n !== undefined ? " · " + n : "") + "</div>";
      });
      h += "</div>";
      var p = hotParams.params;
      h += '<div class="params">' + p.statistic + " · " + p.unit_label + " · " + (p.variable || "") + "<br>" +
        S.weights + "：" + p.weights_label + "<br>" +
        (p.permutations ? S.permutations + " " + p.permutations + "，" + S.seed + " " + p.seed + "，" : "") +
        p.multiple_testing + (p.weeks ? "<br>" + p.trend : "") +
        "<br>" + S.cells + " " + p.n + (p.zero_cells !== undefined ? "（" + S.zero_cells + " " + p.zero_cells + "）" : "") +
        " · " + (p.from ? p.from + " ~ " : "") + (p.to || "") + "</div>";
    }
    document.getElementById("legend").innerHTML = h || "&nbsp;";
    paint(document.getElementById("legend"));
  }

  /* ---------- details (no personal data) ---------- */
  function detail(title, rows) {
    var el = document.getElementById("detail");
    el.innerHTML = '<span class="close">×</span><h2>' + title + "</h2><dl>" + rows.map(function (r) {
      return "<dt>" + r[0] + "</dt><dd>" + (r[1] === null || r[1] === undefined || r[1] === "" ? "—" : r[1]) + "</dd>";
    }).join("") + "</dl>";
    paint(el);
    el.hidden = false;
    el.querySelector(".close").onclick = function () { el.hidden = true; };
  }
  /* Colours go in data-bg and are set here as element.style: HTML style="" attributes break the CSP. */
  function paint(root) {
    root.querySelectorAll("[data-bg]").forEach(function (n) { n.style.background = n.dataset.bg; });
  }
  function esc(s) { return String(s === null || s === undefined ? "" : s).replace(/[&<>"]/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }
  function showCase(number) {
    getJSON(API + "cases/" + encodeURIComponent(number) + "/").then(function (c) {
      detail(S.case + " " + esc(c.number), [
        [S.category, esc(c.category_group ? c.category_group + " / " + c.category : c.category)],
        [S.warning, '<span class="wdot" data-bg="' + WARN[c.colour] + '"></span> ' + S.colours[c.colour]],
        [S.status, esc(c.status_label)], [S.urgency, esc(c.urgency_label)],
        [S.received, esc(c.received_at)], [S.closed_at, esc(c.closed_at)],
        [S.due, esc(c.next_due)], [S.lead, esc(c.lead_department)],
        [S.street, esc(c.street)], [S.community, esc(c.community)], [S.grid, esc(c.grid_name)]
      ]);
    });
  }
  function showGrid(code) {
    getJSON(API + "grids/" + encodeURIComponent(code) + "/?" + q()).then(function (g) {
      detail(esc(g.name), [
        [S.code, esc(g.code)], [S.street, esc(g.street)], [S.community, esc(g.community)],
        [S.population, g.population], [S.area, g.area_km2 + " km²"], [S.workers, g.workers],
        [S.open, g.open], [S.overdue, g.overdue], [S.period_total, g.total], [S.closure_rate, g.closure_rate === null ? "" : g.closure_rate + "%"],
        [S.per_1000, g.per_1000], [S.top_categories, g.categories.map(function (c) { return esc(c.name) + " " + c.n; }).join("<br>")]
      ]);
    });
  }

  /* ---------- side panels ---------- */
  var charts = {};
  function chart(id) {
    if (!charts[id]) charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    return charts[id];
  }
  var AXIS = { axisLine: { lineStyle: { color: "#2a4a77" } }, axisLabel: { color: "#8fa7cc", fontSize: 12 },
               splitLine: { lineStyle: { color: "rgba(42,74,119,.35)" } } };
  function num(n) { return n === null || n === undefined ? "–" : n.toLocaleString("zh-CN"); }
  var lastTicker = {};
  function drawDashboard(d) {
    var k = d.kpi;
    document.getElementById("k-today").textContent = num(k.today_intake);
    document.getElementById("k-closed").textContent = num(k.today_closed);
    document.getElementById("k-open").textContent = num(k.open);
    document.getElementById("k-overdue").textContent = k.overdue_known ? num(k.overdue) : S.unknown;
    document.getElementById("colours").innerHTML = ["red", "orange", "yellow", "blue", "overdue"].map(function (c) {
      return '<div data-bg="' + WARN[c] + '"><b>' + num(k.by_colour[c]) + "</b>" + S.colours[c] + "</div>";
    }).join("");
    paint(document.getElementById("colours"));
    chart("ch-trend").setOption({
      grid: { left: 48, right: 12, top: 28, bottom: 24 }, tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { data: [S.intake, S.closed], textStyle: { color: "#9fb6da" }, top: 0, right: 0 },
      xAxis: Object.assign({ type: "category", data: d.trend.map(function (r) { return r.day; }) }, AXIS),
      yAxis: Object.assign({ type: "value" }, AXIS),
      series: [
        { name: S.intake, type: "line", smooth: true, symbol: "none", data: d.trend.map(function (r) { return r.intake; }),
          lineStyle: { color: "#27d3ff", width: 2 }, areaStyle: { color: "rgba(39,211,255,.18)" } },
        { name: S.closed, type: "line", smooth: true, symbol: "none", data: d.trend.map(function (r) { return r.closed; }),
          lineStyle: { color: "#5dffa7", width: 2 }, areaStyle: { color: "rgba(93,255,167,.10)" } }
      ] }, true);
    var cats = d.categories.slice().reverse();
    chart("ch-cats").setOption({
      grid: { left: 118, right: 40, top: 6, bottom: 18 }, tooltip: { renderMode: "richText" },
      xAxis: Object.assign({ type: "value" }, AXIS),
      yAxis: Object.assign({ type: "category", data: cats.map(function (r) { return r.name; }) }, AXIS),
      series: [{ type: "bar", data: cats.map(function (r) { return r.n; }), barWidth: "58%",
                 label: { show: true, position: "right", color: "#cfe3ff" },
                 itemStyle: { color: new echarts.graphic.LinearGradient(0, 0, 1, 0, [{ offset: 0, color: "#1464a5" }, { offset: 1, color: "#27d3ff" }]) } }]
    }, true);
    var streets = d.streets.slice(0, 11).reverse();
    chart("ch-streets").setOption({
      grid: { left: 96, right: 46, top: 6, bottom: 18 }, tooltip: { formatter: function (p) {
        var r = streets[p.dataIndex];
        return esc(r.name) + "<br>" + S.on_time_rate + " " + (r.on_time_rate === null ? "—" : r.on_time_rate + "%") + "<br>" +
          S.closure_rate + " " + (r.closure_rate === null ? "—" : r.closure_rate + "%") + "<br>" + S.period_total + " " + r.total;
      } },
      xAxis: Object.assign({ type: "value", max: 100 }, AXIS),
      yAxis: Object.assign({ type: "category", data: streets.map(function (r) { return r.name; }) }, AXIS),
      series: [{ type: "bar", barWidth: "58%", data: streets.map(function (r) { return r.on_time_rate === null ? r.closure_rate : r.on_time_rate; }),
                 label: { show: true, position: "right", color: "#cfe3ff", formatter: "{c}%" },
                 itemStyle: { color: function (p) { return p.value >= 90 ? "#5dffa7" : p.value >= 75 ? "#ffd21f" : "#ff6b6b"; } } }]
    }, true);
    document.getElementById("rank-source").textContent = d.rankings && d.rankings.source === "evaluation"
      ? S.rank_evaluation + " " + d.rankings.computed_at : S.rank_live;
    var tb = document.querySelector("#t-depts tbody");
    tb.innerHTML = d.departments.slice(0, 9).map(function (r) {
      function cell(v) { return '<td class="' + (v !== null && v < 80 ? "low" : "") + '">' + (v === null ? "—" : v + "%") + "</td>"; }
      return "<tr><td>" + esc(r.name) + "</td>" + cell(r.accept_rate) + cell(r.on_time_rate) + cell(r.satisfaction_rate) + "</tr>";
    }).join("") || '<tr><td colspan="4">' + S.no_dispatch + "</td></tr>";
    var ul = document.getElementById("ticker");
    var seen = lastTicker;
    lastTicker = {};
    ul.innerHTML = "";
    d.ticker.forEach(function (r) {
      lastTicker[r.number] = 1;
      var li = document.createElement("li");
      if (!state.firstTicker && !seen[r.number]) li.className = "fresh";
      li.innerHTML = '<span class="wdot" data-bg="' + (WARN[r.colour] || WARN.blue) + '"></span><span class="t">' + esc(r.received_at) +
        '</span><span class="where">' + esc(r.street) + " · " + esc(r.grid_name) + " · " + esc(r.category) + "</span><span>" + esc(r.status_label) + "</span>";
      paint(li);
      li.onclick = function () { map.setView([r.lat, r.lon], Math.max(map.getZoom(), 15)); showCase(r.number); };
      ul.appendChild(li);
    });
    state.firstTicker = false;
    drawNewest(d.ticker);
  }
  function loadDashboard() { return getJSON(API + "dashboard/").then(function (d) { drawDashboard(d); probe.dashboard += 1; }); }

  /* ---------- which layers show at which zoom ---------- */
  function street() { return map.getZoom() >= CFG.street_zoom; }
  function syncLayers(reload) {
    var z = map.getZoom();
    var wantCases = document.getElementById("l-cases").checked;
    if (street()) {
      if (map.hasLayer(gridGeo)) map.removeLayer(gridGeo);
      if (!gridTiles) gridTiles = makeGridTiles();
      if (!map.hasLayer(gridTiles)) gridTiles.addTo(map); else if (reload) redrawTiles(gridTiles, gridTileUrl());
    } else {
      if (gridTiles && map.hasLayer(gridTiles)) map.removeLayer(gridTiles);
      if (!map.hasLayer(gridGeo)) gridGeo.addTo(map);
    }
    if (wantCases && z >= CFG.case_min_zoom) {
      if (!caseTiles) caseTiles = makeCaseTiles();
      if (!map.hasLayer(caseTiles)) caseTiles.addTo(map); else if (reload) redrawTiles(caseTiles, caseTileUrl());
    } else if (caseTiles && map.hasLayer(caseTiles)) map.removeLayer(caseTiles);
    if (wantCases) newest.addTo(map); else map.removeLayer(newest);
    var wantHex = document.getElementById("l-hex").checked && !street();
    if (wantHex) { if (!map.hasLayer(hexLayer)) hexLayer.addTo(map); track(loadHex()); } else map.removeLayer(hexLayer);
    if (document.getElementById("l-heat").checked) { if (!map.hasLayer(heat)) heat.addTo(map); track(loadHeat()); }
    else if (map.hasLayer(heat)) map.removeLayer(heat);
    if (document.getElementById("l-hot").checked) { if (!map.hasLayer(hotLayer)) hotLayer.addTo(map); }
    else map.removeLayer(hotLayer);
    document.getElementById("zoomhint").textContent = (street() ? S.hint_street : S.hint_district) + " · z" + z.toFixed(1);
  }
  function refreshAll() {
    track(loadDashboard());
    track(loadGrids());
    if (document.getElementById("l-hot").checked) track(loadHot());
    syncLayers(true);
  }

  /* ---------- controls ---------- */
  CFG.categories.forEach(function (c) {
    var o = document.createElement("option");
    o.value = c.code; o.textContent = c.name;
    document.getElementById("f-category").appendChild(o);
  });
  document.getElementById("f-period").onchange = function (e) { state.period = e.target.value; refreshAll(); };
  document.getElementById("f-category").onchange = function (e) { state.category = e.target.value; refreshAll(); };
  document.querySelectorAll("#metric button").forEach(function (b) {
    b.onclick = function () {
      document.querySelectorAll("#metric button").forEach(function (x) { x.classList.toggle("on", x === b); });
      state.metric = b.dataset.m; restyleGrids();
    };
  });
  document.querySelectorAll("#hot-unit button").forEach(function (b) {
    b.onclick = function () {
      document.querySelectorAll("#hot-unit button").forEach(function (x) { x.classList.toggle("on", x === b); });
      state.hotUnit = b.dataset.u; document.getElementById("l-hot").checked = true; syncLayers(false); track(loadHot());
    };
  });
  ["l-choropleth", "l-cases", "l-hex", "l-heat"].forEach(function (id) {
    document.getElementById(id).onchange = function () { restyleGrids(); syncLayers(false); };
  });
  document.getElementById("l-hot").onchange = function (e) { syncLayers(false); if (e.target.checked) track(loadHot()); legend(); };
  map.on("zoomend", function () { syncLayers(false); });
  window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });

  /* ---------- clock and live updates ---------- */
  function tick() {
    var now = new Date();
    document.getElementById("clock").textContent = now.toLocaleTimeString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" });
    document.getElementById("date").textContent = now.toLocaleDateString("zh-CN", { timeZone: "Asia/Shanghai", weekday: "long", month: "long", day: "numeric" });
  }
  setInterval(tick, 1000); tick();
  function poll() {
    fetch(API + "version/", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (v) {
      document.getElementById("live").classList.remove("stale");
      var bucket = Math.floor(Date.now() / 60000);
      if (v.version !== state.version || bucket !== state.bucket) {
        var first = state.version === null;
        state.version = v.version; state.bucket = bucket;
        if (first) refreshAll(); else { track(loadDashboard()); track(loadGrids()); syncLayers(true);
          if (document.getElementById("l-hot").checked) track(loadHot()); }
      }
    }).catch(function () { document.getElementById("live").classList.add("stale"); });
  }
  if (CFG.title) document.getElementById("title").textContent = CFG.title;
  poll();
  setInterval(poll, CFG.poll_seconds * 1000);
})();
