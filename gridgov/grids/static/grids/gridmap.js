/* Admin grid map: click a unit to see its children, Ctrl-click to edit it. Config from #gridmap-config. */
(function () {
  const cfg = JSON.parse(document.getElementById("gridmap-config").textContent);
  const map = L.map("gridmap", {preferCanvas: true});
  (cfg.tiles || []).forEach(t => L.tileLayer(t[1], {attribution: ""}).addTo(map));
  let layer = null;
  const esc = (v) => String(v).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})[c]);
  const palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"];
  async function show(code, trail) {
    const level = code ? Math.min(code.length / 3, 4) : 2;  // children of code; towns at the top
    const url = cfg.api + "?level=" + level + (code ? "&code_prefix=" + code : "") + "&simplify=0.00002";
    const data = await (await fetch(url, {credentials: "same-origin"})).json();
    if (!data.features.length) return;
    if (layer) map.removeLayer(layer);
    layer = L.geoJSON(data, {
      style: f => ({color: "#1f3b57", weight: 1.2, fillOpacity: .35,
                    fillColor: palette[parseInt(f.properties.code.slice(-3), 10) % palette.length]}),
      onEachFeature: (f, l) => {
        const p = f.properties;
        const esc = v => String(v ?? "").replace(/[&<>"]/g, c => "&#" + c.charCodeAt(0) + ";");
        l.bindTooltip(esc(p.name) + "<br>" + esc(p.code) + "<br>" + (p.area_m2 / 1e6).toFixed(3) + " km²" +
                      (p.population ? "<br>" + cfg.pop + " " + p.population : ""), {sticky: true});
        l.on("click", e => {
          if (e.originalEvent.ctrlKey || e.originalEvent.metaKey || p.level === 4) {
            window.location = cfg.change + "?code=" + p.code; return;
          }
          show(p.code, trail.concat([[p.code, p.name]]));
        });
      },
    }).addTo(map);
    map.fitBounds(layer.getBounds());
    const crumbs = document.getElementById("crumbs");
    crumbs.innerHTML = "";
    [["", cfg.all]].concat(trail).forEach(([c, n], i) => {
      if (i) crumbs.append(" › ");
      const a = document.createElement("a"); a.textContent = n;
      a.onclick = () => show(c, trail.slice(0, i)); crumbs.append(a);
    });
    document.getElementById("summary").textContent = data.features.length + " " + cfg.units;
  }
  show("", []);
})();

