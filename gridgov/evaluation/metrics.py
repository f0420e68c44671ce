"""The evaluation figures (综合评价) per department or per street/town, for any period, in SQL aggregates.

evaluate(period_start, period_end, by="department"|"street", now=None) -> list[UnitFigures]

Every definition is in docs/evaluation.md; in short (a "dispatch" is a lead or assist dispatch,
GRIDGOV_EVALUATION_ROLES; the period is [start, end) and nothing after `as_of` = min(end, now) counts):

  及时受理率 timely acceptance = accepted by accept_due / dispatches made in the period whose
             acceptance was due by as_of or done (a dispatch returned without accepting is judged by the
             bounce rate instead, not here)
  按期办结率 on-time closure  = handled on time / (due − suspended): "due" = dispatches whose feedback_due
             falls in the period (and is past, or was met); "suspended" = of those, under an approved
             缓办/挂账 at as_of; "handled on time" = verification passed and the (last) feedback was by
             feedback_due
  结案率     closure          = closed / (due − suspended)
  返工率     rework           = dispatches that failed a verification in the period / dispatches verified
             (pass or fail) in the period
  退回率     bounce           = dispatches made in the period that were returned (退回) / dispatches made
  满意率     satisfaction     = cases closed in the period rated satisfied / rated (reporter's rating, else
             the verifier's)
  平均办理时长 mean handling time = mean (feedback − dispatch) over dispatches whose verification passed in
             the period, in hours and in working hours (working hours only for periods starting within the
             two years the working-calendar table covers; else null)

By street/town a dispatch counts for the street its case lies in (first 9 digits of the grid code).
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import (Avg, Count, Exists, ExpressionWrapper, F, FloatField, Func, OuterRef, Q, Subquery,
                              Value)
from django.db.models.functions import Coalesce, Extract, Left
from django.utils import timezone

from gridgov.alerts.models import WarningConfig
from gridgov.alerts.worktime import ensure_warning_tables
from gridgov.departments.models import Department, Kind
from gridgov.dispatch.models import Dispatch, DispatchEvent, State, Suspension, SuspensionStatus
from gridgov.core.errors import FieldError
from gridgov.grids.models import GridUnit, Level
from gridgov.workcal.calendar import work_timezone

from . import conf
from .models import Rating, RatingSource

BY_CHOICES = ("department", "street")
EVALUATED_KINDS = [Kind.BUREAU, Kind.STREET, Kind.SQUAD, Kind.UTILITY]
DONE_STATES = [State.VERIFIED, State.CLOSED]


@dataclass
class UnitFigures:
    key: str  # department code or street code
    name: str
    kind: str = ""
    dispatched: int = 0
    accept_counted: int = 0
    accepted_on_time: int = 0
    returned: int = 0
    due: int = 0
    suspended: int = 0
    closed_on_time: int = 0
    closed: int = 0
    verified: int = 0
    reworked: int = 0
    rated: int = 0
    satisfied: int = 0
    handled: int = 0
    mean_handling_hours: float | None = None
    mean_handling_work_hours: float | None = None
    rates: dict = field(default_factory=dict)
    score: float | None = None
    rank: int | None = None

    @property
    def closure_base(self):
        return self.due - self.suspended

    def compute_rates(self):
        def ratio(a, b):
            return round(a / b, 4) if b > 0 else None

        self.rates = {
            "timely_acceptance_rate": ratio(self.accepted_on_time, self.accept_counted),
            "on_time_closure_rate": ratio(self.closed_on_time, self.closure_base),
            "closure_rate": ratio(self.closed, self.closure_base),
            "rework_rate": ratio(self.reworked, self.verified),
            "bounce_rate": ratio(self.returned, self.dispatched),
            "satisfaction_rate": ratio(self.satisfied, self.rated),
        }
        return self.rates


def parse_period(period_start, period_end, tz=None):
    """Local dates (inclusive) → [start, end) aware instants. FieldError names the bad field."""
    tz = tz or work_timezone()
    days = []
    for name, value in (("period_start", period_start), ("period_end", period_end)):
        if isinstance(value, date):
            days.append(value)
            continue
        try:
            days.append(date.fromisoformat(str(value or "").strip()))
        except ValueError:
            raise FieldError(name, "invalid_date", f"{name} 应为日期 YYYY-MM-DD，而不是 {value!r}",
                             f"{name} must be a date YYYY-MM-DD, not {value!r}")
    if days[1] < days[0]:
        raise FieldError("period_end", "before_start", "结束日期早于开始日期", "period_end is before period_start")
    start = datetime.combine(days[0], time.min, tzinfo=tz)
    end = datetime.combine(days[1] + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def _group_key(by, prefix=""):
    if by == "department":
        return F(f"{prefix}department__code")
    return Left(f"{prefix}case__grid_code", 9)


def _hours(expr):
    return ExpressionWrapper(Extract(expr, "epoch") / Value(3600.0), output_field=FloatField())


def _work_minutes(name):
    return Func(F(name), function="alerts_work_minutes_at", output_field=FloatField())


def _dispatch_figures(by, start, end, as_of, roles):
    made = Q(dispatched_at__gte=start, dispatched_at__lt=end)
    accept_counted = made & Q(accept_due__isnull=False) & ~Q(returned_at__isnull=False, accepted_at__isnull=True) & (
        Q(accept_due__lte=as_of) | Q(accepted_at__lte=as_of))
    done = Q(state__in=DONE_STATES, verified_at__lte=as_of)
    due = (Q(feedback_due__gte=start, feedback_due__lt=end, returned_at__isnull=True)
           & (Q(feedback_due__lte=as_of) | done))
    live_suspension = Suspension.objects.filter(
        dispatch=OuterRef("pk"), status__in=[SuspensionStatus.APPROVED, SuspensionStatus.ENDED],
        decided_at__lte=as_of).filter(Q(resumed_at__isnull=True) | Q(resumed_at__gt=as_of))
    handled = done & Q(verified_at__gte=start, verified_at__lt=end)
    return (Dispatch.objects.filter(role__in=roles)
            .annotate(g=_group_key(by), suspended_then=Exists(live_suspension))
            .values("g")
            .annotate(
                dispatched=Count("pk", filter=made),
                accept_counted=Count("pk", filter=accept_counted),
                accepted_on_time=Count("pk", filter=accept_counted & Q(accepted_at__lte=F("accept_due"))
                                       & Q(accepted_at__lte=as_of)),
                returned=Count("pk", filter=made & Q(returned_at__lte=as_of)),
                due=Count("pk", filter=due),
                suspended=Count("pk", filter=due & Q(suspended_then=True)),
                closed_on_time=Count("pk", filter=due & done & Q(fed_back_at__lte=F("feedback_due"))),
                closed=Count("pk", filter=due & Q(state=State.CLOSED, closed_at__lte=as_of)),
                handled=Count("pk", filter=handled),
                mean_handling_hours=Avg(_hours(F("fed_back_at") - F("dispatched_at")), filter=handled),
                mean_handling_work_minutes=Avg(_work_minutes("fed_back_at") - _work_minutes("dispatched_at"),
                                               filter=handled, output_field=FloatField()),
            ))


def _rework_figures(by, start, end, as_of, roles):
    return (DispatchEvent.objects.filter(action__in=["verify_pass", "verify_fail"], at__gte=start, at__lt=end,
                                         at__lte=as_of, dispatch__role__in=roles)
            .annotate(g=_group_key(by, "dispatch__")).values("g")
            .annotate(verified=Count("dispatch", distinct=True),
                      reworked=Count("dispatch", distinct=True, filter=Q(action="verify_fail"))))


def effective_rating():
    """The rating a case is judged by: the reporter's if there is one, else the verifier's (SQL)."""
    def of(source):
        return Subquery(Rating.objects.filter(case=OuterRef("case_id"), source=source).values("level")[:1])

    return Coalesce(of(RatingSource.REPORTER), of(RatingSource.VERIFIER))


def _satisfaction_figures(by, start, end, as_of, roles):
    closed = Q(case__closed_at__gte=start, case__closed_at__lt=end, case__closed_at__lte=as_of)
    return (Dispatch.objects.filter(closed, role__in=roles).exclude(state__in=[State.RETURNED, State.REROUTED])
            .annotate(g=_group_key(by), rating=effective_rating()).values("g")
            .annotate(rated=Count("case", distinct=True, filter=Q(rating__isnull=False)),
                      satisfied=Count("case", distinct=True, filter=Q(rating__in=conf.satisfied_levels()))))


def _unit_names(by, keys):
    if by == "department":
        return {d.code: (d.name, d.kind) for d in Department.objects.filter(code__in=keys)}
    return {u.code: (u.name, "street") for u in GridUnit.objects.filter(code__in=keys, is_active=True)}


def evaluate(period_start, period_end, by="department", now=None):
    """Figures and rates for every unit (department or street) in the period, unranked (see ranking)."""
    if by not in BY_CHOICES:
        raise FieldError("by", "invalid_choice", f"by 应为 department（按部门）或 street（按街镇），而不是 {by!r}",
                         f"by must be department or street, not {by!r}")
    start, end = parse_period(period_start, period_end)
    now = now or timezone.now()
    as_of = min(end, now)
    roles = conf.roles()
    ensure_warning_tables(now)
    # The working-calendar table reaches two years back (gridgov.alerts.worktime); before that, no
    # working hours (dispatches made up to 60 days before the period still count as covered).
    covered_from = WarningConfig.objects.filter(id=1).values_list("periods_from", flat=True).first()
    work_hours_known = covered_from is not None and start - timedelta(days=60) >= covered_from
    rows = {}

    def row(key):
        if key not in rows:
            rows[key] = UnitFigures(key=key, name="")
        return rows[key]

    for r in _dispatch_figures(by, start, end, as_of, roles):
        u = row(r["g"])
        for name in ("dispatched", "accept_counted", "accepted_on_time", "returned", "due", "suspended",
                     "closed_on_time", "closed", "handled"):
            setattr(u, name, r[name])
        u.mean_handling_hours = round(r["mean_handling_hours"], 2) if r["mean_handling_hours"] is not None else None
        wm = r["mean_handling_work_minutes"] if work_hours_known else None
        u.mean_handling_work_hours = round(wm / 60, 2) if wm is not None else None
    for r in _rework_figures(by, start, end, as_of, roles):
        u = row(r["g"])
        u.verified, u.reworked = r["verified"], r["reworked"]
    for r in _satisfaction_figures(by, start, end, as_of, roles):
        u = row(r["g"])
        u.rated, u.satisfied = r["rated"], r["satisfied"]
    # Every active unit is listed, with or without activity.
    for key, name, kind in _all_units(by):
        u = row(key)
        u.name, u.kind = name, kind
    names = _unit_names(by, [k for k, u in rows.items() if not u.name])
    for key, u in rows.items():
        if not u.name:
            u.name, u.kind = names.get(key, (key, ""))
        u.compute_rates()
    return list(rows.values())


def _all_units(by):
    if by == "department":
        return [(d.code, d.name, d.kind) for d in Department.objects.filter(is_active=True, kind__in=EVALUATED_KINDS)]
    return [(u.code, u.name, "street") for u in GridUnit.objects.filter(is_active=True, level=Level.STREET)]
