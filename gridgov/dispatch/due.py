"""Due times of a dispatch: which limits apply, scaled for urgency, turned into UTC instants.

Two stages, each with its own limit:
- response (签收/报到): accept_due = dispatch instant + response limit;
- handling (办结反馈): feedback_due = dispatch instant + handling limit (counted from dispatch, not
  from acceptance, so a slow acceptance eats into the handling time, as the city rules count it).

Which limit: the routing rule's limit for that stage if the rule sets one, else the category's.
A stage with no limit anywhere has no due time (None).

Urgency (the policy chosen here): a category's limits are written for its default urgency. A case
marked more urgent than that gets each limit halved once per step up (一般 → 紧急 → 特急), rounded up
to a whole unit. A limit of 1 that cannot be halved in its unit first moves to a finer unit:
1 working day → the working hours of one day (7 with the default 08:30–12:00, 13:30–17:30; then
halved to 4), 1 hour → 60 minutes. 1 working hour and 1 minute are floors. A case less urgent than
its category's default keeps the category's limits (never lengthened).

All arithmetic is gridgov.workcal.deadlines.add_limit (Chinese working calendar with holidays and
调休); the results are stored on the dispatch and never recomputed, except when a suspension ends
(resume_due).
"""
import math
from dataclasses import dataclass
from datetime import UTC, timedelta

from gridgov.cases.models import URGENCY_RANK, Urgency
from gridgov.workcal.calendar import work_minutes_per_day
from gridgov.workcal.deadlines import add_limit, add_work_minutes, working_minutes_between
from gridgov.workcal.limits import TimeLimit
from gridgov.workcal.models import LimitUnit


@dataclass(frozen=True)
class Limits:
    response: TimeLimit | None
    handling: TimeLimit | None
    steps: int = 0  # urgency steps above the category's default
    source: str = ""  # "rule", "category", "rule+category" or "" (none)

    def due_times(self, start, calendar=None):
        """(accept_due, feedback_due) as aware UTC datetimes (or None for a stage without a limit)."""
        accept = add_limit(start, self.response.amount, self.response.unit, calendar) if self.response else None
        feedback = add_limit(start, self.handling.amount, self.handling.unit, calendar) if self.handling else None
        return accept, feedback


def work_hours_per_day():
    return max(1, work_minutes_per_day() // 60)


def halve(limit):
    amount, unit = limit.amount, LimitUnit(limit.unit)
    if amount == 1:
        if unit == LimitUnit.WORK_DAYS:
            amount, unit = work_hours_per_day(), LimitUnit.WORK_HOURS
        elif unit == LimitUnit.HOURS:
            amount, unit = 60, LimitUnit.MINUTES
        else:
            return limit
    return TimeLimit(max(1, math.ceil(amount / 2)), unit)


def scale(limit, steps):
    for _ in range(max(0, steps)):
        if limit is None:
            break
        limit = halve(limit)
    return limit


def urgency_steps(case_urgency, category_urgency):
    return max(0, URGENCY_RANK[Urgency(case_urgency)] - URGENCY_RANK[Urgency(category_urgency or Urgency.NORMAL)])


def limits_for(category, urgency, rule=None):
    """The limits a dispatch of a case of `category` at `urgency` gets under `rule` (or none)."""
    sources = []

    def pick(prefix):
        if rule is not None:
            own = TimeLimit.from_fields(getattr(rule, f"{prefix}_limit_amount"), getattr(rule, f"{prefix}_limit_unit"))
            if own is not None:
                sources.append("rule")
                return own
        if category is not None:
            amount, unit = getattr(category, f"{prefix}_limit"), getattr(category, f"{prefix}_limit_unit")
            if amount and unit:
                sources.append("category")
                return TimeLimit(amount, unit)
        return None

    response, handling = pick("response"), pick("handling")
    steps = urgency_steps(urgency, category.default_urgency if category is not None else Urgency.NORMAL)
    source = "+".join(dict.fromkeys(sources))
    return Limits(scale(response, steps), scale(handling, steps), steps, source)


def resume_due(due, suspended_at, resumed_at, unit, calendar=None):
    """A due time moved on by a suspension: the time that was left when it was suspended is given again
    from the moment it resumes — working minutes for working-time limits, wall-clock time otherwise.
    Already overdue when suspended: it stays overdue by the same amount."""
    if due is None:
        return None
    if unit in (LimitUnit.WORK_HOURS, LimitUnit.WORK_DAYS):
        from gridgov.workcal.calendar import WorkCalendar

        calendar = calendar or WorkCalendar.load()
        left = working_minutes_between(suspended_at, due, calendar)
        if left <= 0:
            return due + (resumed_at - suspended_at)
        local = resumed_at.astimezone(calendar.tz)
        return add_work_minutes(local, left, calendar).astimezone(UTC)
    return due + max(resumed_at - suspended_at, timedelta(0))
