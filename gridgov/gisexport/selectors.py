"""Rows for GIS exports, read from PostGIS with a server-side cursor (constant memory).

Cases: the requester's scope (gridgov.cases.access) and the case list API's filters
(gridgov.cases.selectors.filter_cases); citizens' names and phones masked in SQL unless the
requester's role needs them. Field names are at most 10 characters so a Shapefile keeps them.
"""
from django.db import connection

from geodata.exporters import check_filters
from gridgov.accounts.models import Role
from gridgov.cases import access
from gridgov.cases.selectors import filter_cases

CASE_FIELDS = ["number", "status", "channel", "cat_code", "cat_name", "descr", "address", "grid_code",
               "grid_name", "urgency", "priority", "received", "reported", "cont_name", "cont_phone", "lon", "lat"]
GRID_FIELDS = ["code", "name", "level", "parent", "area_m2", "population"]
TEXT_FIELDS = {"number", "status", "channel", "cat_code", "cat_name", "descr", "address", "grid_code", "grid_name",
               "urgency", "received", "reported", "cont_name", "cont_phone", "code", "name", "parent"}

_MASKED_PHONE = """CASE WHEN length(regexp_replace(c.contact_phone, '[^0-9]', '', 'g')) >= 7
    THEN left(regexp_replace(c.contact_phone, '[^0-9]', '', 'g'), 3) || '****'
         || right(regexp_replace(c.contact_phone, '[^0-9]', '', 'g'), 4)
    ELSE regexp_replace(c.contact_phone, '[0-9]', '*', 'g') END"""
_MASKED_NAME = "CASE WHEN c.contact_name = '' THEN '' ELSE left(c.contact_name, 1) || repeat('*', greatest(1, length(c.contact_name) - 1)) END"

# Phones typed into free text, masked as gridgov.cases.access.mask_phones_in_text does.
_MASK_TEXT = ("regexp_replace(regexp_replace({col}, '(?<![0-9])(1[3-9][0-9])[0-9]{{4}}([0-9]{{4}})(?![0-9])', "
              "'\\1****\\2', 'g'), '(?<![0-9])(0[0-9]{{2,3}}-?)[0-9]{{7,8}}(?![0-9])', '\\1********', 'g')")

_CASES_SQL = """
    SELECT c.number, c.status, c.channel, cat.code, cat.name,
        CASE WHEN {full} THEN c.description ELSE {masked_text} END,
        CASE WHEN {full} THEN c.address ELSE {masked_address} END, c.grid_code, c.grid_name,
        c.urgency, c.priority,
        to_char(c.received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"'),
        to_char(c.reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"'),
        CASE WHEN {full} THEN c.contact_name ELSE {masked_name} END,
        CASE WHEN {full} THEN c.contact_phone ELSE {masked_phone} END,
        round(ST_X(c.point)::numeric, 7)::float8, round(ST_Y(c.point)::numeric, 7)::float8,
        {geometry}
    FROM cases_case c LEFT JOIN cases_category cat ON cat.id = c.category_id
    WHERE c.id IN ({ids})
    ORDER BY c.received_at DESC, c.id DESC
"""

_GRIDS_SQL = """
    SELECT u.code, u.name, u.level, p.code, round(u.area_m2::numeric, 1)::float8, u.population, {geometry}
    FROM grids_gridunit u LEFT JOIN grids_gridunit p ON p.id = u.parent_id
    WHERE u.is_active AND (%s::int IS NULL OR u.level = %s::int) AND u.code LIKE %s
    ORDER BY u.code
"""

GEOMETRY = {"geojson": "ST_AsGeoJSON({col}, 7)", "wkt": "ST_AsText({col})"}


def _stream(sql, params, itersize=2000):
    with connection.chunked_cursor() as cur:
        cur.itersize = itersize
        cur.execute(sql, params)
        yield from cur


def case_rows(user, params, geometry="geojson"):
    """An iterator of tuples (CASE_FIELDS…, geometry as GeoJSON or WKT). Filters are checked now."""
    qs = filter_cases(access.visible_cases(user), params)  # raises FieldError for a bad filter, before streaming
    ids_sql, ids_params = qs.order_by().values("id").query.sql_with_params()
    role = access.role_of(user)
    full = "true" if role in access.SEE_PERSONAL_DATA else (
        "false" if role == Role.MONITOR else f"c.reporter_id = {int(user.pk)}")
    sql = _CASES_SQL.format(full=full, masked_name=_MASKED_NAME, masked_phone=_MASKED_PHONE, ids=ids_sql,
                            masked_text=_MASK_TEXT.format(col="c.description"),
                            masked_address=_MASK_TEXT.format(col="c.address"),
                            geometry=GEOMETRY[geometry].format(col="c.point"))
    return _stream(sql, ids_params)


def grid_rows(params, geometry="geojson"):
    level = params.get("level") or None
    if level is not None:
        try:
            level = int(level)
        except ValueError:
            level = -1
    prefix = (params.get("code_prefix") or params.get("grid") or "").strip()
    check_filters(level, prefix)
    sql = _GRIDS_SQL.format(geometry=GEOMETRY[geometry].format(col="u.geom"))
    return _stream(sql, [level, level, prefix + "%"], itersize=200)
