"""Reads for the Open311 endpoints: jurisdictions, services, requests (cases) as spec dicts.

Nothing here returns a citizen's name, phone or e-mail: request_dicts builds its output from an
explicit list of fields, and phone numbers typed into a description are masked.
"""
from datetime import timedelta
from datetime import timezone as dt_timezone

from django.apps import apps
from django.db import connection
from django.db.models import FloatField, Func, Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from gridgov.cases.access import mask_phones_in_text
from gridgov.cases.models import (
    OPEN_STATUSES,
    Case,
    CasePhoto,
    Category,
    CategoryLevel,
    Channel,
    PhotoKind,
    Status,
)
from gridgov.grids.models import Level

from . import conf
from .errors import Open311Error
from .models import ApiKey, Jurisdiction, hash_key

CLOSED_STATUSES = [Status.CLOSED, Status.MERGED]
def mask_phones(text):
    """Free text for the public feed: phone numbers masked (one rule with the staff pages)."""
    return mask_phones_in_text(text or "")


# --- jurisdiction and keys ------------------------------------------------------------------------

def resolve_jurisdiction(jurisdiction_id):
    """The Jurisdiction for the parameter; None = whole platform (no jurisdictions configured)."""
    active = Jurisdiction.objects.filter(is_active=True)
    jurisdiction_id = (jurisdiction_id or "").strip()
    if jurisdiction_id:
        found = active.filter(jurisdiction_id=jurisdiction_id).first()
        if found is None:
            raise Open311Error(404, "jurisdiction_id", "unknown_jurisdiction",
                               f"未知的辖区：{jurisdiction_id}", f"unknown jurisdiction_id {jurisdiction_id!r}")
        return found
    configured = list(active[:2])
    if len(configured) > 1:
        raise Open311Error(400, "jurisdiction_id", "required", "本接口服务多个辖区，请提供 jurisdiction_id",
                           "this endpoint serves several jurisdictions: jurisdiction_id is required")
    return configured[0] if configured else None


def api_key_for(raw):
    raw = (raw or "").strip()
    if not raw:
        raise Open311Error(403, "api_key", "required", "缺少 api_key", "api_key is required")
    key = ApiKey.objects.filter(key_hash=hash_key(raw), is_active=True).select_related("user").first()
    if key is None:
        raise Open311Error(403, "api_key", "invalid", "api_key 无效或已停用", "api_key is invalid or revoked")
    return key


# --- services -------------------------------------------------------------------------------------

def _attribute_qs():
    from .models import ServiceAttribute

    return ServiceAttribute.objects.order_by("order", "code")


def services():
    return (Category.objects.filter(is_active=True, level=CategoryLevel.ITEM, parent__is_active=True)
            .select_related("parent").prefetch_related(Prefetch("open311_attributes", queryset=_attribute_qs()))
            .order_by("sort_order", "code"))


def service(code):
    category = services().filter(code=code).first()
    if category is None:
        raise Open311Error(404, "service_code", "unknown_service", f"服务（分类）{code} 不存在或已停用",
                           f"service_code {code!r} does not exist")
    return category


def service_dict(category):
    return {"service_code": category.code, "service_name": category.name,
            "description": f"{category.parent.name} / {category.name}",
            "metadata": bool(category.open311_attributes.all()), "type": "realtime",
            "keywords": ", ".join(category.keywords.split()), "group": category.parent.name}


def attribute_dict(attr):
    return {"variable": attr.variable, "code": attr.code, "datatype": attr.datatype, "required": attr.required,
            "datatype_description": attr.datatype_description or None, "order": attr.order,
            "description": attr.description,
            "values": [{"key": v.get("key"), "name": v.get("name")} for v in attr.values]}


def definition_dict(category):
    return {"service_code": category.code,
            "attributes": [attribute_dict(a) for a in category.open311_attributes.all()]}


# --- requests -------------------------------------------------------------------------------------

def _moment(value, name):
    parsed = None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        pass
    if parsed is None:
        raise Open311Error(400, name, "invalid_datetime", f"{name} 不是 W3C 日期时间：{value!r}",
                           f"{name} {value!r} is not a W3C date-time, e.g. 2024-05-01T00:00:00+08:00")
    parsed = timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed
    try:  # UTC, as stored: PostgreSQL refuses offsets beyond ±15:59 that Python accepts (e.g. -22:45)
        return parsed.astimezone(dt_timezone.utc)
    except OverflowError:
        raise Open311Error(400, name, "out_of_range", f"{name} 超出可表示的时间范围：{value!r}",
                           f"{name} {value!r} is outside the representable date-time range")


def _codes(value):
    return [v.strip() for v in value.split(",") if v.strip()]


def in_jurisdiction(queryset, jurisdiction):
    if jurisdiction is not None and jurisdiction.area_code:
        return queryset.filter(grid_code__startswith=jurisdiction.area_code)
    return queryset


def _base(jurisdiction):
    photos = CasePhoto.objects.filter(kind=PhotoKind.REPORT).only("id", "case_id", "image").order_by("id")
    return (in_jurisdiction(Case.objects.all(), jurisdiction)
            .select_related("category", "follow_up_of")
            .annotate(lon=Func("point", function="ST_X", output_field=FloatField()),
                      lat=Func("point", function="ST_Y", output_field=FloatField()))
            .only("id", "number", "status", "channel", "resolution_note", "description", "address", "grid_name",
                  "ancestors", "received_at", "updated_at", "closed_at", "category__code", "category__name",
                  "follow_up_of__number")
            .prefetch_related(Prefetch("photos", queryset=photos, to_attr="report_photos")))


