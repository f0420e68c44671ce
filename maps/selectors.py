"""Reads for the map wall's side panels and click details. No personal data leaves here: no contact
name or phone, no reporter, no free text (description, address, notes may name people)."""
import json
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone

from gridgov.cases.models import Status, Urgency
from gridgov.core.errors import FieldError

from . import cache, rankings
from .conf import WALL_MAX_STALE
from .filters import local_midnight, local_tz

COLOURS = ["red", "orange", "yellow", "blue", "overdue"]


class NotFound(FieldError):
    status = 404
TICKER_SIZE = 20


@contextmanager
def snapshot():
    """One read-only snapshot for several statements (the panels agree with each other and the version).
    Inside a caller's transaction the caller's isolation applies."""
    outer = connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cur:
            if not outer:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield cur


def _rows(cur, sql, params=None):
    cur.execute(sql, params or {})
    cols = [c.name for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _rate(num, den):
    return round(num * 100.0 / den, 1) if den else None


def _dashboard(now):
    tz = local_tz()
    today = timezone.localtime(now, tz).date()
    p = {"today": local_midnight(today), "d30": local_midnight(today) - timezone.timedelta(days=29), "now": now}
    with snapshot() as cur:
        cur.execute("SELECT maps_data_version()")
        version = cur.fetchone()[0]
        kpi = _rows(cur, """
            SELECT (SELECT count(*) FROM cases_case WHERE received_at >= %(today)s) AS today_intake,
                   (SELECT count(*) FROM cases_case WHERE closed_at >= %(today)s) AS today_closed,
                   (SELECT count(*) FROM cases_case WHERE received_at >= %(d30)s) AS intake_30d
        """, p)[0]
        colours = {r["colour"]: r["n"] for r in _rows(cur, """
            SELECT colour, count(*) AS n FROM maps_case_warning WHERE is_open GROUP BY colour""")}
        kpi["open"] = sum(colours.values())
        kpi["overdue"] = colours.get("overdue", 0)
        kpi["by_colour"] = {c: colours.get(c, 0) for c in COLOURS}
        cur.execute("SELECT bool_and(overdue_known) FROM (SELECT overdue_known FROM maps_case_warning LIMIT 1) x")
        kpi["overdue_known"] = cur.fetchone()[0] is not False
        _materialise_30d(cur, p)
        trend = _rows(cur, """
            WITH days AS (SELECT generate_series(%(d30)s::timestamptz, %(today)s::timestamptz, interval '1 day') AS d),
            i AS (SELECT date_trunc('day', received_at AT TIME ZONE %(tz)s) AS d, count(*) AS n FROM maps_c30 GROUP BY 1),
            c AS (SELECT date_trunc('day', closed_at AT TIME ZONE %(tz)s) AS d, count(*) AS n FROM cases_case
                  WHERE closed_at >= %(d30)s GROUP BY 1)
            SELECT to_char(days.d AT TIME ZONE %(tz)s, 'MM-DD') AS day, coalesce(i.n, 0) AS intake,
                   coalesce(c.n, 0) AS closed
            FROM days LEFT JOIN i ON i.d = date_trunc('day', days.d AT TIME ZONE %(tz)s)
                      LEFT JOIN c ON c.d = date_trunc('day', days.d AT TIME ZONE %(tz)s)
            ORDER BY days.d
        """, {**p, "tz": str(tz)})
        categories = _rows(cur, """
            SELECT coalesce(grp.name, cat.name, '未分类') AS name, count(*) AS n
            FROM maps_c30 c LEFT JOIN cases_category cat ON cat.id = c.category_id
            LEFT JOIN cases_category grp ON grp.id = cat.parent_id
            GROUP BY 1 ORDER BY 2 DESC LIMIT 10
        """, p)
        official = rankings.cached()
        if official:
            streets, departments = official["streets"], official["departments"]
            ranking_source = {"source": "evaluation", "computed_at": official["computed_at"]}
        else:
            streets, departments = _street_ranking(cur, p), _department_ranking(cur, p)
            ranking_source = {"source": "maps", "computed_at": None}
        cur.execute("DROP TABLE maps_c30")
        ticker = ticker_rows(cur)
    return version, {"version": version, "generated_at": timezone.localtime(now, tz).isoformat(), "kpi": kpi,
                     "trend": trend, "categories": categories, "streets": streets, "departments": departments,
                     "ticker": ticker, "rankings": ranking_source}


def _has_dispatch(cur):
    cur.execute("SELECT to_regclass('dispatch_dispatch') IS NOT NULL")
    return cur.fetchone()[0]


def _materialise_30d(cur, p):
    """Cases received in the last 30 days with their holding lead dispatch (at most one: 责任主体唯一), in a
    temporary table, so the trend, categories and the two rankings read them once (one hash join)."""
    if _has_dispatch(cur):
        lead = """
            LEFT JOIN dispatch_dispatch x ON x.case_id = c.id AND x.role = 'lead'
                 AND x.state NOT IN ('returned', 'rerouted')"""
        cols = "x.department_id, x.state, x.accepted_at, x.accept_due, x.fed_back_at, x.feedback_due"
    else:
        lead = ""
        cols = ("NULL::bigint AS department_id, NULL::text AS state, NULL::timestamptz AS accepted_at, "
                "NULL::timestamptz AS accept_due, NULL::timestamptz AS fed_back_at, NULL::timestamptz AS feedback_due")
    cur.execute(f"""
        CREATE TEMP TABLE maps_c30 ON COMMIT DROP AS
        SELECT c.received_at, c.closed_at, c.status, c.category_id, left(c.grid_code, 9) AS street, {cols}
        FROM cases_case c {lead}
        WHERE c.received_at >= %(d30)s
    """, p)


def _street_ranking(cur, p):
    """Per street/town, cases received in the last 30 days: closure rate, on-time rate (lead dispatches
    whose feedback came by its due time, of those due or fed back), open now."""
    rows = _rows(cur, """
        WITH s AS (
            SELECT street AS code, count(*) AS total,
                   count(*) FILTER (WHERE status = 'closed') AS closed,
                   count(*) FILTER (WHERE status NOT IN ('closed', 'merged')) AS open,
                   count(*) FILTER (WHERE fed_back_at IS NOT NULL AND fed_back_at <= feedback_due) AS on_time,
                   count(*) FILTER (WHERE feedback_due IS NOT NULL AND (fed_back_at IS NOT NULL OR feedback_due < %(now)s))
                       AS due
            FROM maps_c30 GROUP BY 1)
        SELECT u.code, u.name, coalesce(s.total, 0) AS total, coalesce(s.closed, 0) AS closed,
               coalesce(s.open, 0) AS open, coalesce(s.on_time, 0) AS on_time, coalesce(s.due, 0) AS due
        FROM grids_gridunit u LEFT JOIN s ON s.code = u.code
        WHERE u.level = 2 AND u.is_active
    """, p)
    for r in rows:
        r["closure_rate"] = _rate(r["closed"], r["total"])
        r["on_time_rate"] = _rate(r["on_time"], r["due"])
    rows.sort(key=lambda r: (-(r["on_time_rate"] or -1), -(r["closure_rate"] or -1), r["code"]))
    return rows


def _department_ranking(cur, p):
    """三率 per lead department, dispatches of cases received in the last 30 days: 及时受理率 (accepted by
    accept_due), 按期办结率 (fed back by feedback_due), 满意率 (no satisfaction data yet: null)."""
    if not _has_dispatch(cur):
        return []
    rows = _rows(cur, """
        SELECT d.name, count(*) AS total,
               count(*) FILTER (WHERE x.accepted_at IS NOT NULL AND x.accepted_at <= x.accept_due) AS accepted_on_time,
               count(*) FILTER (WHERE x.accept_due IS NOT NULL AND (x.accepted_at IS NOT NULL OR x.accept_due < %(now)s))
                   AS accept_due,
               count(*) FILTER (WHERE x.fed_back_at IS NOT NULL AND x.fed_back_at <= x.feedback_due) AS on_time,
               count(*) FILTER (WHERE x.feedback_due IS NOT NULL AND (x.fed_back_at IS NOT NULL OR x.feedback_due < %(now)s))
                   AS due,
               count(*) FILTER (WHERE x.state = 'closed') AS closed
        FROM maps_c30 x JOIN departments_department d ON d.id = x.department_id
        GROUP BY d.id, d.name
    """, p)
    for r in rows:
        r["accept_rate"] = _rate(r["accepted_on_time"], r["accept_due"])
        r["on_time_rate"] = _rate(r["on_time"], r["due"])
        r["closure_rate"] = _rate(r["closed"], r["total"])
        r["satisfaction_rate"] = None
    rows.sort(key=lambda r: (-(r["on_time_rate"] or -1), -(r["accept_rate"] or -1), -r["total"]))
    return rows[:12]


def ticker_rows(cur, limit=TICKER_SIZE):
    rows = _rows(cur, """
        SELECT c.number, coalesce(cat.name, '未分类') AS category, c.grid_name,
               coalesce(c.ancestors -> 1 ->> 'name', '') AS street, coalesce(c.ancestors -> 2 ->> 'name', '') AS community,
               c.received_at, c.urgency, c.status, w.colour, ST_X(c.point) AS lon, ST_Y(c.point) AS lat
        FROM cases_case c JOIN maps_case_warning w ON w.case_id = c.id
        LEFT JOIN cases_category cat ON cat.id = c.category_id
        ORDER BY c.received_at DESC, c.id DESC LIMIT %(limit)s
    """, {"limit": limit})
    tz = local_tz()
    for r in rows:
        r["received_at"] = timezone.localtime(r["received_at"], tz).strftime("%m-%d %H:%M")
        r["urgency_label"] = str(Urgency(r["urgency"]).label) if r["urgency"] in Urgency.values else r["urgency"]
        r["status_label"] = str(Status(r["status"]).label) if r["status"] in Status.values else r["status"]
        r["lon"], r["lat"] = round(r["lon"], 5), round(r["lat"], 5)
    return rows


def dashboard():
    """(version, JSON bytes, hit) of every side panel, from one snapshot, cached per version and minute."""
    def build():
        version, data = _dashboard(timezone.now())
        return version, json.dumps(data, ensure_ascii=False, default=str).encode()

    return cache.cached("dashboard", build, "application/json", clocked=True, max_stale=WALL_MAX_STALE)


def case_detail(number):
    """Public facts of a case for the wall (no personal data, no free text)."""
    with snapshot() as cur:
        rows = _rows(cur, """
            SELECT c.number, coalesce(cat.name, '未分类') AS category, coalesce(grp.name, '') AS category_group,
                   c.status, c.urgency, c.channel, c.received_at, c.closed_at, c.grid_code, c.grid_name,
                   coalesce(c.ancestors -> 1 ->> 'name', '') AS street, coalesce(c.ancestors -> 2 ->> 'name', '') AS community,
                   w.colour, w.overdue, w.next_due, w.lead_department_id, ST_X(c.point) AS lon, ST_Y(c.point) AS lat
            FROM cases_case c JOIN maps_case_warning w ON w.case_id = c.id
            LEFT JOIN cases_category cat ON cat.id = c.category_id
            LEFT JOIN cases_category grp ON grp.id = cat.parent_id
            WHERE c.number = %(number)s
        """, {"number": number})
        if not rows:
            raise NotFound("number", "not_found", f"案卷 {number} 不存在", f"case {number} does not exist")
        row = rows[0]
        row["lead_department"] = ""
        if row.pop("lead_department_id"):
            cur.execute("""SELECT d.name FROM maps_case_warning w JOIN departments_department d
                           ON d.id = w.lead_department_id WHERE w.number = %s""", [number])
            found = cur.fetchone()
            row["lead_department"] = found[0] if found else ""
    tz = local_tz()
    for key in ("received_at", "closed_at", "next_due"):
        if row[key] is not None:
            row[key] = timezone.localtime(row[key], tz).strftime("%Y-%m-%d %H:%M")
    row["status_label"] = str(Status(row["status"]).label) if row["status"] in Status.values else row["status"]
    row["urgency_label"] = str(Urgency(row["urgency"]).label) if row["urgency"] in Urgency.values else row["urgency"]
    return row


def grid_detail(code, filters):
    with snapshot() as cur:
        rows = _rows(cur, """
            SELECT u.id, u.code, u.name, u.level, u.population, round((u.area_m2 / 1e6)::numeric, 2) AS area_km2,
                   cm.name AS community, st.name AS street,
                   (SELECT count(*) FROM grids_gridunit_workers gw WHERE gw.gridunit_id = u.id) AS workers
            FROM grids_gridunit u
            LEFT JOIN grids_gridunit cm ON cm.id = u.parent_id
            LEFT JOIN grids_gridunit st ON st.id = cm.parent_id
            WHERE u.code = %(code)s
        """, {"code": code})
        if not rows:
            raise NotFound("code", "not_found", f"网格 {code} 不存在", f"grid {code} does not exist")
        row = rows[0]
        params = {"gid": row["id"], **filters.params()}
        row.update(_rows(cur, f"""
            SELECT count(*) FILTER (WHERE w.is_open) AS open, count(*) FILTER (WHERE w.is_open AND w.overdue) AS overdue
            FROM maps_case_warning w WHERE w.grid_id = %(gid)s AND w.is_open AND {filters.category_sql('w')}
        """, params)[0])
        row.update(_rows(cur, f"""
            SELECT count(*) AS total, count(*) FILTER (WHERE c.status = 'closed') AS closed
            FROM cases_case c WHERE c.grid_id = %(gid)s AND {filters.period_sql('c')}
        """, params)[0])
        row["categories"] = _rows(cur, f"""
            SELECT coalesce(cat.name, '未分类') AS name, count(*) AS n FROM cases_case c
            LEFT JOIN cases_category cat ON cat.id = c.category_id
            WHERE c.grid_id = %(gid)s AND {filters.period_sql('c')} GROUP BY 1 ORDER BY 2 DESC LIMIT 5
        """, params)
    row.pop("id")
    row["per_1000"] = round(row["total"] * 1000.0 / row["population"], 2) if row["population"] else None
    row["closure_rate"] = _rate(row["closed"], row["total"])
    row.update(filters.describe())
    return row
