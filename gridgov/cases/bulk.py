"""Bulk case creation: the one set-based way many cases are written (hotline import, synthetic load, seeds).

    with transaction.atomic():
        result = do_bulk_create_cases(actor, rows=[BulkCase(...), ...], action="import_hotline")
        # or: fill=("INSERT INTO case_bulk_stage (...) SELECT ...", params) for rows made in SQL

The rows go to a staging table (COPY for Python rows, INSERT … SELECT for rows made in SQL); then, for the
whole batch at once and by the same rules as a single report (gridgov.cases.actions.do_create_case):
- grid: rows without a grid_id are located in PostGIS (gridgov.grids.locate.bulk_assign, one statement
  for every point); grid code, name and ancestors come from the grid (ancestors by code prefix,
  gridgov.grids.locate.ANCESTOR_PREFIXES, as locate() finds them);
- urgency: the row's, else the category's default, else normal; priority = URGENCY_RANK (priority_for);
- number: gridgov.cases.models.new_case_numbers (the single report's rule);
- checks: unknown, inactive or group categories, unknown urgency/channel/status, a point outside every grid
  refuse the whole batch with a FieldError naming the row and the field (rows[3].category), or, with
  outside="skip", points outside every grid are left out and returned (the hotline import reports them);
- one INSERT … SELECT writes the cases: the audit trigger records each insert, attributed to `actor`
  through audit_context. Tickets with a client_uuid already used are skipped (idempotent re-import).

The created rows stay in the temporary table case_bulk_created (idx, id, client_uuid, number) and the
staging rows in case_bulk_stage until the caller's transaction ends, for follow-up writes (hotline tickets,
dispatches: gridgov.dispatch.bulk).
"""
import json
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from gridgov.core.errors import FieldError
from gridgov.grids.locate import ancestor_codes_sql, bulk_assign
from gridgov.grids.models import Level

from .models import URGENCY_RANK, CategoryLevel, Channel, Status, Urgency, new_case_numbers

STAGE, CREATED = "case_bulk_stage", "case_bulk_created"


@dataclass
class BulkCase:
    """One case to create. lon/lat are WGS-84 (convert first: geodata.datums.to_wgs84_arrays);
    input_* keep what was entered. grid_id given: the row is not located (e.g. matched by name)."""
    client_uuid: object
    lon: float
    lat: float
    reported_at: datetime
    category_id: int | None = None
    urgency: str | None = None
    description: str = ""
    address: str = ""
    channel: str = Channel.GRID_PATROL
    input_lon: float | None = None
    input_lat: float | None = None
    input_datum: str = "wgs84"
    gps_accuracy_m: float | None = None
    grid_id: int | None = None
    contact_name: str = ""
    contact_phone: str = ""
    status: str = Status.REPORTED
    closed_at: datetime | None = None
    flags: list = field(default_factory=list)
    occurred_at: datetime | None = None
    received_at: datetime | None = None  # None: now
    tag: str = ""  # the caller's own key (a ticket number), kept in the staging table


# (column, SQL type): the staging table. `number` NULL: numbered here; urgency NULL: the category's default.
STAGE_COLUMNS = (
    ("idx", "int PRIMARY KEY"), ("client_uuid", "uuid NOT NULL"), ("number", "text"), ("lon", "float8 NOT NULL"),
    ("lat", "float8 NOT NULL"), ("input_lon", "float8"), ("input_lat", "float8"), ("input_datum", "text"),
    ("gps_accuracy_m", "float8"), ("grid_id", "bigint"), ("category_id", "bigint"), ("urgency", "text"),
    ("description", "text"), ("address", "text"), ("channel", "text"), ("reporter_id", "bigint"),
    ("contact_name", "text"), ("contact_phone", "text"), ("status", "text"), ("closed_at", "timestamptz"),
    ("flags", "jsonb"), ("occurred_at", "timestamptz"), ("reported_at", "timestamptz NOT NULL"),
    ("received_at", "timestamptz"), ("tag", "text"),
)
_COPY_COLUMNS = [c for c, _t in STAGE_COLUMNS if c not in ("number", "reporter_id")]

