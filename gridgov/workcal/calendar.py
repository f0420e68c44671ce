"""Which days are working days, and when the working day is.

A day's status comes from, in order:

1. an administrator's CalendarDay row (the official schedule as published; always wins);
2. the chinese_calendar library (public holidays and make-up working days, 调休) for the years it
   has data for — detected by asking it, since it raises NotImplementedError outside its range;
3. otherwise Monday–Friday (a warning is logged once per year per process, and
   calendar_coverage(year) reports "fallback" so the UI can warn).

Nothing here raises for an uncovered year. Working hours come from settings.GRIDGOV_WORK_HOURS,
local to settings.GRIDGOV_WORK_TZ (Asia/Shanghai by default).
"""
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
from django.conf import settings

from gridgov.core.errors import FieldError

logger = logging.getLogger(__name__)

DEFAULT_WORK_HOURS = (("08:30", "12:00"), ("13:30", "17:30"))
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class Source:
    ADMIN = "admin"
    LIBRARY = "library"
    FALLBACK = "fallback"


def _parse_hhmm(value, index):
    if not isinstance(value, str) or not _HHMM.match(value):
        raise FieldError("GRIDGOV_WORK_HOURS", "malformed_time",
                         f"工作时段第 {index + 1} 段的时间 {value!r} 格式错误，应为 HH:MM",
                         f"work period {index + 1}: time {value!r} is not HH:MM")
    h, m = value.split(":")
    return time(int(h), int(m))


def parse_work_hours(periods=None):
    """[("08:30", "12:00"), ...] → ((time, time), ...), checked: ordered, non-empty, no overlap."""
    periods = getattr(settings, "GRIDGOV_WORK_HOURS", DEFAULT_WORK_HOURS) if periods is None else periods
    if not periods:
        raise FieldError("GRIDGOV_WORK_HOURS", "empty", "未配置工作时段", "no working periods configured")
    parsed = []
    for i, period in enumerate(periods):
        if not isinstance(period, (list, tuple)) or len(period) != 2:
            raise FieldError("GRIDGOV_WORK_HOURS", "malformed_period",
                             f"工作时段第 {i + 1} 段应为（开始, 结束）", f"work period {i + 1} must be (start, end)")
        start, end = _parse_hhmm(period[0], i), _parse_hhmm(period[1], i)
        if end <= start:
            raise FieldError("GRIDGOV_WORK_HOURS", "empty_period",
                             f"工作时段第 {i + 1} 段结束时间不晚于开始时间",
                             f"work period {i + 1} ends before it starts")
        if parsed and start < parsed[-1][1]:
            raise FieldError("GRIDGOV_WORK_HOURS", "overlap",
                             f"工作时段第 {i + 1} 段与前一段重叠或顺序错误",
                             f"work period {i + 1} overlaps or precedes the previous one")
        parsed.append((start, end))
    return tuple(parsed)


def work_minutes_per_day(periods=None):
    """Working minutes of one working day (450 with the default 08:30–12:00, 13:30–17:30)."""
    return sum((b.hour * 60 + b.minute) - (a.hour * 60 + a.minute) for a, b in parse_work_hours(periods))


def work_timezone():
    name = getattr(settings, "GRIDGOV_WORK_TZ", "Asia/Shanghai")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise FieldError("GRIDGOV_WORK_TZ", "unknown_timezone", f"未知时区 {name!r}", f"unknown time zone {name!r}")


