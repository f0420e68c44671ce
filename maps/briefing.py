"""Briefing export for leaders: a standalone HTML map (folium) and a PNG of the hotspot analysis for a
chosen period and category, with title, legend, parameters and date. Both work with no internet:
folium's CDN links are replaced by the Leaflet files installed locally (var/assets/vendor, from npm),
inlined into the HTML; there is no base map (grid outlines are the map)."""
import datetime as dt
import json
import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils import timezone

from gridgov.core.errors import FieldError

from . import hotspots
from .filters import local_tz

ASSETS = {"leaflet_js": "vendor/leaflet/leaflet.js", "leaflet_css": "vendor/leaflet/leaflet.css"}


def _asset(name):
    path = finders.find(ASSETS[name])
    if not path:
        raise FieldError("assets", "missing_asset", f"缺少本地前端资源 {ASSETS[name]}：请先运行 scripts/assets.sh",
                         f"local asset {ASSETS[name]} is missing: run scripts/assets.sh")
    return Path(path).read_text(encoding="utf-8")


def analysis(filters, unit="grid", size=1000, permutations=999, seed=hotspots.DEFAULT_SEED):
    if unit == "hex":
        body = hotspots.hex_hotspots(filters, size=size, permutations=permutations, seed=seed)[1]
    else:
        body = hotspots.grid_hotspots(filters, permutations=permutations, seed=seed)[1]
    return json.loads(body)


def title_for(filters, county_name):
    from gridgov.cases.models import Category

    name = Category.objects.filter(code=filters.category).values_list("name", flat=True).first() if filters.category else ""
    cat = f" · {name}" if name else ""
    return f"{county_name}案件热点分析（{filters.first_day:%Y-%m-%d} 至 {filters.last_day:%Y-%m-%d}{cat}）"


def params_text(p):
    lines = [f"{p['statistic']}，分析单元：{p['unit_label']}（{p['n']} 个，零值 {p['zero_cells']} 个），变量：{p['variable']}",
             f"空间权重：{p['weights_label']}；{p['inference']}；置换 {p['permutations']} 次，随机种子 {p['seed']}；"
             f"多重检验：{p['multiple_testing']}"]
    return lines


def _inline(html):
    html = html.replace('<script src="LOCAL:leaflet_js"></script>', "<script>" + _asset("leaflet_js") + "</script>")
    html = html.replace('<link rel="stylesheet" href="LOCAL:leaflet_css"/>', "<style>" + _asset("leaflet_css") + "</style>")
    # Anything else that still points outside (a folium default we did not ask for) is dropped.
    html = re.sub(r'<script[^>]+src="https?://[^"]*"[^>]*>\s*</script>', "", html)
    html = re.sub(r'<link[^>]+href="https?://[^"]*"[^>]*/?>', "", html)
    return html