_INSERT_SQL = """
    WITH ins AS (
        INSERT INTO cases_case (number, client_uuid, point, input_datum, input_lon, input_lat, gps_accuracy_m,
            address, grid_id, grid_code, grid_name, ancestors, category_id, description, urgency, priority,
            channel, reporter_id, contact_name, contact_phone, status, resolved_on_spot, resolution_note,
            closed_at, follow_up_of_id, repeat_count, flags, occurred_at, reported_at, received_at, updated_at)
        SELECT coalesce(s.number, n.number), s.client_uuid, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326),
            coalesce(s.input_datum, 'wgs84'), coalesce(s.input_lon, s.lon), coalesce(s.input_lat, s.lat),
            s.gps_accuracy_m, coalesce(s.address, ''), u.id, u.code, u.name,
            coalesce((SELECT jsonb_agg(jsonb_build_object('code', a.code, 'name', a.name, 'level', a.level)
                                       ORDER BY length(a.code))
                      FROM grids_gridunit a WHERE a.code IN ({ancestors}) AND a.code <> u.code), '[]'::jsonb),
            s.category_id, coalesce(s.description, ''), u2.urgency, (%(ranks)s::jsonb ->> u2.urgency)::int,
            s.channel, coalesce(s.reporter_id, %(reporter)s), coalesce(s.contact_name, ''),
            coalesce(s.contact_phone, ''), s.status, false, '', s.closed_at, NULL, 0,
            coalesce(s.flags, '[]'::jsonb), s.occurred_at, s.reported_at, coalesce(s.received_at, %(now)s), %(now)s
        FROM {stage} s
        LEFT JOIN case_bulk_assigned r ON r.point_id = s.idx
        LEFT JOIN case_bulk_numbers n ON n.idx = s.idx
        LEFT JOIN cases_category c ON c.id = s.category_id
        CROSS JOIN LATERAL (SELECT coalesce(nullif(s.urgency, ''), c.default_urgency, %(normal)s) AS urgency) u2
        JOIN grids_gridunit u ON u.id = coalesce(s.grid_id, r.grid_id)
        ORDER BY {order}
        ON CONFLICT ON CONSTRAINT case_client_uuid_unique DO NOTHING
        RETURNING id, client_uuid, number
    )
    INSERT INTO {created} (idx, id, client_uuid, number)
    SELECT s.idx, ins.id, ins.client_uuid, ins.number FROM ins JOIN {stage} s USING (client_uuid)
"""


@dataclass
class BulkResult:
    staged: int  # rows handed in
    created: int  # cases written (staged − outside − already there)
    outside: list = field(default_factory=list)  # idx of rows outside every grid (outside="skip")
    timings: dict = field(default_factory=dict)  # phase → seconds, for the benches


class _Rollback(Exception):
    pass


def _row_error(idx, name, code, zh, en):
    return FieldError(f"rows[{idx}].{name}", code, f"第 {idx} 行：{zh}", f"row {idx}: {en}", row=idx, column=name)


def _create_stage(cur):
    cur.execute(f"DROP TABLE IF EXISTS {STAGE}")
    cur.execute(f"DROP TABLE IF EXISTS {CREATED}")
    cur.execute("DROP TABLE IF EXISTS case_bulk_numbers")
    columns = ", ".join(f"{c} {t}" for c, t in STAGE_COLUMNS)
    # geom is generated, not UPDATEd: an index built in the same transaction over updated (HOT) rows is not
    # usable by that transaction's plans, and bulk_assign would scan every row per grid.
    cur.execute(f"CREATE TEMP TABLE {STAGE} ({columns}, geom geometry(Point, 4326) GENERATED ALWAYS AS "
                "(CASE WHEN grid_id IS NULL THEN ST_SetSRID(ST_MakePoint(lon, lat), 4326) END) STORED) ON COMMIT DROP")
    cur.execute(f"CREATE TEMP TABLE {CREATED} (idx int PRIMARY KEY, id bigint, client_uuid uuid, number text)"
                " ON COMMIT DROP")


