"""Deadline arithmetic on the working calendar. Short pure functions over a WorkCalendar.

Inputs are aware datetimes (any zone); the counting happens in local working time
(settings.GRIDGOV_WORK_TZ, Asia/Shanghai); results are aware UTC datetimes, ready to store.

Units (gridgov.workcal.models.LimitUnit):

- minutes / hours: wall-clock time, nights, weekends and holidays included.
- work_hours: only time inside the working periods (GRIDGOV_WORK_HOURS, default 08:30–12:00 and
  13:30–17:30) of working days counts. Reported outside them, the clock starts at the next
  working period. If the amount runs out exactly at the end of a period, the due time is that
  end (13:30 + 4 working hours on a working day → 17:30 the same day, not 08:30 the next).
  E.g. Friday 17:00 + 4 working hours, default hours, Monday a working day: 30 minutes on Friday,
  3 h 30 on Monday morning → Monday 12:00.
- work_days: the day of receipt never counts; day 1 is the first working day after the local date
  of receipt, whatever the hour of receipt (the rule of 民法典 第二百零一条 / 行政许可法 第八十二条:
  "开始的当日不计入，自下一日开始计算", which municipal case rules follow). The case is due at the
  close of the N-th such working day (end of its last working period, 17:30 by default).
  E.g. received Thursday 10:00 or Thursday 22:00, 1 working day → Friday 17:30; received on
  Saturday, 1 working day → Monday 17:30 (or the next working day, if Monday is a holiday).
"""
from datetime import UTC, datetime, timedelta

from gridgov.core.errors import FieldError

from .calendar import WorkCalendar
from .limits import validate_limit
from .models import LimitUnit

# Safety net for a calendar that somehow has no working time at all (every day overridden off).
MAX_SCAN_DAYS = 366 * 3


def _local(moment, calendar, field):
    if not isinstance(moment, datetime):
        raise FieldError(field, "not_datetime", f"{field} 应为日期时间", f"{field} must be a datetime")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise FieldError(field, "naive_datetime", f"{field} 缺少时区信息（应为带时区的时间）",
                         f"{field} is a naive datetime; an aware datetime is required")
    return moment.astimezone(calendar.tz)


def working_periods_from(start_local, calendar, until=None):
    """Yield (from, to) local working periods at or after start_local, in order, clipped to start.

    With `until` (a local datetime) it stops there; without, it gives up after MAX_SCAN_DAYS.
    """
    day = start_local.date()
    days = (until.date() - day).days + 1 if until is not None else MAX_SCAN_DAYS
    for _ in range(days):
        for begin, end in calendar.day_windows(day):
            if end > start_local:
                yield max(begin, start_local), end
        day += timedelta(days=1)
    if until is not None:
        return
    raise FieldError("calendar", "no_working_time",
                     f"{start_local.date()} 之后 {MAX_SCAN_DAYS} 天内没有任何工作时间，请检查日历例外设置",
                     f"no working time within {MAX_SCAN_DAYS} days after {start_local.date()}; check calendar overrides")


def add_work_minutes(start_local, minutes, calendar):
    remaining = timedelta(minutes=minutes)
    for begin, end in working_periods_from(start_local, calendar):
        if end - begin >= remaining:
            return begin + remaining
        remaining -= end - begin


def nth_workday_after(day, n, calendar):
    """The n-th working day strictly after `day` (n >= 1)."""
    for _ in range(MAX_SCAN_DAYS + n):
        day += timedelta(days=1)
        if calendar.is_workday(day):
            n -= 1
            if n == 0:
                return day
    raise FieldError("calendar", "no_working_time", "日历中长期没有工作日，请检查日历例外设置",
                     "no working days in the calendar for years; check calendar overrides")


def add_limit(start, amount, unit, calendar=None):
    """The due instant (aware, UTC) for a limit of `amount` `unit` counted from `start`.

    See the module docstring for the exact rule of each unit. FieldError on a naive datetime, an
    unknown unit or an amount that is not a positive whole number.
    """
    validate_limit(amount, unit)
    calendar = calendar or WorkCalendar.load()
    local = _local(start, calendar, "start")
    if unit == LimitUnit.MINUTES:
        due = local + timedelta(minutes=amount)
    elif unit == LimitUnit.HOURS:
        due = local + timedelta(hours=amount)
    elif unit == LimitUnit.WORK_HOURS:
        due = add_work_minutes(local, amount * 60, calendar)
    else:
        due = calendar.end_of_day(nth_workday_after(local.date(), amount, calendar))
    return due.astimezone(UTC)


def working_minutes_between(a, b, calendar=None):
    """Working minutes (float) from a to b, counted like work_hours; negative if b is before a.

    working_minutes_between(start, add_limit(start, n, "work_hours")) == 60 * n, and
    working_minutes_between(now, due) is the working time left (negative once overdue).
    """
    calendar = calendar or WorkCalendar.load()
    a_local, b_local = _local(a, calendar, "a"), _local(b, calendar, "b")
    if b_local < a_local:
        return -working_minutes_between(b, a, calendar)
    total = timedelta(0)
    for begin, end in working_periods_from(a_local, calendar, until=b_local):
        if begin >= b_local:
            break
        total += min(end, b_local) - begin
    return total.total_seconds() / 60


def add_statutory_days(start, days, calendar=None):
    """The due instant (aware, UTC) of a period of `days` calendar days (日) counted as statutes count them.

    民法典 第二百零一条: the day of receipt does not count, day 1 is the next local date; 第二百零三条: when
    the last day is a statutory holiday or rest day (not a working day on the calendar, 调休 included), the
    period ends on the next working day. Due at the end of that day (24:00 local). Used for the clocks of
    《信访工作条例》 (gridgov.petitions.conf), which are written in days, not working days.
    """
    validate_limit(days, LimitUnit.WORK_DAYS, field="days")  # same bounds as working days: 1..500
    calendar = calendar or WorkCalendar.load()
    last = _local(start, calendar, "start").date() + timedelta(days=days)
    if not calendar.is_workday(last):
        last = nth_workday_after(last, 1, calendar)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=calendar.tz)
    return end.astimezone(UTC)
