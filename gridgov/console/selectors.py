"""Reads for the console pages. Every list starts from a queryset scoped by gridgov.dispatch.access or
gridgov.cases.access; the sorting and the queues themselves are gridgov.dispatch.selectors."""
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from gridgov.cases import access as case_access
from gridgov.cases.models import Case, CasePhoto, Category, CategoryLevel, Status
from gridgov.cases.selectors import case_history as case_audit
from gridgov.departments.models import Department
from gridgov.dispatch import access, selectors
from gridgov.dispatch.models import ENDED_STATES, RELEASED_STATES, Dispatch, Role, State
from gridgov.grids.models import GridUnit, Level

from .warning_state import annotate_warnings

HANDLING = [State.WHISTLED, State.ACCEPTED, State.IN_PROGRESS, State.REWORK]


# --- responder queue ---------------------------------------------------------------------------------

@dataclass
class QueueFilters:
    state: str = ""
    category: str = ""
    street: str = ""
    overdue: bool = False
    number: str = ""
    department: int | None = None


def responder_queue(user, filters, now=None):
    """My departments' dispatches, most urgent first then the due time that matters now (annotated
    due_now by gridgov.dispatch.selectors.queue), with the page's filters."""
    now = now or timezone.now()
    dept_ids = access.member_department_ids(user)
    if filters.department:
        dept_ids = [d for d in dept_ids if d == filters.department]
    qs = selectors.department_queue(access.visible_dispatches(user), dept_ids,
                                    states=[filters.state] if filters.state else None)
    if filters.category:
        qs = qs.filter(case__category__code__startswith=filters.category)
    if filters.street:
        qs = qs.filter(case__grid_code__startswith=filters.street)
    if filters.overdue:
        qs = qs.filter(due_now__lt=now)
    if filters.number:
        qs = qs.filter(case__number__icontains=filters.number.strip().upper())
    return qs


def my_departments(user):
    return list(Department.objects.filter(pk__in=access.member_department_ids(user)).order_by("name"))


def county_extent():
    """(minlon, minlat, maxlon, maxlat) of the active top-level units: the pick maps' first view."""
    from django.contrib.gis.db.models import Extent

    return GridUnit.objects.filter(level=Level.DISTRICT, is_active=True).aggregate(e=Extent("geom"))["e"]


def streets():
    return list(GridUnit.objects.filter(level=Level.STREET, is_active=True).order_by("code").values("code", "name"))


def category_groups():
    """Groups with their items, for a filter select."""
    items = Category.objects.filter(is_active=True).select_related("parent").order_by("sort_order", "code")
    groups = {}
    for c in items:
        if c.level == CategoryLevel.GROUP:
            groups.setdefault(c.pk, {"group": c, "items": []})["group"] = c
    for c in items:
        if c.level == CategoryLevel.ITEM and c.parent_id in groups:
            groups[c.parent_id]["items"].append(c)
    return list(groups.values())


def item_categories():
    return list(Category.objects.filter(is_active=True, level=CategoryLevel.ITEM).select_related("parent")
                .order_by("sort_order", "code"))


# --- a case and its history ----------------------------------------------------------------------------

def dispatch_for_page(user, pk):
    """The dispatch if this user may see it (NotFound otherwise), with what the page shows."""
    return access.get_visible_dispatch(user, pk, selectors.with_related(Dispatch.objects.all()))


def visible_case_dispatches(user, case):
    return list(access.visible_dispatches(user, selectors.case_dispatches(case)))


def case_for_viewer(user, case):
    """The case as this viewer may read it on a page: phone numbers typed into its description and
    address masked unless the viewer needs the citizen's contact (gridgov.cases.access.sees_personal_data).
    Changes the instance in memory only: never save it."""
    if not case_access.sees_personal_data(user, case):
        case.description = case_access.mask_phones_in_text(case.description)
        case.address = case_access.mask_phones_in_text(case.address)
    return case


def case_photos(case):
    return list(CasePhoto.objects.filter(case=case).order_by("kind", "id"))


EVENT_LABELS = {
    "whistle": _("吹哨"), "dispatch": _("派遣"), "accept": _("签收报到"), "start": _("开始处置"),
    "feed_back": _("反馈"), "verify_pass": _("核查通过"), "verify_fail": _("核查不通过（返工）"),
    "close": _("结案"), "close_with_case": _("随案结案"), "close_case": _("案卷结案"), "return": _("退回"),
    "reroute": _("改派"), "suspend": _("缓办/挂账"), "resume": _("恢复办理"),
    "suspension_requested": _("申请缓办/挂账"), "suspension_rejected": _("缓办/挂账未批准"),
    "escalate": _("升级吹哨"), "supervise": _("督办"), "supervision": _("督办"),
    "supervision_answered": _("督办回复"),
    "created": _("案卷登记"), "updated": _("案卷变更"), "photo_added": _("添加照片"),
    "photo_updated": _("照片变更"), "photo_deleted": _("删除照片"),
}
AUDIT_FIELDS = {"status": _("状态"), "category_id": _("分类"), "urgency": _("紧急程度"), "priority": _("优先级"),
                "description": _("问题描述"), "address": _("地址"), "closed_at": _("结案时间"),
                "repeat_count": _("重复上报次数"), "point": _("位置")}
STATUS_LABELS = dict(Status.choices)
STATE_LABELS = dict(State.choices)


@dataclass
class TimelineEntry:
    at: datetime
    label: str
    actor: str = ""
    department: str = ""
    note: str = ""
    change: str = ""
    source: str = "dispatch"  # dispatch / case
    details: list = field(default_factory=list)