def _copy_rows(cur, rows):
    with cur.copy(f"COPY {STAGE} ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy:
        for i, r in enumerate(rows):
            copy.write_row((i, r.client_uuid, r.lon, r.lat, r.input_lon, r.input_lat, r.input_datum, r.gps_accuracy_m,
                            r.grid_id, r.category_id, r.urgency, r.description, r.address, r.channel,
                            r.contact_name, r.contact_phone, r.status, r.closed_at,
                            json.dumps(r.flags, ensure_ascii=False), r.occurred_at, r.reported_at, r.received_at,
                            r.tag))


def _first(cur, sql, params=None):
    cur.execute(sql + " ORDER BY s.idx LIMIT 1", params or [])
    return cur.fetchone()


def _check(cur):
    """Refuse the batch on its first bad row (set-based: one query per rule)."""
    bad = _first(cur, f"SELECT s.idx, s.category_id FROM {STAGE} s LEFT JOIN cases_category c ON c.id = s.category_id"
                      " WHERE s.category_id IS NOT NULL AND c.id IS NULL")
    if bad:
        raise _row_error(bad[0], "category", "unknown_category", f"分类 {bad[1]} 不存在",
                         f"category {bad[1]} does not exist")
    bad = _first(cur, f"SELECT s.idx, c.code, c.name, c.is_active FROM {STAGE} s JOIN cases_category c"
                      " ON c.id = s.category_id WHERE NOT c.is_active OR c.level <> %s", [int(CategoryLevel.ITEM)])
    if bad:
        idx, code, name, active = bad
        if not active:
            raise _row_error(idx, "category", "inactive_category", f"分类 {name}（{code}）已停用",
                             f"category {code} is no longer in use")
        raise _row_error(idx, "category", "not_a_subcategory", f"{name}（{code}）是大类，请选择其下的小类",
                         f"{code} is a group; choose one of its subcategories")
    for name, choices in (("urgency", Urgency.values), ("channel", Channel.values), ("status", Status.values)):
        nullable = name == "urgency"
        bad = _first(cur, f"SELECT s.idx, s.{name} FROM {STAGE} s WHERE "
                          f"{'s.%s IS NOT NULL AND ' % name if nullable else ''}"
                          f"coalesce(s.{name}, '') <> ALL(%s)", [list(choices) + ([""] if nullable else [])])
        if bad:
            raise _row_error(bad[0], name, "invalid_choice", f"{name} 的值 {bad[1]!r} 无效，可选 {', '.join(choices)}",
                             f"{name} {bad[1]!r} is not one of {', '.join(choices)}")
    bad = _first(cur, f"SELECT s.idx FROM {STAGE} s LEFT JOIN grids_gridunit u ON u.id = s.grid_id"
                      " WHERE s.grid_id IS NOT NULL AND u.id IS NULL")
    if bad:
        raise _row_error(bad[0], "grid_id", "unknown_grid", "网格不存在", "the grid does not exist")
    bad = _first(cur, f"SELECT s.idx FROM {STAGE} s WHERE s.status = 'closed' AND s.closed_at IS NULL")
    if bad:
        raise _row_error(bad[0], "closed_at", "required", "已结案的案卷须有结案时间", "a closed case needs closed_at")
    bad = _first(cur, "SELECT s.idx, s.client_uuid FROM (SELECT idx, client_uuid, row_number() OVER"
                      f" (PARTITION BY client_uuid ORDER BY idx) AS k FROM {STAGE}) s WHERE s.k > 1")
    if bad:
        raise _row_error(bad[0], "client_uuid", "duplicate", f"client_uuid {bad[1]} 在本批中重复",
                         f"client_uuid {bad[1]} appears twice in the batch")


def _locate(cur, outside):
    cur.execute(f"CREATE INDEX ON {STAGE} USING gist (geom)")
    cur.execute(f"CREATE UNIQUE INDEX ON {STAGE} (client_uuid)")
    cur.execute(f"ANALYZE {STAGE}")
    bulk_assign(STAGE, pk="idx", into="case_bulk_assigned", level=Level.GRID)
    # joined back below: without an index and statistics the planner nests loops (10k × 10k)
    cur.execute("CREATE UNIQUE INDEX ON case_bulk_assigned (point_id)")
    cur.execute("ANALYZE case_bulk_assigned")
    cur.execute(f"SELECT s.idx, s.lon, s.lat FROM {STAGE} s LEFT JOIN case_bulk_assigned r ON r.point_id = s.idx"
                " WHERE s.grid_id IS NULL AND r.grid_id IS NULL ORDER BY s.idx")
    missed = cur.fetchall()
    if missed and outside != "skip":
        idx, lon, lat = missed[0]
        raise _row_error(idx, "lon", "outside_grids", f"坐标不在任何网格内（{lon}, {lat}）",
                         f"the point is outside every grid ({lon}, {lat})")
    return [i for i, _x, _y in missed]


def _number(cur):
    cur.execute(f"SELECT idx FROM {STAGE} WHERE number IS NULL ORDER BY idx")
    todo = [i for (i,) in cur.fetchall()]
    cur.execute("CREATE TEMP TABLE case_bulk_numbers (idx int PRIMARY KEY, number text) ON COMMIT DROP")
    with cur.copy("COPY case_bulk_numbers (idx, number) FROM STDIN") as copy:
        for i, number in zip(todo, new_case_numbers(len(todo))):
            copy.write_row((i, number))
    cur.execute("ANALYZE case_bulk_numbers")


def do_bulk_create_cases(actor, rows=None, *, fill=None, action="do_bulk_create_cases", reporter=None,
                         outside="refuse", dry_run=False, order="s.idx", now=None):
    """Create many cases at once; returns BulkResult. Runs in one transaction (a savepoint inside the
    caller's): a bad row refuses the whole batch (FieldError naming rows[i].field), nothing written.

    rows: BulkCase list (idx = position), or fill = (sql, params) that fills case_bulk_stage itself
    (columns STAGE_COLUMNS; idx unique). reporter: the reporting user (default: actor). outside: "refuse"
    or "skip". dry_run: everything checked and located, nothing written. order: the insert order (an
    expression over the staging row `s`; the heap order of the new rows).
    """
    if (rows is None) == (fill is None):
        raise TypeError("give rows or fill")
    reporter = reporter or actor
    now = now or timezone.now()
    timings = defaultdict(float)

    @contextmanager
    def timed(phase):
        t = time.perf_counter()
        yield
        timings[phase] += time.perf_counter() - t

    try:
        with transaction.atomic(), connection.cursor() as cur:
            from .actions import audit_context

            with audit_context(actor, action):
                with timed("stage"):
                    _create_stage(cur)
                    if rows is not None:
                        _copy_rows(cur, rows)
                    else:
                        cur.execute(fill[0], fill[1])
                    cur.execute(f"SELECT count(*) FROM {STAGE}")
                    staged = cur.fetchone()[0]
                    _check(cur)
                with timed("locate"):
                    missed = _locate(cur, outside)
                if dry_run:
                    raise _Rollback(BulkResult(staged, staged - len(missed), missed, dict(timings)))
                with timed("insert"):
                    _number(cur)
                    cur.execute(_INSERT_SQL.format(ancestors=ancestor_codes_sql("u.code"), stage=STAGE,
                                                   created=CREATED, order=order),
                                {"ranks": json.dumps({str(k): v for k, v in URGENCY_RANK.items()}),
                                 "normal": str(Urgency.NORMAL), "reporter": reporter.pk, "now": now})
                    created = cur.rowcount
    except _Rollback as done:
        return done.args[0]
    return BulkResult(staged, created, missed, dict(timings))
