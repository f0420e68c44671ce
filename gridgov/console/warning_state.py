"""Warning colour and deadline level of a dispatch, for the queue and the case pages.

gridgov.alerts owns the definition (四色预警 colours, near-overdue thresholds on the working calendar,
all in SQL); this module only puts its answer in the shape the templates use (labels, meanings).
"""
from dataclasses import dataclass

from django.utils import timezone

from gridgov.alerts import warnings as alerts
from gridgov.alerts.vocabulary import COLOUR_LABELS, COLOUR_MEANINGS



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


def annotate_warnings(queryset, now=None):
    return alerts.annotate_warning(queryset, now)


def _wrap(found):
    if found is None:  # the dispatch is gone
        return Warning("", "none")
    return Warning(found.colour or "", found.level or "none", found.due)


def warning_for(dispatch, now=None):
    return _wrap(alerts.warning_for(dispatch, now or timezone.now()))


def with_warnings(dispatches, now=None):
    """Sets .warning on each dispatch: free for rows that came through annotate_warnings, one query
    for all the others together."""
    now = now or timezone.now()
    dispatches = list(dispatches)
    plain = [d for d in dispatches if not hasattr(d, "warning_level")]
    alerts.with_warnings(plain, now)
    plain_ids = {id(d) for d in plain}
    for d in dispatches:
        d.warning = _wrap(d.warning if id(d) in plain_ids else alerts.warning_for(d, now))
    return dispatches
