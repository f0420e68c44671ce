"""Reads: department queues, the triage queue, a case's dispatches and history, who to tell.

Callers pass querysets already scoped by gridgov.dispatch.access (or say why not).
"""
from django.contrib.auth import get_user_model
from django.db.models import Case as SqlCase
from django.db.models import DateTimeField, F, IntegerField, Value, When
from django.utils import timezone

from gridgov.accounts.models import Role as UserRole
from gridgov.cases.models import URGENCY_RANK
from gridgov.departments.models import Kind
from gridgov.departments.selectors import departments_covering
from gridgov.core.errors import FieldError
from gridgov.grids.models import ancestor_codes

from .models import ENDED_STATES, Dispatch, DispatchEvent, Role, State, Suspension, SuspensionStatus, TriageItem

# The due time that matters now: acceptance while waiting to be accepted, handling while being handled.
NEXT_DUE = SqlCase(
    When(state=State.WHISTLED, then=F("accept_due")),
    When(state__in=[State.ACCEPTED, State.IN_PROGRESS, State.REWORK], then=F("feedback_due")),
    default=Value(None), output_field=DateTimeField())
URGENCY = SqlCase(*[When(case__urgency=u, then=Value(rank)) for u, rank in URGENCY_RANK.items()],
                default=Value(0), output_field=IntegerField())


def command_targets(case):
    """The command centre(s) covering the case's grid; every dispatcher if none is configured."""
    depts = list(departments_covering(case.grid_code, kind=Kind.COMMAND))
    if depts:
        return depts
    return list(get_user_model().objects.filter(role=UserRole.DISPATCHER, is_active=True))


def grid_workers(case):
    """Grid workers assigned to the case's grid or any unit above it."""
    codes = ancestor_codes(case.grid_code) + [case.grid_code]
    return list(get_user_model().objects.filter(grids__code__in=codes, is_active=True).distinct())


def with_related(queryset):
    return queryset.select_related("case", "case__category", "case__category__parent", "department", "rule",
                                   "accepted_by", "verified_by", "returned_by")


def parse_states(value):
    wanted = [v.strip() for v in (value or "").split(",") if v.strip()]
    bad = [v for v in wanted if v not in State.values]
    if bad:
        raise FieldError("state", "invalid_choice", f"状态 {bad[0]!r} 无效，可选 {', '.join(State.values)}",
                         f"state {bad[0]!r} is not one of {', '.join(State.values)}")
    return wanted


def queue(queryset, states=None, role=None):
    """Dispatches sorted for work: most urgent case first (urgency, then repeat reports), then the due time
    that matters now (acceptance or handling), earliest first; no due time last. Open ones by default."""
    queryset = queryset.filter(state__in=states) if states else queryset.exclude(state__in=ENDED_STATES)
    if role:
        if role not in Role.values:
            raise FieldError("role", "invalid_choice", f"角色 {role!r} 无效", f"role {role!r} is not one of "
                             f"{', '.join(Role.values)}")
        queryset = queryset.filter(role=role)
    # Annotated as due_now: Dispatch.next_due is the same thing as a property on one row.
    return (with_related(queryset).annotate(due_now=NEXT_DUE, urgency_rank=URGENCY)
            .order_by("-urgency_rank", "-case__priority", F("due_now").asc(nulls_last=True), "dispatched_at", "id"))


def department_queue(queryset, department_ids, states=None, role=None):
    return queue(queryset.filter(department_id__in=department_ids), states, role)


def triage_queue(queryset=None):
    """Open triage items, oldest first (most bounced first among returns)."""
    queryset = TriageItem.objects.all() if queryset is None else queryset
    return (queryset.filter(resolved_at__isnull=True)
            .select_related("case", "case__category", "dispatch", "dispatch__department")
            .order_by("created_at", "id"))


def case_dispatches(case, queryset=None):
    queryset = Dispatch.objects.all() if queryset is None else queryset
    return with_related(queryset.filter(case=case)).order_by("dispatched_at", "role", "id")


def case_history(case):
    return list(DispatchEvent.objects.filter(case=case).select_related("actor", "dispatch__department")
                .order_by("at", "id"))


def dispatch_history(dispatch):
    return list(DispatchEvent.objects.filter(dispatch=dispatch).select_related("actor").order_by("at", "id"))


def live_suspension(dispatch):
    return (Suspension.objects.filter(dispatch=dispatch, status__in=[SuspensionStatus.PENDING,
                                                                       SuspensionStatus.APPROVED])
            .select_related("requested_by", "decided_by").first())


def pending_suspensions(queryset=None):
    queryset = Suspension.objects.all() if queryset is None else queryset
    return (queryset.filter(status=SuspensionStatus.PENDING)
            .select_related("dispatch", "dispatch__case", "dispatch__department", "requested_by")
            .order_by("requested_at"))


# --- "where would this go?" ---------------------------------------------------------------------------

def preview_category(code):
    """The category a routing preview is asked for, or FieldError naming `category`."""
    from gridgov.cases.models import Category

    code = (code or "").strip()
    category = Category.objects.filter(code=code).select_related("parent").first()
    if category is None:
        raise FieldError("category", "unknown_category", f"分类 {code!r} 不存在", f"category {code!r} does not exist")
    return category


def routing_preview(category, grid_code, urgency=None, now=None):
    """Where the routing table would send a case of `category` in grid `grid_code` now, and the due times its
    dispatch would get (the one preview: the dispatch API, the command-centre case page and preview page).

    urgency: the case's (default: the category's, else normal). Returns {route, explain, limits, urgency,
    accept_due, feedback_due}; due times are aware UTC instants (None for a stage without a limit)."""
    from gridgov.cases.models import Urgency

    from . import routing
    from .due import limits_for

    if urgency not in (None, "") and urgency not in Urgency.values:
        raise FieldError("urgency", "invalid_choice", "紧急程度应为 normal、urgent 或 emergency",
                         "urgency must be normal, urgent or emergency")
    urgency = urgency or category.default_urgency or Urgency.NORMAL
    route = routing.resolve(category, grid_code)
    limits = limits_for(category, urgency, route.rule)
    accept_due, feedback_due = limits.due_times(now or timezone.now())
    return {"route": route, "explain": routing.explain(route), "limits": limits, "urgency": urgency,
            "accept_due": accept_due, "feedback_due": feedback_due}