def find_requests(params, jurisdiction, now=None):
    """GET requests: service_request_id (comma list, other filters then ignored, as the spec says),
    service_code, start_date, end_date, status (open/closed); newest first; at most max_results."""
    now = now or timezone.now()
    qs = _base(jurisdiction)
    ids = _codes(params.get("service_request_id", ""))
    if ids:
        return list(qs.filter(number__in=[i.upper() for i in ids])[:conf.max_results()])
    codes = _codes(params.get("service_code", ""))
    if codes:
        qs = qs.filter(category__code__in=codes)
    start = params.get("start_date", "").strip()
    end = params.get("end_date", "").strip()
    start = _moment(start, "start_date") if start else None
    end = _moment(end, "end_date") if end else None
    if start is None and end is None:
        start = now - timedelta(days=conf.default_days())
    if start and end and start > end:
        raise Open311Error(400, "end_date", "before_start", "结束日期早于开始日期", "end_date is before start_date")
    if start:
        qs = qs.filter(received_at__gte=start)
    if end:
        qs = qs.filter(received_at__lte=end)
    statuses = _codes(params.get("status", "").lower())
    for s in statuses:
        if s not in ("open", "closed"):
            raise Open311Error(400, "status", "invalid_status", f"status 只能是 open 或 closed：{s!r}",
                               f"status must be open or closed, not {s!r}")
    if statuses and set(statuses) != {"open", "closed"}:
        qs = qs.filter(status__in=OPEN_STATUSES if statuses == ["open"] else CLOSED_STATUSES)
    return list(qs.order_by("-received_at", "-id")[:conf.max_results()])


def find_request(number, jurisdiction):
    case = _base(jurisdiction).filter(number=str(number).upper()).first()
    if case is None:
        raise Open311Error(404, "service_request_id", "not_found", f"服务请求 {number} 不存在",
                           f"service request {number} does not exist")
    return case


def _lead_dispatches(case_ids):
    """{case_id: (department name, feedback_due, state label)} for the current lead dispatch, if any."""
    if not case_ids or not apps.is_installed("gridgov.dispatch"):
        return {}
    from gridgov.dispatch.models import RELEASED_STATES, Dispatch, Role

    leads = {}
    rows = (Dispatch.objects.filter(case_id__in=case_ids, role=Role.LEAD).exclude(state__in=RELEASED_STATES)
            .select_related("department").order_by("case_id", "-dispatched_at", "-id"))
    for d in rows:
        leads.setdefault(d.case_id, (d.department.name, d.feedback_due, d.get_state_display()))
    return leads


def _status_notes(case):
    if case.status == Status.MERGED and case.follow_up_of_id:
        return f"重复上报，已合并至 {case.follow_up_of.number}"
    if case.status == Status.CLOSED:
        return mask_phones(case.resolution_note) or str(Status.CLOSED.label)
    return str(Status(case.status).label)


def _address(case):
    if case.address:
        return mask_phones(case.address)
    return "".join(a.get("name", "") for a in case.ancestors[1:]) + case.grid_name


def _published(case):
    """Only a citizen's own photo (Open311 / QR form) goes into this public feed: grid workers' and
    hotline cases' scene photos may show people and stay inside (issue 7, access matrix)."""
    return case.channel == Channel.CITIZEN


def request_dicts(cases, build_uri):
    leads = _lead_dispatches([c.id for c in cases])
    out = []
    for case in cases:
        lead = leads.get(case.id)
        photo = case.report_photos[0] if case.report_photos else None
        out.append({
            "service_request_id": case.number,
            "status": "open" if case.status in OPEN_STATUSES else "closed",
            "status_notes": _status_notes(case),
            "service_name": case.category.name if case.category_id else None,
            "service_code": case.category.code if case.category_id else None,
            "description": mask_phones(case.description),
            "agency_responsible": lead[0] if lead else None,
            "service_notice": lead[2] if lead else None,
            "requested_datetime": case.received_at,
            "updated_datetime": case.updated_at,
            "expected_datetime": lead[1] if lead else None,
            "address": _address(case),
            "address_id": None,
            "zipcode": None,
            "lat": round(case.lat, 7),
            "long": round(case.lon, 7),
            "media_url": build_uri(photo.image.url) if photo and photo.image and _published(case) else None,
        })
    return out


def unit_for_address(address, jurisdiction):
    """A village/community (or grid) whose name appears in address_string → (code, lon, lat) of a point
    on its surface. The longest name wins; two different units of that name are ambiguous."""
    area = jurisdiction.area_code if jurisdiction and jurisdiction.area_code else ""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT code, name, ST_X(p), ST_Y(p) FROM (
                 SELECT code, name, level, ST_PointOnSurface(geom) AS p FROM grids_gridunit
                 WHERE is_active AND level IN (%s, %s) AND strpos(%s, name) > 0 AND code LIKE %s) u
               ORDER BY length(name) DESC, level DESC, code LIMIT 3""",
            [Level.COMMUNITY, Level.GRID, address, area + "%"])
        rows = cur.fetchall()
    if not rows:
        raise Open311Error(400, "address_string", "address_not_found",
                           f"地址中没有可识别的村/社区名称：{address!r}，请提供 lat/long",
                           f"no village or community name found in address_string {address!r}; send lat/long")
    if sum(1 for r in rows if r[1] == rows[0][1]) > 1:
        raise Open311Error(400, "address_string", "ambiguous_address",
                           f"地址中的“{rows[0][1]}”对应多个村/社区，请提供 lat/long",
                           f"{rows[0][1]!r} names several villages/communities; send lat/long")
    return rows[0][0], rows[0][2], rows[0][3]
