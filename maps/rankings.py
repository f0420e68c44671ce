"""Department and street rankings (三率) for the wall from gridgov.evaluation, the project's one
definition of 及时受理率 / 按期办结率 / 满意率 (docs/evaluation.md), when that app is installed.

evaluation.ranking takes seconds at a million cases, so it is never computed in a wall request: the
periodic job maps.refresh_rankings (every 10 minutes, maps/tasks.py) or `manage.py refresh_map_rankings`
stores the last 30 days' rankings in maps_cache, and the dashboard shows them while they are under an
hour old. Until then (or without the evaluation app) the dashboard computes its own figures from the
dispatch due times (maps.selectors), and says which it shows.
"""
import datetime as dt
import json

from django.apps import apps
from django.db import connection
from django.utils import timezone

from . import cache
from .filters import local_tz

KEY = "rankings/evaluation/30d"
MAX_AGE_S = 3600
DEPARTMENTS_SHOWN = 12


def available():
    return apps.is_installed("gridgov.evaluation")


def _pct(value):
    return round(value * 100, 1) if value is not None else None


def _pack(units):
    return [{"code": u.key, "name": u.name, "rank": u.rank, "score": u.score, "total": u.dispatched,
             "accept_rate": _pct(u.rates.get("timely_acceptance_rate")),
             "on_time_rate": _pct(u.rates.get("on_time_closure_rate")),
             "closure_rate": _pct(u.rates.get("closure_rate")),
             "satisfaction_rate": _pct(u.rates.get("satisfaction_rate"))} for u in units]


def compute(now=None):
    """The last 30 local days (today included) ranked by gridgov.evaluation, by department and by street."""
    from gridgov.evaluation.ranking import ranking

    now = now or timezone.now()
    today = timezone.localtime(now, local_tz()).date()
    first = today - dt.timedelta(days=29)
    departments = _pack(ranking(first, today, by="department", now=now))
    streets = _pack(ranking(first, today, by="street", now=now))
    streets.sort(key=lambda r: (-(r["on_time_rate"] if r["on_time_rate"] is not None else -1), r["code"]))
    return {"source": "evaluation", "from": first.isoformat(), "to": today.isoformat(),
            "computed_at": timezone.localtime(now, local_tz()).strftime("%H:%M"),
            "departments": departments[:DEPARTMENTS_SHOWN], "streets": streets}


def refresh(now=None):
    """Compute and store the rankings (one process at a time: an advisory lock). Returns them, or None when
    another process is refreshing or the evaluation app is not installed."""
    if not available():
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(hashtext('maps.refresh_rankings'))")
        if not cur.fetchone()[0]:
            return None
        try:
            version = cache.current_version()
            data = compute(now)
            cache.store(KEY, version, 0, "application/json", json.dumps(data, ensure_ascii=False).encode())
            return data
        finally:
            cur.execute("SELECT pg_advisory_unlock(hashtext('maps.refresh_rankings'))")


def cached(max_age_s=MAX_AGE_S):
    """The stored rankings if under max_age_s old, else None."""
    if not available():
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT body FROM maps_cache WHERE key = %s AND created_at > clock_timestamp() - make_interval(secs => %s)",
                    [KEY, max_age_s])
        row = cur.fetchone()
    return json.loads(bytes(row[0])) if row else None