def html_map(fc, title, generated):
    import folium
    from branca.element import Element

    m = folium.Map(location=[33.0, 119.0], zoom_start=10, tiles=None, control_scale=True, prefer_canvas=True)
    m.default_js = [("leaflet", "LOCAL:leaflet_js")]
    m.default_css = [("leaflet_css", "LOCAL:leaflet_css")]
    colours = {c["class"]: c["colour"] for c in hotspots.CLASSES}

    def style(feature):
        cls = feature["properties"]["class"]
        return {"fillColor": colours[cls], "color": "#555" if cls == 0 else colours[cls], "weight": 0.5 if cls == 0 else 1.2,
                "fillOpacity": 0.25 if cls == 0 else 0.75}

    fields = [f for f in ("name", "value", "z", "p") if fc["features"] and f in fc["features"][0]["properties"]]
    layer = folium.GeoJson(fc, name="Gi*", style_function=style,
                           tooltip=folium.GeoJsonTooltip(fields=fields, aliases=[{"name": "网格", "value": "案件数",
                                                                                  "z": "Gi* z", "p": "p"}[f] for f in fields]))
    layer.add_to(m)
    m.fit_bounds(layer.get_bounds())
    legend = "".join(f'<div><span style="display:inline-block;width:14px;height:10px;background:{c["colour"]};'
                     f'margin-right:6px"></span>{c["label"]}（{fc["summary"].get(c["key"], 0)}）</div>'
                     for c in hotspots.CLASSES)
    notes = "<br>".join(params_text(fc["params"]))
    box = (f'<div style="position:fixed;top:10px;left:50px;z-index:9999;background:rgba(255,255,255,.92);padding:8px 12px;'
           f'font:14px sans-serif;border:1px solid #999"><b style="font-size:17px">{title}</b><br>'
           f'<span style="color:#555">生成时间：{generated}；数据版本 {fc["params"]["version"]}</span></div>'
           f'<div style="position:fixed;bottom:20px;left:10px;z-index:9999;background:rgba(255,255,255,.92);padding:8px 12px;'
           f'font:13px sans-serif;border:1px solid #999;max-width:520px">{legend}<div style="color:#555;margin-top:4px;'
           f'font-size:12px">{notes}</div></div>')
    m.get_root().html.add_child(Element(box))
    return _inline(m.get_root().render())


def png_map(fc, title, generated, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager
    from matplotlib.patches import Patch
    from shapely.geometry import shape

    for candidate in ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "SimHei"):
        try:
            font_manager.findfont(candidate, fallback_to_default=False)
            plt.rcParams["font.family"] = candidate
            break
        except ValueError:
            continue
    colours = {c["class"]: c["colour"] for c in hotspots.CLASSES}
    fig, ax = plt.subplots(figsize=(12, 12), dpi=120)
    for f in fc["features"]:
        geom = shape(f["geometry"])
        cls = f["properties"]["class"]
        for poly in getattr(geom, "geoms", [geom]):
            x, y = poly.exterior.xy
            ax.fill(x, y, facecolor=colours[cls], edgecolor="#666" if cls == 0 else "#333",
                    linewidth=0.3, alpha=0.9 if cls else 0.35)
    ax.set_aspect(1 / 0.84)  # ~1/cos(33°): lon/lat degrees shown at about equal ground scale
    ax.set_axis_off()
    ax.set_title(title, fontsize=17, pad=14)
    handles = [Patch(facecolor=c["colour"], edgecolor="#333", label=f'{c["label"]}（{fc["summary"].get(c["key"], 0)}）')
               for c in hotspots.CLASSES]
    ax.legend(handles=handles, loc="lower left", fontsize=10, title="Getis-Ord Gi*", framealpha=0.9)
    ax.annotate("N ↑", xy=(0.96, 0.95), xycoords="axes fraction", fontsize=16, ha="center")
    fig.text(0.02, 0.02, "\n".join(params_text(fc["params"]) + [f"生成时间：{generated}；数据版本 {fc['params']['version']}"]),
             fontsize=9, color="#444", va="bottom")
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def export(filters, out_dir, unit="grid", size=1000, permutations=999, seed=hotspots.DEFAULT_SEED, county_name=None):
    """Write briefing-<from>-<to>[-category].html and .png into out_dir; returns both paths."""
    from gridgov.grids.models import GridUnit

    fc = analysis(filters, unit, size, permutations, seed)
    county_name = county_name or (GridUnit.objects.filter(level=1, is_active=True).order_by("code")
                                  .values_list("name", flat=True).first() or "")
    generated = timezone.localtime(timezone.now(), local_tz()).strftime("%Y-%m-%d %H:%M")
    title = title_for(filters, county_name)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"briefing-{filters.first_day:%Y%m%d}-{filters.last_day:%Y%m%d}" + (f"-{filters.category}" if filters.category else "")
    html_path, png_path = out_dir / f"{stem}.html", out_dir / f"{stem}.png"
    html_path.write_text(html_map(fc, title, generated), encoding="utf-8")
    png_map(fc, title, generated, png_path)
    return html_path, png_path
