"""Hotspot analysis as a GIS analyst expects it.

Getis-Ord Gi* (esda.G_Local, star=True: the focal cell counts in its own neighbourhood) on the number of
cases received in a period (or cases per 1,000 residents) per grid unit or per hexagon, every cell
included (zeros too). Binary weights, stated in the result: Queen contiguity, or a distance band.
Inference by conditional permutation (fixed seed): esda's folded pseudo p-value is one-sided in the
observed direction, so the two-sided p is min(1, 2·p_sim); with 999 permutations the smallest attainable
is 0.002. Multiple testing: Benjamini–Hochberg false discovery rate (esda.fdr) at each confidence
level. The 7 conventional classes: hot/cold spot at 99 / 95 / 90 % confidence, and not significant.

Space-time (space_time): Gi* per week over the last N weeks, Mann-Kendall trend of each cell's weekly
z-scores, and the categories of emerging hot spot analysis: new, consecutive, intensifying, persistent,
diminishing, sporadic, historical.
"""
import json
import math
import threading

import numpy as np
from django.db import connection

from gridgov.core.errors import FieldError

from . import aggregates, cache, weights
from .trend import mann_kendall

DEFAULT_SEED = 12345
# An analysis may be this many seconds behind the newest case (it says which data version it used).
ANALYSIS_MAX_STALE = 300
DEFAULT_PERMUTATIONS = 999
LEVELS = ((1, 0.10), (2, 0.05), (3, 0.01))
CLASSES = [
    {"class": 3, "key": "hot99", "short": "热点 99%", "label": "热点（99% 置信）", "colour": "#d7191c"},
    {"class": 2, "key": "hot95", "short": "热点 95%", "label": "热点（95% 置信）", "colour": "#f07c4a"},
    {"class": 1, "key": "hot90", "short": "热点 90%", "label": "热点（90% 置信）", "colour": "#fec980"},
    {"class": 0, "key": "ns", "short": "不显著", "label": "不显著", "colour": "#9aa5b1"},
    {"class": -1, "key": "cold90", "short": "冷点 90%", "label": "冷点（90% 置信）", "colour": "#c7e6db"},
    {"class": -2, "key": "cold95", "short": "冷点 95%", "label": "冷点（95% 置信）", "colour": "#7fb6d5"},
    {"class": -3, "key": "cold99", "short": "冷点 99%", "label": "冷点（99% 置信）", "colour": "#2c7bb6"},
]
TREND_CLASSES = [
    {"key": "new", "label": "新增热点", "colour": "#ff3b6b"},
    {"key": "consecutive", "label": "连续热点", "colour": "#ff8c42"},
    {"key": "intensifying", "label": "加剧热点", "colour": "#d7191c"},
    {"key": "persistent", "label": "持续热点", "colour": "#a50f15"},
    {"key": "diminishing", "label": "减弱热点", "colour": "#fdae61"},
    {"key": "sporadic", "label": "零星热点", "colour": "#f4d35e"},
    {"key": "historical", "label": "历史热点", "colour": "#8c6d62"},
    {"key": "none", "label": "无热点模式", "colour": "#5b6675"},
]

_warm = threading.Event()


