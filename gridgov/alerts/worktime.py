"""The working calendar and the warning settings, mirrored into tables the SQL functions read.

PostgreSQL cannot ask chinese_calendar which days are working days, so ensure_warning_tables() writes
the calendar out as alerts_workperiod: one row per working period (08:30–12:00, 13:30–17:30 by default)
of every working day from two years back to three years ahead, each with the working minutes counted
from the first period up to its start. The working minutes between two instants are then a difference
of two index look-ups (SQL alerts_work_minutes_at), equal to
gridgov.workcal.deadlines.working_minutes_between (tests check this).

It is rebuilt only when something it depends on changes: the working hours or time zone, the
chinese_calendar version, the administrator's CalendarDay rows (count and last change), or when today
approaches the end of the range; the warning settings (gridgov.alerts.conf) are copied each time they
differ. The check is one small query; a rebuild (about 2,500 rows) takes a transaction-level advisory
lock so two processes never rebuild at once, and readers keep seeing the old rows until it commits.
"""
import hashlib
from datetime import UTC, datetime, timedelta

import chinese_calendar
from django.db import connection, transaction
from django.utils import timezone

from gridgov.workcal.calendar import WorkCalendar, parse_work_hours, work_minutes_per_day, work_timezone

from . import conf
from .models import WarningConfig, WorkPeriod

DAYS_BACK = 730
DAYS_AHEAD = 1095
REBUILD_WHEN_AHEAD_BELOW = 730
LOCK_KEY = 0x61_6C_65_72_74  # "alert"

_STATE_SQL = """
SELECT c.calendar_key, c.periods_from, c.periods_to, c.near_fraction, c.near_min_minutes, c.default_colour,
       c.multi_colour, c.diversion_colour, c.day_minutes,
       (SELECT count(*) FROM workcal_calendarday), (SELECT max(updated_at) FROM workcal_calendarday)
FROM (SELECT 1) one LEFT JOIN alerts_warningconfig c ON c.id = 1
"""


def _calendar_key(day_count, day_changed):
    hours = ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in parse_work_hours())
    raw = "|".join([hours, str(work_timezone()), getattr(chinese_calendar, "__version__", "?"), str(day_count),
                    day_changed.isoformat() if day_changed else "-"])
    return hashlib.sha1(raw.encode()).hexdigest()


def day_minutes():
    return work_minutes_per_day()


def _read_state():
    with connection.cursor() as cur:
        cur.execute(_STATE_SQL)
        row = cur.fetchone()
    (key, p_from, p_to, fraction, min_minutes, default, multi, diversion, dmin, day_count, day_changed) = row
    return {"key": key, "from": p_from, "to": p_to, "day_count": day_count, "day_changed": day_changed,
            "values": {"near_fraction": fraction, "near_min_minutes": min_minutes, "default_colour": default,
                       "multi_colour": multi, "diversion_colour": diversion},
            "day_minutes": dmin}


def _needs(state, wanted_key, wanted_values, now):
    periods = (state["key"] != wanted_key or state["to"] is None
               or state["to"] < now + timedelta(days=REBUILD_WHEN_AHEAD_BELOW))
    settings_changed = state["values"] != wanted_values or state["day_minutes"] != day_minutes()
    return periods, settings_changed


def build_periods(calendar, start_day, end_day):
    """[(start, end, cum_before)] for every working period of the local days start_day..end_day."""
    rows, cum, day = [], 0.0, start_day
    while day <= end_day:
        for begin, end in calendar.day_windows(day):
            rows.append((begin.astimezone(UTC), end.astimezone(UTC), cum))
            cum += (end - begin).total_seconds() / 60
        day += timedelta(days=1)
    return rows


def ensure_warning_tables(now=None, force=False):
    """Bring alerts_warningconfig / alerts_workperiod up to date. Returns True if anything was written."""
    now = now or timezone.now()
    wanted_values = conf.values()
    state = _read_state()
    wanted_key = _calendar_key(state["day_count"], state["day_changed"])
    periods, settings_changed = _needs(state, wanted_key, wanted_values, now)
    if not (force or periods or settings_changed):
        return False
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        state = _read_state()  # someone may have done it while we waited
        wanted_key = _calendar_key(state["day_count"], state["day_changed"])
        periods, settings_changed = _needs(state, wanted_key, wanted_values, now)
        if force:
            periods = True
        if not (periods or settings_changed):
            return False
        fields = {**wanted_values, "day_minutes": day_minutes(), "refreshed_at": now}
        if periods:
            calendar = WorkCalendar.load()
            today = now.astimezone(calendar.tz).date()
            first, last = today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)
            rows = build_periods(calendar, first, last)
            WorkPeriod.objects.all().delete()
            WorkPeriod.objects.bulk_create([WorkPeriod(start_at=a, end_at=b, cum_before=c) for a, b, c in rows],
                                           batch_size=2000)
            fields.update(calendar_key=wanted_key,
                          periods_from=datetime.combine(first, datetime.min.time(), tzinfo=calendar.tz),
                          periods_to=datetime.combine(last + timedelta(days=1), datetime.min.time(),
                                                      tzinfo=calendar.tz))
        WarningConfig.objects.update_or_create(id=1, defaults=fields)
    return True