def _local_time(value):
    moment = parse_datetime(value) if isinstance(value, str) else None
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else value


def _audit_entry(event):
    details = []
    if event.kind == "updated" and event.after:
        for key, after in event.after.items():
            if key not in AUDIT_FIELDS:
                continue
            before = (event.before or {}).get(key)
            if key.endswith("_at"):
                before, after = _local_time(before), _local_time(after)
            if key == "status":
                before, after = STATUS_LABELS.get(before, before), STATUS_LABELS.get(after, after)
            details.append(f"{AUDIT_FIELDS[key]}：{before if before not in (None, '') else '—'} → "
                           f"{after if after not in (None, '') else '—'}")
        if not details:
            return None  # bookkeeping only (version counters and the like)
    if event.kind == "photo_added" and event.after:
        kind = event.after.get("kind")
        details.append(str(_("处置后照片") if kind == "after" else _("现场照片")))
    return TimelineEntry(at=event.at, label=str(EVENT_LABELS.get(event.kind, event.kind)),
                         actor=event.actor_label, source="case", details=details)


def timeline(user, case):
    """The case's audit trail and its dispatch events, oldest first. A responder sees the events of the
    dispatches they may see and the case-level ones (whistle, escalation, close), not other departments'."""
    visible = set(access.visible_dispatches(user, Dispatch.objects.filter(case=case)).values_list("pk", flat=True))
    entries = []
    for e in selectors.case_history(case):
        if e.dispatch_id and e.dispatch_id not in visible:
            continue
        change = ""
        if e.from_state or e.to_state:
            change = f"{STATE_LABELS.get(e.from_state, e.from_state) or '—'} → {STATE_LABELS.get(e.to_state, e.to_state)}"
        who = (e.actor.display_name or e.actor.get_username()) if e.actor_id else ""
        entries.append(TimelineEntry(at=e.at, label=str(EVENT_LABELS.get(e.action, e.action)), actor=who,
                                     department=e.dispatch.department.name if e.dispatch_id else "",
                                     note=e.note, change=change))
    audit = case_audit(case)
    names = {u.pk: u.display_name or u.get_username() for u in
             get_user_model().objects.filter(pk__in={e.actor_id for e in audit if e.actor_id})}
    for event in audit:
        entry = _audit_entry(event)
        if entry is not None:
            entry.actor = names.get(event.actor_id, event.actor_label)
            entries.append(entry)
    return sorted(entries, key=lambda x: x.at)


def photo_if_visible(user, pk):
    """A photo of a case this user may see (through the case scope or a dispatch they may see); never for
    the display accounts (case_access.can_see_photos: photos may show people)."""
    if not case_access.can_see_photos(user):
        return None
    photo = CasePhoto.objects.filter(pk=pk).select_related("case").first()
    if photo is None:
        return None
    if case_access.visible_cases(user, Case.objects.filter(pk=photo.case_id)).exists():
        return photo
    if access.visible_dispatches(user, Dispatch.objects.filter(case_id=photo.case_id)).exists():
        return photo
    return None


# --- grid worker: verification ------------------------------------------------------------------------

def to_verify(user):
    """Fed-back work waiting for on-site verification in the grids this user may see."""
    qs = access.visible_dispatches(user).filter(state=State.FED_BACK, role__in=[Role.LEAD, Role.ASSIST])
    return list(selectors.with_related(qs).order_by("fed_back_at", "id"))


# --- command centre ---------------------------------------------------------------------------------

def overdue_dispatches(now=None, limit=100):
    """Open dispatches past the due time that matters now (acceptance or handling), most overdue first."""
    now = now or timezone.now()
    qs = (annotate_warnings(selectors.with_related(Dispatch.objects.filter(state__in=HANDLING)), now)
          .annotate(due_now=selectors.NEXT_DUE).filter(due_now__lt=now).order_by("due_now", "id"))
    return list(qs[:limit])


def awaiting_close(limit=100):
    """Cases whose lead department's work has been verified: the command centre closes them (结案)."""
    qs = Dispatch.objects.filter(role=Role.LEAD, state=State.VERIFIED, case__status=Status.WHISTLED)
    return list(selectors.with_related(qs).order_by("verified_at", "id")[:limit])


def reported_not_filed(limit=100):
    """Reported cases nobody has whistled yet: the command centre may file them (立案)."""
    return list(Case.objects.filter(status=Status.REPORTED).select_related("category", "category__parent", "reporter")
                .order_by("-priority", "received_at")[:limit])


def departments_for_routing():
    return list(Department.objects.filter(is_active=True).order_by("kind", "name"))


def case_for_command(number):
    return (Case.objects.filter(number=str(number or "").upper())
            .select_related("category", "category__parent", "reporter", "whistle").first())


def holding_dispatches(case):
    return list(selectors.case_dispatches(case).exclude(state__in=RELEASED_STATES))


def open_case_dispatches(case):
    return list(selectors.case_dispatches(case).exclude(state__in=ENDED_STATES))


def counts(now=None):
    now = now or timezone.now()
    return {
        "triage": selectors.triage_queue().count(),
        "overdue": Dispatch.objects.filter(state__in=HANDLING).annotate(due_now=selectors.NEXT_DUE)
        .filter(due_now__lt=now).count(),
        "suspensions": selectors.pending_suspensions().count(),
        "close": Dispatch.objects.filter(role=Role.LEAD, state=State.VERIFIED, case__status=Status.WHISTLED).count(),
        "unfiled": Case.objects.filter(status=Status.REPORTED).count(),
        "open": Case.objects.filter(Q(status=Status.WHISTLED)).count(),
    }