def gistar(y, w, permutations=DEFAULT_PERMUTATIONS, seed=DEFAULT_SEED, fdr=True):
    """z-scores, two-sided pseudo p-values and the 7 classes (-3..3) of Gi* for y over W."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n < 3 or np.allclose(y, y[0]):
        return np.zeros(n), np.ones(n), np.zeros(n, dtype=int)
    from esda.getisord import G_Local

    g = G_Local(y, w, transform="B", permutations=permutations, star=True, seed=seed, n_jobs=1,
                keep_simulations=False)
    z = np.nan_to_num(np.asarray(g.Zs, dtype=float))
    if permutations:
        p = np.minimum(1.0, 2.0 * np.asarray(g.p_sim, dtype=float))
    else:
        p = np.minimum(1.0, 2.0 * np.asarray(g.p_norm, dtype=float))
    return z, p, classify(z, p, fdr)


def classify(z, p, fdr=True):
    from esda import fdr as fdr_threshold

    cls = np.zeros(len(z), dtype=int)
    for level, alpha in LEVELS:
        significant = p < fdr_threshold(p, alpha) if fdr else p <= alpha
        cls[significant] = level
    return cls * np.sign(z).astype(int)


def warm_up():
    """Import esda and run it once (the first G_Local call in a process is several times slower)."""
    if _warm.is_set():
        return
    from libpysal.weights import lat2W

    gistar(np.arange(25.0), lat2W(5, 5, rook=False), permutations=99)
    _warm.set()


def _summary(cls):
    return {c["key"]: int(np.sum(cls == c["class"])) for c in CLASSES}


def _params(**kw):
    base = {"statistic": "Getis-Ord Gi*", "star": True, "transform": "binary",
            "inference": "条件置换检验，双侧伪 p = min(1, 2·p_sim)" if kw.get("permutations") else "正态近似",
            "multiple_testing": "Benjamini–Hochberg FDR" if kw.get("fdr") else "无校正"}
    base.update(kw)
    if kw.get("permutations"):
        base["min_p"] = round(2.0 / (kw["permutations"] + 1), 5)
    return base


def _grid_geometries(ids, tolerance=0.0001):
    key = ("geom", tuple(ids), tolerance)
    return weights._memo(key + (weights._grid_fingerprint(),), lambda: _load_geometries(ids, tolerance))


def _load_geometries(ids, tolerance):
    with connection.cursor() as cur:
        cur.execute("""
            SELECT u.id, ST_AsGeoJSON(ST_SimplifyPreserveTopology(u.geom, %s), 4), u.name
            FROM grids_gridunit u WHERE u.id = ANY(%s)
        """, [tolerance, list(ids)])
        return {r[0]: (r[1], r[2]) for r in cur.fetchall()}


def _feature(geometry_json, props):
    return '{"type":"Feature","geometry":%s,"properties":%s}' % (geometry_json, json.dumps(props, ensure_ascii=False))


def _collection(features, extra):
    head = json.dumps(extra, ensure_ascii=False)[1:-1]
    return ('{"type":"FeatureCollection","features":[' + ",".join(features) + "]," + head + "}").encode()


def _need_cells(n):
    if n < 3:
        raise FieldError("unit", "too_few_cells", "可分析的网格不足 3 个（有人口的网格才能按每千人分析）",
                         "fewer than 3 grids to analyse (rates need grids with a population)")


def check_params(permutations, weights_kind, metric, unit):
    if permutations not in (0, 99, 199, 499, 999, 9999):
        raise FieldError("permutations", "invalid_choice", "置换次数应为 0/99/199/499/999/9999",
                         "permutations must be 0/99/199/499/999/9999")
    if weights_kind not in ("queen", "distance"):
        raise FieldError("weights", "invalid_choice", "权重应为 queen 或 distance", "weights must be queen or distance")
    if metric not in ("count", "rate"):
        raise FieldError("metric", "invalid_choice", "指标应为 count 或 rate", "metric must be count or rate")
    if metric == "rate" and unit != "grid":
        raise FieldError("metric", "rate_needs_population", "六边形没有人口数据，只能按数量分析",
                         "hexagons have no population: use metric=count")


def grid_hotspots(filters, metric="count", weights_kind="queen", threshold=None,
                  permutations=DEFAULT_PERMUTATIONS, seed=DEFAULT_SEED, fdr=True, use_cache=True):
    """(version, GeoJSON bytes, cache hit): Gi* classes per active grid, with legend and parameters."""
    check_params(permutations, weights_kind, metric, "grid")
    key = f"hot/grid/{metric}/{weights_kind}/{threshold}/{permutations}/{seed}/{int(fdr)}/{filters.key}"

    def build():
        version, rows = aggregates.grid_counts(filters)
        if metric == "rate":
            rows = [r for r in rows if r[3] and r[3] > 0]
        ids = [r[0] for r in rows]
        _need_cells(len(ids))
        y = np.array([r[2] * 1000.0 / r[3] if metric == "rate" else r[2] for r in rows], dtype=float)
        if weights_kind == "queen":
            w, band = weights.grid_queen(ids), None
            wdesc = "Queen 邻接（共边或共点）"
        else:
            w, band = weights.grid_distance(ids, threshold)
            wdesc = f"距离带 {band:.0f} 米（网格内点，二值）"
        z, p, cls = gistar(y, w, permutations, seed, fdr)
        geoms = _grid_geometries(ids)
        features = [_feature(geoms[i][0], {"id": i, "code": code, "name": geoms[i][1], "value": round(float(v), 3),
                                           "z": round(float(zz), 3), "p": round(float(pp), 4), "class": int(c)})
                    for (i, code, *_), v, zz, pp, c in zip(rows, y, z, p, cls)]
        params = _params(unit="grid", unit_label="网格", n=len(ids), zero_cells=int(np.sum(y == 0)),
                         variable="每千人案件数" if metric == "rate" else "案件数", metric=metric,
                         weights=weights_kind, weights_label=wdesc, band_m=band,
                         islands=len(getattr(w, "islands", [])), permutations=permutations, seed=seed,
                         fdr=fdr, **filters.describe(), version=version)
        return version, _collection(features, {"legend": CLASSES, "params": params, "summary": _summary(cls)})

    if not use_cache:
        version, body = build()
        return version, body, False
    return cache.cached(key, build, aggregates.GEOJSON, clocked=False, max_stale=ANALYSIS_MAX_STALE)


def hex_hotspots(filters, size=1000, permutations=DEFAULT_PERMUTATIONS, seed=DEFAULT_SEED, fdr=True,
                 use_cache=True):
    """Gi* per hexagon (edge `size` m, every cell over the district, zeros included), hexagon Queen weights."""
    check_params(permutations, "queen", "count", "hex")
    if not 200 <= size <= 10000:
        raise FieldError("size", "out_of_range", "六边形边长应在 200–10000 米之间", "hexagon size must be 200-10000 m")
    key = f"hot/hex/{size}/{permutations}/{seed}/{int(fdr)}/{filters.key}"

    def build():
        version, fc = aggregates.hex_counts(filters, size)
        feats = fc["features"]
        cells = [(f["properties"]["i"], f["properties"]["j"]) for f in feats]
        y = np.array([f["properties"]["n"] for f in feats], dtype=float)
        if len(cells) < 3:
            raise FieldError("unit", "too_few_cells", "区域内六边形不足 3 个，无法分析（检查区县边界或减小边长）",
                             "fewer than 3 hexagons over the district: check the district boundary or use a smaller size")
        w, band = weights.hex_queen(cells, size)
        z, p, cls = gistar(y, w, permutations, seed, fdr)
        out = [_feature(json.dumps(f["geometry"]), {"i": i, "j": j, "value": int(v), "z": round(float(zz), 3),
                                                    "p": round(float(pp), 4), "class": int(c)})
               for f, (i, j), v, zz, pp, c in zip(feats, cells, y, z, p, cls)]
        params = _params(unit="hex", unit_label=f"六边形（边长 {size} 米）", n=len(cells),
                         zero_cells=int(np.sum(y == 0)), variable="案件数", metric="count", weights="queen",
                         weights_label=f"六边形 Queen 邻接（6 邻元，中心距 ≤ {band:.0f} 米）", band_m=band,
                         permutations=permutations, seed=seed, fdr=fdr, size_m=size, **filters.describe(),
                         version=version)
        return version, _collection(out, {"legend": CLASSES, "params": params, "summary": _summary(cls)})

    if not use_cache:
        version, body = build()
        return version, body, False
    return cache.cached(key, build, aggregates.GEOJSON, clocked=False, max_stale=ANALYSIS_MAX_STALE)


WEEKLY_SQL = """
SELECT maps_data_version(), g.id, g.code, coalesce(wk.k, -1), coalesce(wk.n, 0)
FROM grids_gridunit g
LEFT JOIN (
    SELECT c.grid_id, floor(extract(epoch FROM (%(p_end)s - c.received_at)) / 604800)::int AS k, count(*) AS n
    FROM cases_case c
    WHERE c.received_at >= %(p_end)s - make_interval(weeks => %(weeks)s) AND c.received_at < %(p_end)s AND {category}
    GROUP BY 1, 2
) wk ON wk.grid_id = g.id
WHERE g.level = 4 AND g.is_active
ORDER BY g.id
"""


def emerging_category(hot, cold, trend):
    """ArcGIS-style emerging hot spot category from weekly hot/cold flags (oldest first) and the MK trend."""
    n = len(hot)
    need = math.ceil(0.9 * n)
    total = int(np.sum(hot))
    final = bool(hot[-1])
    if total == 0:
        return "none"
    if not final:
        return "historical" if total >= need else "none"
    if total == 1:
        return "new"
    if total >= need:
        return {"up": "intensifying", "down": "diminishing"}.get(trend, "persistent")
    run = 0
    for flag in hot[::-1]:
        if not flag:
            break
        run += 1
    if run >= 2 and run == total:
        return "consecutive"
    return "sporadic"


def space_time(filters, weeks=8, permutations=DEFAULT_PERMUTATIONS, seed=DEFAULT_SEED, use_cache=True):
    """(version, GeoJSON bytes, hit): per grid, the emerging hot spot category over the last `weeks` weeks
    (ending with the period's last day), from weekly Gi* (FDR, 90 %) and Mann-Kendall on weekly z."""
    check_params(permutations, "queen", "count", "grid")
    if not 3 <= weeks <= 52:
        raise FieldError("weeks", "out_of_range", "周数应在 3–52 之间", "weeks must be 3-52")
    key = f"hot/trend/{weeks}/{permutations}/{seed}/{filters.key}"

    def build():
        with connection.cursor() as cur:
            cur.execute(WEEKLY_SQL.format(category=filters.category_sql("c")), {**filters.params(), "weeks": weeks})
            rows = cur.fetchall()
        version = rows[0][0] if rows else cache.current_version()
        ids, codes, index = [], [], {}
        for _, gid, code, _k, _n in rows:
            if gid not in index:
                index[gid] = len(ids)
                ids.append(gid)
                codes.append(code)
        _need_cells(len(ids))
        counts = np.zeros((len(ids), weeks))
        for _, gid, _c, k, n in rows:
            if 0 <= k < weeks:
                counts[index[gid], weeks - 1 - k] = n   # column 0 = oldest week
        w = weights.grid_queen(ids)
        zs = np.zeros_like(counts)
        classes = np.zeros(counts.shape, dtype=int)
        for t in range(weeks):
            zs[:, t], _p, classes[:, t] = gistar(counts[:, t], w, permutations, seed + t, True)
        geoms = _grid_geometries(ids)
        features, tally = [], {c["key"]: 0 for c in TREND_CLASSES}
        for r, gid in enumerate(ids):
            mk = mann_kendall(zs[r])
            cat = emerging_category(classes[r] > 0, classes[r] < 0, mk["trend"])
            tally[cat] += 1
            features.append(_feature(geoms[gid][0], {
                "id": gid, "code": codes[r], "name": geoms[gid][1], "category": cat,
                "weeks_hot": int(np.sum(classes[r] > 0)), "mk_tau": round(mk["tau"], 3), "mk_p": round(mk["p"], 4),
                "z": [round(float(v), 2) for v in zs[r]], "counts": [int(v) for v in counts[r]]}))
        params = _params(unit="grid", unit_label="网格", n=len(ids), weeks=weeks, permutations=permutations,
                         seed=seed, fdr=True, weights="queen", weights_label="Queen 邻接（共边或共点）",
                         variable="每周案件数", hot_level="90% 置信（FDR）",
                         trend="Mann-Kendall（周 Gi* z 值，双侧 5%）", persistent_rule=f"≥ {math.ceil(0.9 * weeks)} 周为热点",
                         to=filters.last_day.isoformat(), category=filters.category, version=version)
        return version, _collection(features, {"legend": TREND_CLASSES, "params": params, "summary": tally})

    if not use_cache:
        version, body = build()
        return version, body, False
    return cache.cached(key, build, aggregates.GEOJSON, clocked=False, max_stale=ANALYSIS_MAX_STALE)
