"""Warning colour and deadline level of a dispatch, for the queue and the case pages.

gridgov.alerts owns the definition (四色预警 colours, near-overdue thresholds on the working calendar,
all in SQL): when it is installed, annotate_warnings() adds its annotations to a queryset and
warning_for() reads them. Without it, a minimal inline rule applies: the category's colour, overdue
once the due time that matters now has passed, near-overdue in the last quarter of the stage
(wall-clock, not working time).
"""
from dataclasses import dataclass

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

NEAR_FRACTION = 0.25  # inline fallback only; gridgov.alerts has GRIDGOV_WARNING_NEAR_FRACTION

COLOUR_LABELS = {"blue": _("蓝色"), "yellow": _("黄色"), "orange": _("橙色"), "red": _("红色")}
COLOUR_MEANINGS = {"blue": _("咨询类"), "yellow": _("多部门协同"), "orange": _("涉法涉诉"), "red": _("投诉举报")}


@dataclass
class Warning:
    colour: str  # blue / yellow / orange / red / "" (none)
    level: str  # ok / near / overdue / none (no stage running)
    due: object = None

    @property
    def colour_label(self):
        return COLOUR_LABELS.get(self.colour, "")

    @property
    def colour_meaning(self):
        return COLOUR_MEANINGS.get(self.colour, "")


def _alerts():
    if not apps.is_installed("gridgov.alerts"):
        return None
    try:
        from gridgov.alerts import warnings as alerts
    except ImportError:
        return None
    if not hasattr(alerts, "annotate_warning") or not hasattr(alerts, "warning_for"):
        return None
    return alerts


def annotate_warnings(queryset, now=None):
    alerts = _alerts()
    return alerts.annotate_warning(queryset, now) if alerts else queryset


def _inline(dispatch, now):
    category = dispatch.case.category if dispatch.case_id else None
    colour = (category.warning_colour if category else "") or ""
    due = dispatch.next_due
    if due is None:
        return Warning(colour, "none")
    if due <= now:
        return Warning(colour, "overdue", due)
    start = dispatch.dispatched_at  # both stages are counted from dispatch (gridgov.dispatch.due)
    span = (due - start).total_seconds() if start else 0
    if span > 0 and (due - now).total_seconds() <= span * NEAR_FRACTION:
        return Warning(colour, "near", due)
    return Warning(colour, "ok", due)


def warning_for(dispatch, now=None):
    now = now or timezone.now()
    alerts = _alerts()
    if alerts is not None:
        found = alerts.warning_for(dispatch, now)
        if found is not None:
            return Warning(found.colour or "", found.level or "none", found.due)
    return _inline(dispatch, now)


def with_warnings(dispatches, now=None):
    """Sets .warning on each dispatch (free for rows that came through annotate_warnings)."""
    now = now or timezone.now()
    for d in dispatches:
        d.warning = warning_for(d, now)
    return dispatches