@lru_cache(maxsize=None)
def library_covers(year):
    """Whether chinese_calendar has the official schedule for this year (asked, not hard-coded)."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
        chinese_calendar.is_workday(date(year, 12, 31))
    except NotImplementedError:
        return False
    return True


_warned_years = set()


def _warn_fallback(year):
    if year not in _warned_years:
        _warned_years.add(year)
        logger.warning("working calendar: no official schedule for %s (chinese_calendar %s lacks it and no "
                       "CalendarDay rows); counting Monday–Friday as working days", year,
                       getattr(chinese_calendar, "__version__", "?"))


@dataclass
class WorkCalendar:
    """One snapshot of the calendar: admin overrides + library + fallback, and the working hours.

    Build one with WorkCalendar.load() (reads CalendarDay once) and pass it to several deadline
    computations; or construct it directly in code that must not touch the database.
    """

    overrides: dict = field(default_factory=dict)  # date → bool
    windows: tuple = DEFAULT_WORK_HOURS  # ((time, time), ...) or (("HH:MM", "HH:MM"), ...)
    tz: ZoneInfo = None
    _days: dict = field(default_factory=dict, init=False, repr=False, compare=False)  # per-instance memo

    def __post_init__(self):
        if self.windows and isinstance(self.windows[0][0], str):
            self.windows = parse_work_hours(self.windows)
        if self.tz is None:
            self.tz = ZoneInfo("Asia/Shanghai")

    @classmethod
    def load(cls, work_hours=None, tz=None):
        from .models import CalendarDay

        overrides = dict(CalendarDay.objects.values_list("date", "is_workday"))
        return cls(overrides=overrides, windows=parse_work_hours(work_hours), tz=tz or work_timezone())

    def source(self, day):
        if day in self.overrides:
            return Source.ADMIN
        if library_covers(day.year):
            return Source.LIBRARY
        return Source.FALLBACK

    def is_workday(self, day):
        if isinstance(day, datetime):
            raise TypeError("is_workday takes a date; convert the datetime to local time first")
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = self._lookup(day)
        return known

    def _lookup(self, day):
        if day in self.overrides:
            return self.overrides[day]
        if library_covers(day.year):
            return chinese_calendar.is_workday(day)
        _warn_fallback(day.year)
        return day.weekday() < 5

    def holiday_name(self, day):
        """The library's holiday name (e.g. 'Spring Festival') for a holiday or 调休 day, else ''."""
        if not library_covers(day.year):
            return ""
        _on_holiday, name = chinese_calendar.get_holiday_detail(day)
        return name or ""

    def day_windows(self, day):
        """Working periods of one day as aware local datetimes; empty on a non-working day."""
        if not self.is_workday(day):
            return []
        return [(datetime.combine(day, s, tzinfo=self.tz), datetime.combine(day, e, tzinfo=self.tz))
                for s, e in self.windows]

    def end_of_day(self, day):
        return datetime.combine(day, self.windows[-1][1], tzinfo=self.tz)


def is_workday(day, calendar=None):
    """Is this local date a working day? (admin override > chinese_calendar > Monday–Friday)."""
    return (calendar or WorkCalendar.load()).is_workday(day)


@dataclass
class Coverage:
    year: int
    source: str  # Source.LIBRARY / Source.ADMIN / Source.FALLBACK
    library: bool
    override_days: int
    message_zh: str
    message_en: str

    @property
    def needs_attention(self):
        return self.source == Source.FALLBACK

    def as_dict(self):
        return {"year": self.year, "source": self.source, "library": self.library,
                "override_days": self.override_days, "needs_attention": self.needs_attention,
                "message": self.message_zh, "message_en": self.message_en}


def calendar_coverage(year):
    """Where the working-day answers for this year come from, with a message the UI can show.

    "library": chinese_calendar has the official schedule (admin rows, if any, still win);
    "admin": the library lacks the year but an administrator entered CalendarDay rows — the system
    cannot tell whether every holiday was entered, so the message asks to confirm;
    "fallback": neither — only weekends are days off; needs_attention is True.
    """
    from .models import CalendarDay

    n = CalendarDay.objects.filter(date__year=year).count()
    if library_covers(year):
        return Coverage(year, Source.LIBRARY, True, n,
                        f"{year} 年节假日安排来自 chinese_calendar 数据" + (f"，另有 {n} 天管理员调整" if n else ""),
                        f"{year}: official schedule from chinese_calendar" + (f", {n} admin overrides" if n else ""))
    if n:
        return Coverage(year, Source.ADMIN, False, n,
                        f"{year} 年节假日安排由管理员录入（{n} 天），请确认已录入全年官方安排",
                        f"{year}: {n} days entered by an administrator; check the whole official schedule is in")
    _warn_fallback(year)
    return Coverage(year, Source.FALLBACK, False, 0,
                    f"{year} 年尚无官方节假日安排，暂按周一至周五上班计算；请在“日历例外”中录入或导入国务院办公厅通知",
                    f"{year}: no official holiday schedule; Monday–Friday assumed. Enter or import the "
                    f"State Council schedule as calendar overrides")
