"""Warnings (预警) of dispatches and cases: the four colours and the deadline level per stage.

For the queues, the map wall, the console pages and the background sweep, from one definition (the SQL
functions of gridgov/alerts/sql/warnings.sql, in the vocabulary of gridgov.alerts.vocabulary):

    annotate_warning(dispatch_queryset, now=None)
        adds  warning_colour  'blue' | 'yellow' | 'orange' | 'red'      (四色预警 of the dispatch's case)
              accept_level    'none' | 'ok' | 'near' | 'overdue'        (签收 stage)
              feedback_level  'none' | 'ok' | 'near' | 'overdue'        (办结反馈 stage)
              warning_level   the worse of the two
              warning_rank    0 none, 1 ok, 2 near, 3 overdue (sort with -warning_rank)
        filter with e.g. .filter(warning_level="overdue") — it is all SQL.
    annotate_case_warning(case_queryset, now=None)
        adds  warning_colour, warning_level (worst over the case's dispatches), warning_rank
    warning_for(dispatch, now=None) -> DispatchWarning(colour, level, due, accept_level, feedback_level)
        for one dispatch (uses the annotations if the object came from annotate_warning, else one query)
    DISPATCH_WARNINGS_SQL / CASE_WARNINGS_SQL
        SELECT statements (one row per dispatch / case, %(now)s parameter) for raw SQL, e.g. a tile query:
        ... JOIN alerts_case_warnings(now()) w ON w.case_id = c.id

Colours (四色预警, seed 003): blue — consultation, to be answered within half a working day; yellow — needs
several departments; orange — involves law or litigation; red — complaint or report. A case gets its
category's colour (or its group's, else GRIDGOV_WARNING_DEFAULT_COLOUR), raised — never lowered — to
yellow once two or more departments handle it (lead + assists) and to orange once it is diverted to
courts / arbitration / administrative review. (Blue's half working day is the category's limit in the
routing data — e.g. 暴露垃圾: 4 working hours — so its due times already carry it.)

Levels per stage, from the due times stored on the dispatch (never recomputed here):
- accept (签收) counts while the dispatch waits to be accepted (state whistled);
- feedback (办结反馈) counts from the whistle until the department feeds back (whistled, accepted,
  in progress, rework) — not while suspended (缓办/挂账), and not after feedback;
- overdue once now is past the due time; near (临近超期) once the time left is at most
  GRIDGOV_WARNING_NEAR_FRACTION of the stage's limit (or GRIDGOV_WARNING_NEAR_MIN_MINUTES, whichever
  is larger). The time left is counted like the limit: working minutes on the Chinese working calendar
  for work_hours / work_days limits (so a Friday-evening dispatch is not "near" over the weekend),
  wall-clock minutes for minutes / hours limits;
- ok while a stage runs and is neither; none when no stage runs (or it has no due time).
"""
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (CharField, Count, DateTimeField, Exists, F, FloatField, Func, IntegerField, Max,
                              OuterRef, Subquery, Value)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import conf
from .worktime import day_minutes, ensure_warning_tables

from .vocabulary import (ACCEPT_STATES, COLOUR_LABELS, COLOUR_MEANINGS, COLOURS, FEEDBACK_STATES,  # noqa: F401
                         LEVEL_LABELS, LEVELS)

DISPATCH_WARNINGS_SQL = "SELECT * FROM alerts_dispatch_warnings(%(now)s)"
CASE_WARNINGS_SQL = "SELECT * FROM alerts_case_warnings(%(now)s)"


def _now_value(now):
    return Value(now or timezone.now(), output_field=DateTimeField())


def _settings_args():
    """The thresholds as SQL parameters (the functions take them as arguments, so they are inlined)."""
    v = conf.values()
    return [Value(v["near_fraction"], output_field=FloatField()), Value(v["near_min_minutes"], output_field=FloatField()),
            Value(float(day_minutes()), output_field=FloatField())]


def _now_work(now):
    # An uncorrelated sub-select: evaluated once per query, not per row.
    return RawSQL("(SELECT alerts_work_minutes_at(%s))", [now], output_field=FloatField())


def _stage_expr(function, due, amount, unit, now, prefix):
    p = prefix
    now = now or timezone.now()
    return Func(F(f"{p}state"), F(f"{p}{due}"), F(f"{p}{amount}"), F(f"{p}{unit}"), F(f"{p}dispatched_at"),
                _now_value(now), _now_work(now), *_settings_args(), function=function, output_field=CharField())


def accept_level_expr(now=None, prefix=""):
    return _stage_expr("alerts_accept_level", "accept_due", "response_limit_amount", "response_limit_unit", now,
                       prefix)


def feedback_level_expr(now=None, prefix=""):
    return _stage_expr("alerts_feedback_level", "feedback_due", "handling_limit_amount", "handling_limit_unit", now,
                       prefix)


def _rank(expr):
    return Func(expr, function="alerts_level_rank", output_field=IntegerField())


