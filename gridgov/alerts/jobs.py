"""The sweep: find dispatches whose stage became near-overdue or overdue and send each alert once.

run_sweep() is what the periodic background job (gridgov.alerts.tasks, every minute) and the
`run_alerts_once` command run. It may run in several workers at once, be interrupted and be re-run:
every alert goes through gridgov.alerts.actions.do_send_alert, which claims it in the database, so
each (dispatch, stage, kind) is sent exactly once (see that module).

A stage already overdue when first seen (say the worker was down through the near-overdue window)
gets the overdue escalation only: a "deadline approaching" reminder after the deadline is noise.
Only handling departments (lead 主办, assist 协办) are reminded and escalated (ALERT_ROLES).
"""
import logging
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from gridgov.dispatch.models import Dispatch

from .actions import do_send_alert
from .models import AlertKind, AlertSent, Stage
from .vocabulary import FEEDBACK_STATES, HANDLER_ROLES
from .warnings import accept_level_expr, feedback_level_expr
from .worktime import ensure_warning_tables

logger = logging.getLogger(__name__)

ALERT_LEVELS = (AlertKind.NEAR, AlertKind.OVERDUE)
# Departments that handle the case. A notified (知会) department is told for information: its late
# acknowledgement shows as a warning on the pages but is neither reminded nor escalated.
ALERT_ROLES = HANDLER_ROLES


@dataclass
class SweepResult:
    candidates: int = 0
    sent: list = field(default_factory=list)  # AlertSent rows this run sent
    failed: int = 0

    def count(self, kind):
        return sum(1 for a in self.sent if a.kind == kind)


def due_alerts(now=None):
    """[(dispatch_id, stage, kind)] that should have been sent by `now` and were not (one SQL query)."""
    now = now or timezone.now()
    ensure_warning_tables(now)
    rows = (Dispatch.objects.filter(state__in=FEEDBACK_STATES, role__in=ALERT_ROLES)
            .annotate(a=accept_level_expr(now), f=feedback_level_expr(now))
            .filter(Q(a__in=ALERT_LEVELS) | Q(f__in=ALERT_LEVELS))
            .values_list("pk", "a", "f"))
    wanted = []
    for pk, a, f in rows:
        if a in ALERT_LEVELS:
            wanted.append((pk, Stage.ACCEPT.value, a))
        if f in ALERT_LEVELS:
            wanted.append((pk, Stage.FEEDBACK.value, f))
    if not wanted:
        return []
    sent = set(AlertSent.objects.filter(dispatch_id__in={w[0] for w in wanted})
               .values_list("dispatch_id", "stage", "kind"))
    return [w for w in wanted if w not in sent]


def run_sweep(now=None):
    """One sweep. Each alert in its own transaction: one failing does not hold back the others."""
    now = now or timezone.now()
    result = SweepResult()
    todo = due_alerts(now)
    result.candidates = len(todo)
    for dispatch_id, stage, kind in todo:
        try:
            alert = do_send_alert(dispatch_id, stage, kind, now=now)
        except Exception:
            logger.exception("alert %s/%s/%s failed; the next sweep retries it", dispatch_id, stage, kind)
            result.failed += 1
            continue
        if alert is not None:
            result.sent.append(alert)
    return result
