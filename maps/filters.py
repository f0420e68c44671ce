"""Query parameters of the map layers, validated once (FieldError names the field and the reason)."""
import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from gridgov.core.errors import FieldError

PERIODS = {"today": 1, "7d": 7, "30d": 30, "90d": 90, "365d": 365}
MAX_DAYS = 3660


def local_tz():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_midnight(day):
    return dt.datetime.combine(day, dt.time.min, tzinfo=local_tz())


@dataclass(frozen=True)
class Filters:
    start: dt.datetime          # aware, inclusive
    end: dt.datetime            # aware, exclusive
    first_day: dt.date          # local
    last_day: dt.date           # local, inclusive
    category: str = ""          # code as given ('' = all)
    category_ids: tuple = ()    # the category and its items

    @property
    def key(self):
        return f"{self.first_day:%Y%m%d}-{self.last_day:%Y%m%d}-{self.category or '*'}"

    def params(self):
        return {"p_start": self.start, "p_end": self.end, "p_cats": list(self.category_ids)}

    def period_sql(self, alias="c"):
        """WHERE fragment (named params from .params()) for cases received in the period, of the category."""
        return f"{alias}.received_at >= %(p_start)s AND {alias}.received_at < %(p_end)s AND " + self.category_sql(alias)

    def category_sql(self, alias="c"):
        return f"{alias}.category_id = ANY(%(p_cats)s)" if self.category_ids else "TRUE"

    def describe(self):
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat(), "category": self.category}


def _date(field, value):
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise FieldError(field, "invalid_date", f"{field} 应为日期 YYYY-MM-DD", f"{field} must be a date YYYY-MM-DD")


def category_ids(code):
    """Ids of the category with this code and of its items (a group covers its items)."""
    with connection.cursor() as cur:
        cur.execute("""
            SELECT c.id FROM cases_category c WHERE c.code = %s
            UNION SELECT k.id FROM cases_category k JOIN cases_category p ON p.id = k.parent_id WHERE p.code = %s
            ORDER BY 1
        """, [code, code])
        ids = tuple(r[0] for r in cur.fetchall())
    if not ids:
        raise FieldError("category", "unknown_category", f"分类 {code} 不存在", f"category {code} does not exist")
    return ids


def parse_filters(params, default_period="30d", now=None):
    """period=today|7d|30d|90d|365d, or from=YYYY-MM-DD&to=YYYY-MM-DD (local days, inclusive); category=code."""
    now = now or timezone.now()
    today = timezone.localtime(now, local_tz()).date()
    start_s, end_s = params.get("from"), params.get("to")
    if start_s or end_s:
        first = _date("from", start_s) if start_s else today - dt.timedelta(days=29)
        last = _date("to", end_s) if end_s else today
        if last < first:
            raise FieldError("to", "before_from", "结束日期早于开始日期", "'to' is before 'from'")
        if (last - first).days >= MAX_DAYS:
            raise FieldError("from", "period_too_long", "时间段不能超过 10 年", "the period may not exceed 10 years")
    else:
        period = params.get("period") or default_period
        if period not in PERIODS:
            raise FieldError("period", "invalid_period", "period 应为 " + "/".join(PERIODS),
                             "period must be one of " + "/".join(PERIODS))
        last = today
        first = today - dt.timedelta(days=PERIODS[period] - 1)
    code = (params.get("category") or "").strip()
    ids = category_ids(code) if code else ()
    return Filters(start=local_midnight(first), end=local_midnight(last + dt.timedelta(days=1)),
                   first_day=first, last_day=last, category=code, category_ids=ids)


def int_param(params, name, default, low, high):
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise FieldError(name, "not_an_integer", f"{name} 应为整数", f"{name} must be an integer")
    if not low <= value <= high:
        raise FieldError(name, "out_of_range", f"{name} 应在 {low}–{high} 之间", f"{name} must be {low}-{high}")
    return value


def choice_param(params, name, choices, default):
    value = params.get(name) or default
    if value not in choices:
        raise FieldError(name, "invalid_choice", f"{name} 应为 " + "/".join(choices),
                         f"{name} must be one of " + "/".join(choices))
    return value
