"""Bulk dispatch creation (the synthetic load, seeds): many dispatch rows in one INSERT … SELECT.

The caller fills dispatch_bulk_stage (columns STAGE_COLUMNS) in SQL, usually from
gridgov.cases.bulk's case_bulk_created. Due times are those a single dispatch gets
(gridgov.dispatch.actions.create_dispatches): gridgov.dispatch.due.limits_for(category, urgency) — the
category's limits scaled for the case's urgency; no routing rule — counted on the working calendar by
gridgov.workcal.deadlines.add_limit from the dispatch instant, never by interval arithmetic. Each
distinct (limit, start) is counted once; working-day limits depend only on the local day of the start, so
they are counted once per (limit, day). A notified department gets no handling due time.
"""
from django.db import connection, transaction
from django.utils import timezone

from gridgov.cases.models import Category
from gridgov.workcal.calendar import WorkCalendar
from gridgov.workcal.deadlines import add_limit
from gridgov.workcal.models import LimitUnit

from .due import limits_for
from .models import Role, State

STAGE = "dispatch_bulk_stage"
STAGE_COLUMNS = (
    ("idx", "bigint PRIMARY KEY"), ("case_id", "bigint NOT NULL"), ("department_id", "bigint NOT NULL"),
    ("role", "text NOT NULL"), ("state", "text NOT NULL"), ("dispatched_at", "timestamptz NOT NULL"),
    ("accepted_at", "timestamptz"), ("started_at", "timestamptz"), ("fed_back_at", "timestamptz"),
    ("verified_at", "timestamptz"), ("closed_at", "timestamptz"),
)

_INSERT_SQL = f"""
INSERT INTO dispatch_dispatch (role, state, rule_version, legal_basis, dispatched_at, accept_due, feedback_due,
                               response_limit_amount, response_limit_unit, handling_limit_amount, handling_limit_unit,
                               accepted_at, started_at, fed_back_at, feedback_text, verified_at, verify_note,
                               rework_count, closed_at, returned_at, return_reason, suspended_from, bounce_count,
                               version, updated_at, case_id, department_id)
SELECT s.role, s.state, NULL, '', s.dispatched_at, d.accept_due, d.feedback_due,
       d.response_amount, coalesce(d.response_unit, ''), d.handling_amount, coalesce(d.handling_unit, ''),
       s.accepted_at, s.started_at, s.fed_back_at, '', s.verified_at, '', 0, s.closed_at, NULL, '', '', 0, 1,
       %(now)s, s.case_id, s.department_id
FROM {STAGE} s JOIN dispatch_bulk_due d USING (idx)
ORDER BY s.idx
"""


class DueTimes:
    """(accept_due, feedback_due, limits) per (category, urgency, start), each distinct limit counted once."""

    def __init__(self, calendar=None):
        self.calendar = calendar or WorkCalendar.load()
        self.categories = {c.pk: c for c in Category.objects.all()}
        self._limits, self._due = {}, {}

    def limits(self, category_id, urgency):
        key = (category_id, urgency)
        if key not in self._limits:
            self._limits[key] = limits_for(self.categories.get(category_id), urgency)
        return self._limits[key]

    def due(self, limit, start):
        if limit is None:
            return None
        unit = LimitUnit(limit.unit)
        at = timezone.localtime(start, self.calendar.tz).date() if unit == LimitUnit.WORK_DAYS else start
        key = (limit.amount, unit, at)
        if key not in self._due:
            self._due[key] = add_limit(start, limit.amount, unit, self.calendar)
        return self._due[key]


def do_bulk_create_dispatches(fill, now=None):
    """Insert the dispatches staged by fill = (sql, params) (an INSERT INTO dispatch_bulk_stage …), with due
    times as above; returns the number written. Inside the caller's transaction (a savepoint)."""
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {STAGE}")
        cur.execute("DROP TABLE IF EXISTS dispatch_bulk_due")
        cur.execute(f"CREATE TEMP TABLE {STAGE} ({', '.join(f'{c} {t}' for c, t in STAGE_COLUMNS)}) ON COMMIT DROP")
        cur.execute(fill[0], fill[1])
        cur.execute(f"SELECT s.idx, s.role, s.dispatched_at, k.category_id, k.urgency FROM {STAGE} s"
                    " JOIN cases_case k ON k.id = s.case_id ORDER BY s.idx")
        staged = cur.fetchall()
        due = DueTimes()
        cur.execute("CREATE TEMP TABLE dispatch_bulk_due (idx bigint PRIMARY KEY, accept_due timestamptz,"
                    " feedback_due timestamptz, response_amount int, response_unit text, handling_amount int,"
                    " handling_unit text) ON COMMIT DROP")
        with cur.copy("COPY dispatch_bulk_due FROM STDIN") as copy:
            for idx, role, start, category_id, urgency in staged:
                limits = due.limits(category_id, urgency)
                handles = role != Role.NOTIFIED
                handling = limits.handling if handles else None
                copy.write_row((idx, due.due(limits.response, start), due.due(handling, start),
                                limits.response.amount if limits.response else None,
                                LimitUnit(limits.response.unit).value if limits.response else None,
                                handling.amount if handling else None,
                                LimitUnit(handling.unit).value if handling else None))
        cur.execute("ANALYZE dispatch_bulk_due")
        cur.execute(_INSERT_SQL, {"now": now})
        return cur.rowcount


__all__ = ["do_bulk_create_dispatches", "DueTimes", "STAGE", "STAGE_COLUMNS", "State"]
