"""Reads: filtered case lists, duplicate candidates, a case's history, category search.

Callers pass a queryset already scoped by access.visible_cases (or say explicitly why not).
"""
import math
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from gridgov.core.errors import FieldError

from .inputs import moment
from .models import OPEN_STATUSES, Case, CaseEvent, Category, CategoryLevel, Channel, Status


def _bbox(value):
    try:
        parts = [float(p) for p in value.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not (parts[0] < parts[2] and parts[1] < parts[3]) or any(map(math.isnan, parts)):
        raise FieldError("bbox", "invalid_bbox", "bbox 应为 minlon,minlat,maxlon,maxlat",
                         "bbox must be minlon,minlat,maxlon,maxlat")
    return parts


def filter_cases(queryset, params):
    """Filters from query parameters; each bad value raises FieldError naming it.

    grid: grid-unit code prefix (a town's code gives all its grids); category: a code (a group's
    code includes its subcategories); status, channel: one or several, comma-separated;
    since/until: received time (ISO 8601); bbox: minlon,minlat,maxlon,maxlat; flagged: true.
    """
    grid = (params.get("grid") or "").strip()
    if grid:
        if not grid.isdigit() or len(grid) > 15:
            raise FieldError("grid", "invalid_prefix", "grid 应为网格编码或其前缀（数字）",
                             "grid must be a grid code or a prefix of one (digits)")
        queryset = queryset.filter(grid_code__startswith=grid)
    category = (params.get("category") or "").strip()
    if category:
        queryset = queryset.filter(category__code__startswith=category)
    for name, choices in (("status", Status), ("channel", Channel)):
        value = (params.get(name) or "").strip()
        if value:
            wanted = [v.strip() for v in value.split(",") if v.strip()]
            bad = [v for v in wanted if v not in choices.values]
            if bad:
                raise FieldError(name, "invalid_choice", f"{name} 无效：{bad[0]!r}，可选 {', '.join(choices.values)}",
                                 f"{name} {bad[0]!r} is not one of {', '.join(choices.values)}")
            queryset = queryset.filter(**{f"{name}__in": wanted})
    since = moment(params, "since", "起始时间")
    until = moment(params, "until", "截止时间")
    if since and until and since >= until:
        raise FieldError("until", "empty_period", "截止时间应晚于起始时间", "until must be later than since")
    if since:
        queryset = queryset.filter(received_at__gte=since)
    if until:
        queryset = queryset.filter(received_at__lt=until)
    bbox = (params.get("bbox") or "").strip()
    if bbox:
        x0, y0, x1, y1 = _bbox(bbox)
        from django.contrib.gis.geos import Polygon

        queryset = queryset.filter(point__within=Polygon.from_bbox((x0, y0, x1, y1)))
    if (params.get("flagged") or "").lower() in ("1", "true", "yes"):
        queryset = queryset.exclude(flags=[])
    return queryset


def list_queryset(queryset):
    return (queryset.select_related("category", "category__parent", "reporter", "follow_up_of")
            .prefetch_related("photos"))


def detail_queryset(queryset):
    return list_queryset(queryset)


@dataclass
class Candidate:
    case: Case
    distance_m: float
    in_scope: bool = True  # False: a case the asker may not open; shown without its text and photo


# Open, first reports (not follow-ups) of the category near the point and recent enough. The
# geometry && box uses the GiST index; ST_DWithin on geography gives exact metres.
_CANDIDATES_SQL = """
    SELECT c.id, ST_Distance(c.point::geography, p.g::geography) AS d
    FROM cases_case c, (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g) p
    WHERE c.category_id = %(category)s
      AND c.status = ANY(%(statuses)s)
      AND c.follow_up_of_id IS NULL
      AND c.received_at >= %(since)s
      AND c.point && ST_Expand(p.g, %(deg)s)
      AND ST_DWithin(c.point::geography, p.g::geography, %(radius)s)
    ORDER BY d, c.received_at DESC
    LIMIT %(limit)s
"""


def duplicate_candidates(lon, lat, category, now=None, limit=10):
    """Open cases of the same category within its radius and time window, nearest first.

    lon/lat in WGS-84. Not scoped by role: a worker near a grid border must see a report made in
    the neighbouring grid to recognise the same problem; callers show only non-personal fields.
    """
    now = now or timezone.now()
    radius = category.duplicate_radius_m
    # degrees of longitude shrink with latitude; the box must contain the whole circle
    deg = radius / (111_320 * max(math.cos(math.radians(min(abs(lat), 89.0))), 0.01)) * 1.01
    with connection.cursor() as cur:
        cur.execute(_CANDIDATES_SQL, {
            "lon": lon, "lat": lat, "category": category.pk, "statuses": [str(s) for s in OPEN_STATUSES],
            "since": now - timedelta(hours=category.duplicate_window_hours), "deg": deg, "radius": radius,
            "limit": limit})
        rows = cur.fetchall()
    cases = Case.objects.select_related("category").in_bulk([r[0] for r in rows])
    return [Candidate(cases[pk], round(d, 1)) for pk, d in rows if pk in cases]


def mark_out_of_scope(candidates, visible):
    """Candidates whose case is not in `visible` (a queryset from access.visible_cases) lose their free
    text and photo: a worker near a border learns that the same problem was reported next door, not by
    whom or what was written (issue 7, access matrix)."""
    ids = set(visible.filter(pk__in=[c.case.pk for c in candidates]).values_list("pk", flat=True))
    for c in candidates:
        c.in_scope = c.case.pk in ids
    return candidates


def case_history(case):
    return list(CaseEvent.objects.filter(case_id=case.pk).order_by("at", "id"))


def my_cases(user, queryset=None):
    queryset = Case.objects.all() if queryset is None else queryset
    return queryset.filter(reporter=user)


def categories(query="", leaves_only=False, include_inactive=False):
    qs = Category.objects.select_related("parent")
    if not include_inactive:
        qs = qs.filter(is_active=True).filter(Q(parent__isnull=True) | Q(parent__is_active=True))
    if leaves_only:
        qs = qs.filter(level=CategoryLevel.ITEM)
    query = (query or "").strip()
    if query:
        words = query.split()
        for word in words:
            qs = qs.filter(Q(name__icontains=word) | Q(keywords__icontains=word) | Q(code__istartswith=word)
                           | Q(parent__name__icontains=word))
    return qs.order_by("sort_order", "code")


# Categories are configuration read by every report: kept per process for CATEGORY_CACHE_SECONDS
# (a query and its ORM compile cost a quarter of a report's CPU). Saving or deleting a category
# clears this process's copy at once (signals in apps.py); other processes see the change within
# CATEGORY_CACHE_SECONDS. A code not in the copy is looked up in the database, so a new category
# works at once everywhere. The cached objects are shared: read them, never modify them.
CATEGORY_CACHE_SECONDS = 60
_category_cache = {"at": -1e9, "db": None, "by_code": {}}
_category_lock = threading.Lock()


def forget_categories(**kwargs):
    _category_cache["at"] = -1e9


def category_by_code(code):
    """The Category (with .parent loaded) for a code, or None."""
    now = time.monotonic()
    cache = _category_cache
    db = connection.settings_dict["NAME"]
    if now - cache["at"] > CATEGORY_CACHE_SECONDS or cache["db"] != db:
        with _category_lock:
            if now - cache["at"] > CATEGORY_CACHE_SECONDS or cache["db"] != db:
                by_code = {c.code: c for c in Category.objects.select_related("parent")}
                cache.update(by_code=by_code, db=db, at=now)
    found = cache["by_code"].get(code)
    if found is None:
        found = Category.objects.select_related("parent").filter(code=code).first()
        if found is not None:
            forget_categories()
    return found