def _level_name(rank):
    return Func(rank, function="alerts_level_name", output_field=CharField())


def _colour_expr(case_ref, category_prefix):
    """alerts_colour(...) with its inputs from joins and two correlated look-ups on the case's dispatches."""
    from gridgov.dispatch.models import RELEASED_STATES, Dispatch

    live = Dispatch.objects.filter(case=OuterRef(case_ref)).exclude(state__in=RELEASED_STATES)
    handlers = Subquery(live.filter(role__in=["lead", "assist"]).order_by().values("case")
                        .annotate(n=Count("department", distinct=True)).values("n")[:1],
                        output_field=IntegerField())
    diverted = Exists(live.filter(department__kind="diversion"))
    v = conf.values()
    return Func(F(f"{category_prefix}category__warning_colour"), F(f"{category_prefix}category__parent__warning_colour"),
                handlers, diverted, Value(v["default_colour"]), Value(v["multi_colour"]),
                Value(v["diversion_colour"]), function="alerts_colour", output_field=CharField())


def annotate_warning(queryset, now=None):
    """Dispatch queryset + warning_colour, accept_level, feedback_level, warning_level, warning_rank."""
    ensure_warning_tables()
    now = now or timezone.now()
    accept, feedback = accept_level_expr(now), feedback_level_expr(now)
    rank = Func(_rank(accept), _rank(feedback), function="GREATEST", output_field=IntegerField())
    return queryset.annotate(
        warning_colour=_colour_expr("case_id", "case__"),
        accept_level=accept, feedback_level=feedback, warning_level=_level_name(rank), warning_rank=rank)


def annotate_case_warning(queryset, now=None):
    """Case queryset + warning_colour, warning_level (worst over its dispatches), warning_rank."""
    from gridgov.dispatch.models import Dispatch

    ensure_warning_tables()
    now = now or timezone.now()
    per_dispatch = Func(_rank(accept_level_expr(now)), _rank(feedback_level_expr(now)), function="GREATEST",
                        output_field=IntegerField())
    worst = Subquery(Dispatch.objects.filter(case=OuterRef("pk")).order_by().values("case")
                     .annotate(r=Max(per_dispatch)).values("r")[:1], output_field=IntegerField())
    rank = Coalesce(worst, Value(0))
    return queryset.annotate(warning_colour=_colour_expr("pk", ""), warning_level=_level_name(rank),
                             warning_rank=rank)


@dataclass
class DispatchWarning:
    colour: str
    level: str
    due: datetime | None = None
    accept_level: str = "none"
    feedback_level: str = "none"

    @property
    def stage(self):
        """The stage that gives the level ('accept' / 'feedback' / '')."""
        if self.level in ("none",):
            return ""
        return "accept" if self.accept_level == self.level else "feedback"

    @property
    def colour_label(self):
        return COLOUR_LABELS.get(self.colour, "")

    @property
    def colour_meaning(self):
        return COLOUR_MEANINGS.get(self.colour, "")

    @property
    def level_label(self):
        return LEVEL_LABELS.get(self.level, "")


def _due_of(dispatch, accept_level, feedback_level):
    if accept_level != "none" and (feedback_level == "none" or
                                   LEVELS.index(accept_level) >= LEVELS.index(feedback_level)):
        return dispatch.accept_due
    if feedback_level != "none":
        return dispatch.feedback_due
    return None


def warning_for(dispatch, now=None):
    """The warning of one dispatch. Free if it came from annotate_warning (with the same `now`)."""
    if not hasattr(dispatch, "warning_level"):
        from gridgov.dispatch.models import Dispatch

        row = annotate_warning(Dispatch.objects.filter(pk=dispatch.pk), now).values(
            "warning_colour", "accept_level", "feedback_level", "warning_level").first()
        if row is None:
            return None
        colour, accept, feedback, level = (row["warning_colour"], row["accept_level"], row["feedback_level"],
                                           row["warning_level"])
    else:
        colour, accept, feedback, level = (dispatch.warning_colour, dispatch.accept_level, dispatch.feedback_level,
                                           dispatch.warning_level)
    return DispatchWarning(colour=colour, level=level, due=_due_of(dispatch, accept, feedback),
                           accept_level=accept, feedback_level=feedback)


def with_warnings(dispatches, now=None):
    """Set .warning on each dispatch of a list (one query for the lot)."""
    from gridgov.dispatch.models import Dispatch

    dispatches = list(dispatches)
    if not dispatches:
        return dispatches
    rows = {r["pk"]: r for r in annotate_warning(Dispatch.objects.filter(pk__in=[d.pk for d in dispatches]), now)
            .values("pk", "warning_colour", "accept_level", "feedback_level", "warning_level")}
    for d in dispatches:
        r = rows.get(d.pk)
        d.warning = None if r is None else DispatchWarning(
            r["warning_colour"], r["warning_level"], _due_of(d, r["accept_level"], r["feedback_level"]),
            r["accept_level"], r["feedback_level"])
    return dispatches
