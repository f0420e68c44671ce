"""Thin views of the map wall: the page (/mapwall/) and its data (/api/v1/maps/...).

Every data response carries an ETag of the data version (and clock bucket), so a poll that finds
nothing new costs one small query and a 304."""
import hashlib
import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import BasePermission

from gridgov.accounts.models import Role
from gridgov.alerts.vocabulary import COLOUR_LABELS as ALERT_COLOUR_LABELS
from gridgov.alerts.vocabulary import COLOURS as ALERT_COLOURS
from gridgov.cases.models import Category
from gridgov.grids.models import GridUnit

from . import aggregates, cache, conf, hotspots, selectors, tiles
from .filters import choice_param, int_param, parse_filters

WALL_ROLES = {Role.MONITOR, Role.DISPATCHER, Role.ADMIN, Role.LEADER}


def can_view_wall(user):
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in WALL_ROLES))


class CanViewWall(BasePermission):
    message = "只有监督中心、指挥中心、领导和管理员可以查看大屏 / map wall roles only"

    def has_permission(self, request, view):
        return can_view_wall(request.user)


def _etag(key, version, hit_bucket=True):
    digest = hashlib.blake2s(f"{key}|{version}|{cache.clock_bucket()}".encode(), digest_size=8).hexdigest()
    return f'"{digest}"'


def _respond(request, key, result, content_type, max_age=0):
    version, body, hit = result
    etag = _etag(key, version)
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = f"private, max-age={max_age}, must-revalidate"
    response["X-Data-Version"] = str(version)
    response["X-Cache"] = "hit" if hit else "miss"
    return response


def wall_api(fn):
    return api_view(["GET"])(permission_classes([CanViewWall])(fn))


@wall_api
def version_view(request):
    return JsonResponse({"version": cache.current_version(), "now": timezone.localtime().isoformat(),
                         "poll_seconds": conf.poll_seconds()})


@wall_api
def case_tile_view(request, z, x, y):
    filters = parse_filters(request.GET)
    return _respond(request, f"c{z}/{x}/{y}{filters.key}", tiles.case_tile(z, x, y, filters), tiles.CONTENT_TYPE)


@wall_api
def grid_tile_view(request, z, x, y):
    filters = parse_filters(request.GET)
    return _respond(request, f"g{z}/{x}/{y}{filters.key}", tiles.grid_tile(z, x, y, filters), tiles.CONTENT_TYPE)


@wall_api
def grids_geojson_view(request):
    filters = parse_filters(request.GET)
    zoom = int_param(request.GET, "z", 11, 6, 18)
    return _respond(request, f"grids{zoom}{filters.key}", aggregates.grid_choropleth(filters, zoom),
                    aggregates.GEOJSON)


@wall_api
def hexbins_view(request):
    filters = parse_filters(request.GET)
    zoom = int_param(request.GET, "z", 11, 6, 18)
    what = choice_param(request.GET, "what", ["open", "period"], "open")
    return _respond(request, f"hex{zoom}{what}{filters.key}", aggregates.hexbins(filters, zoom=zoom, what=what),
                    aggregates.GEOJSON)


@wall_api
def heat_view(request):
    filters = parse_filters(request.GET)
    zoom = int_param(request.GET, "z", 11, 6, 18)
    return _respond(request, f"heat{zoom}{filters.key}", aggregates.heat(filters, zoom), aggregates.JSON)


@wall_api
def hotspots_view(request):
    filters = parse_filters(request.GET)
    unit = choice_param(request.GET, "unit", ["grid", "hex"], "grid")
    permutations = int_param(request.GET, "permutations", hotspots.DEFAULT_PERMUTATIONS, 0, 9999)
    seed = int_param(request.GET, "seed", hotspots.DEFAULT_SEED, 0, 2**31 - 1)
    fdr = request.GET.get("fdr", "1") not in ("0", "false", "no")
    if unit == "hex":
        hotspots.check_params(permutations, "queen", choice_param(request.GET, "metric", ["count", "rate"], "count"), "hex")
        size = int_param(request.GET, "size", 1000, 200, 10000)
        result = hotspots.hex_hotspots(filters, size=size, permutations=permutations, seed=seed, fdr=fdr)
    else:
        metric = choice_param(request.GET, "metric", ["count", "rate"], "count")
        weights_kind = choice_param(request.GET, "weights", ["queen", "distance"], "queen")
        band = int_param(request.GET, "band", 0, 0, 100000) or None
        result = hotspots.grid_hotspots(filters, metric=metric, weights_kind=weights_kind, threshold=band,
                                        permutations=permutations, seed=seed, fdr=fdr)
    return _respond(request, "hot" + request.get_full_path(), result, aggregates.GEOJSON)


@wall_api
def space_time_view(request):
    filters = parse_filters(request.GET, default_period="today")
    weeks = int_param(request.GET, "weeks", 8, 3, 52)
    permutations = int_param(request.GET, "permutations", hotspots.DEFAULT_PERMUTATIONS, 0, 9999)
    result = hotspots.space_time(filters, weeks=weeks, permutations=permutations)
    return _respond(request, "trend" + request.get_full_path(), result, aggregates.GEOJSON)


@wall_api
def dashboard_view(request):
    return _respond(request, "dashboard", selectors.dashboard(), "application/json")


@wall_api
def case_detail_view(request, number):
    return JsonResponse(selectors.case_detail(number), json_dumps_params={"ensure_ascii": False})


@wall_api
def grid_detail_view(request, code):
    filters = parse_filters(request.GET)
    key = f"griddetail/{code}/{filters.key}"

    def build():
        version = cache.current_version()
        return version, json.dumps(selectors.grid_detail(code, filters), ensure_ascii=False, default=str).encode()

    result = cache.cached(key, build, "application/json", clocked=True, max_stale=conf.WALL_MAX_STALE)
    return _respond(request, key, result, "application/json")


def _warm_analysis():
    """Import esda and build the grid weights in the background when the wall opens, so the first
    hotspot request of a fresh process does not pay for them."""
    import threading

    from django.db import connection as thread_connection

    def run():
        try:
            hotspots.warm_up()
            ids = [g for g in GridUnit.objects.filter(level=4, is_active=True).order_by("id").values_list("id", flat=True)]
            from . import weights

            weights.grid_queen(ids)
        finally:
            thread_connection.close()

    if not hotspots._warm.is_set():
        threading.Thread(target=run, daemon=True).start()


@require_GET
@login_required
def mapwall_page(request):
    if not can_view_wall(request.user):
        raise PermissionDenied
    _warm_analysis()
    categories = list(Category.objects.filter(level=1, is_active=True).order_by("sort_order", "code")
                      .values("code", "name"))
    config = {
        "api": "/api/v1/maps/",
        "basemap": conf.basemap(),
        "poll_seconds": conf.poll_seconds(),
        "street_zoom": conf.STREET_ZOOM,
        "case_min_zoom": tiles.CASE_MIN_ZOOM,
        "categories": categories,
        "hotspot_classes": hotspots.CLASSES,
        "trend_classes": hotspots.TREND_CLASSES,
    }
    county = GridUnit.objects.filter(level=1, is_active=True).order_by("code").values_list("name", flat=True).first()
    config["title"] = f"{county or ''}{_('网格化治理指挥中心')}"
    strings = {k: str(v) for k, v in STRINGS.items()}
    strings["colours"] = {k: str(v) for k, v in COLOUR_LABELS.items()}
    strings["metric_titles"] = {k: str(v) for k, v in METRIC_TITLES.items()}
    return render(request, "maps/mapwall.html", {"config_json": config, "strings_json": strings})


# The four colours as gridgov.alerts names them (worst first, as the legend lists them), plus the wall's two.
COLOUR_LABELS = {**{c: ALERT_COLOUR_LABELS[c] for c in reversed(ALERT_COLOURS)}, "overdue": _("超期"),
                 "closed": _("已结案")}
METRIC_TITLES = {"open": _("在办案件数（网格）"), "overdue": _("超期案件数（网格）"),
                 "per_1000": _("每千人案件数（所选时段）")}
STRINGS = {
    "open": _("在办"), "overdue": _("超期"), "period_total": _("时段受理"), "per_1000": _("每千人"), "cases": _("案件数"),
    "rank_evaluation": _("综合评价 · 更新于"), "rank_live": _("按派遣期限实时计算"),
    "hexagon": _("六边形"), "hex_title": _("六边形案件数（所选时段）"), "weeks_hot": _("热点周数"), "warning": _("预警颜色"), "trend_title": _("时空热点趋势"),
    "hot_title": _("热点分析（Getis-Ord Gi*）"), "weights": _("空间权重"), "permutations": _("置换次数"), "seed": _("随机种子"),
    "cells": _("分析单元"), "zero_cells": _("零值单元"), "case": _("案卷"), "category": _("分类"), "status": _("状态"),
    "urgency": _("紧急程度"), "received": _("接收时间"), "closed_at": _("结案时间"), "due": _("当前期限"),
    "lead": _("主办单位"), "street": _("街镇"), "community": _("社区/村"), "grid": _("网格"), "code": _("编码"),
    "population": _("人口"), "area": _("面积"), "workers": _("网格员人数"), "closure_rate": _("结案率"),
    "on_time_rate": _("按期办结率"), "top_categories": _("主要问题"), "intake": _("受理"), "closed": _("办结"),
    "unknown": _("未知"), "no_dispatch": _("暂无派遣数据"), "hint_street": _("街面级：矢量瓦片（网格、案件点）"),
    "hint_district": _("区县级：服务端汇总（网格专题、六边形）"),
}
