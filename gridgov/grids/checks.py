"""Consistency checks of the grid hierarchy, done in PostGIS (set-based SQL, no Python geometry).

Each problem names the codes involved and an area in m² on the spheroid (ST_Area(geography)):
- geometry: invalid or empty geometries;
- codes: malformed, duplicate, length not matching the level, not prefixed by the parent's code,
  parent not one level up, parent missing or inactive;
- topology: siblings overlapping, gaps inside a parent (the parent minus the union of its
  children), children reaching outside their parent.

Slivers smaller than the tolerance (m²) are not problems: for gaps and overlaps each separate
piece is measured on its own, so many harmless slivers do not add up to an error.
Only active units are checked. Geometric checks skip units whose geometry is invalid (they are
reported as such, and GEOS cannot overlay them): CASE guards keep PostgreSQL from evaluating an
overlay on them whatever order it picks for the other conditions.
"""
import re
from dataclasses import asdict, dataclass, field

from django.db import connection
from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import FieldError

DEFAULT_TOLERANCE_M2 = 1.0

KINDS = {
    "invalid_geometry": _("几何无效"),
    "empty_geometry": _("几何为空"),
    "malformed_code": _("编码格式错误"),
    "duplicate_code": _("编码重复"),
    "level_mismatch": _("编码位数与层级不符"),
    "missing_parent": _("缺少上级"),
    "parent_prefix": _("编码未以上级编码为前缀"),
    "parent_level": _("上级层级不符"),
    "inactive_parent": _("上级已停用"),
    "sibling_overlap": _("同级网格重叠"),
    "gap": _("上级范围内有空隙"),
    "outside_parent": _("超出上级范围"),
}


@dataclass
class Problem:
    kind: str
    codes: list
    area_m2: float | None
    detail: str = ""
    where: str = ""  # a point (WKT, WGS-84) inside the problem area, to find it on a map

    @property
    def label(self):
        return str(KINDS[self.kind])

    def as_dict(self):
        return {**asdict(self), "label": self.label,
                "area_m2": None if self.area_m2 is None else round(self.area_m2, 3)}


@dataclass
class CheckReport:
    problems: list = field(default_factory=list)
    units_checked: int = 0
    tolerance_m2: float = DEFAULT_TOLERANCE_M2
    code_prefix: str = ""

    @property
    def ok(self):
        return not self.problems

    def counts(self):
        out = {}
        for p in self.problems:
            out[p.kind] = out.get(p.kind, 0) + 1
        return out

    def as_dict(self):
        return {"ok": self.ok, "units_checked": self.units_checked, "tolerance_m2": self.tolerance_m2,
                "code_prefix": self.code_prefix, "counts": self.counts(),
                "problems": [p.as_dict() for p in self.problems]}


# Active units in scope; `ok` marks the ones geometric checks may overlay.
_UNITS = """
    WITH u AS MATERIALIZED (
        SELECT id, code, level, parent_id, geom, is_active,
               (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)) AS ok
        FROM grids_gridunit WHERE is_active
    )
"""

_GEOMETRY_SQL = _UNITS + """
    SELECT CASE WHEN ST_IsEmpty(geom) THEN 'empty_geometry' ELSE 'invalid_geometry' END,
           ARRAY[code], ST_Area(geom::geography), COALESCE(ST_IsValidReason(geom), ''),
           COALESCE(ST_AsText(ST_Centroid(ST_Envelope(geom)), 6), '')
    FROM u WHERE NOT ok AND code LIKE %(p)s
"""

_CODE_SQL = _UNITS + """
    SELECT 'malformed_code', ARRAY[code], ST_Area(geom::geography), '编码 ' || quote_literal(code), ''
    FROM u WHERE code !~ '^[0-9]{6}([0-9]{3}){0,3}$' AND code LIKE %(p)s
    UNION ALL
    SELECT 'duplicate_code', array_agg(code ORDER BY id), NULL,
           count(*) || ' 个单元共用编码 ' || quote_literal(btrim(code)), ''
    FROM u WHERE btrim(code) LIKE %(p)s GROUP BY btrim(code) HAVING count(*) > 1
    UNION ALL
    SELECT 'level_mismatch', ARRAY[code], ST_Area(geom::geography),
           '层级 ' || level || ' 应为 ' || (CASE level WHEN 1 THEN 6 WHEN 2 THEN 9 WHEN 3 THEN 12
           WHEN 4 THEN 15 END) || ' 位编码，实为 ' || length(code) || ' 位', ''
    FROM u WHERE code ~ '^[0-9]{6}([0-9]{3}){0,3}$' AND code LIKE %(p)s
      AND length(code) IS DISTINCT FROM (CASE level WHEN 1 THEN 6 WHEN 2 THEN 9 WHEN 3 THEN 12 WHEN 4 THEN 15 END)
    UNION ALL
    SELECT 'missing_parent', ARRAY[code], ST_Area(geom::geography), '层级 ' || level || ' 的单元没有上级', ''
    FROM u WHERE level > 1 AND parent_id IS NULL AND code LIKE %(p)s
    UNION ALL
    SELECT k.kind, ARRAY[c.code, p.code], ST_Area(c.geom::geography), k.detail, ''
    FROM u c JOIN grids_gridunit p ON p.id = c.parent_id
    CROSS JOIN LATERAL (VALUES
        ('parent_prefix', NOT (length(c.code) = length(p.code) + 3 AND left(c.code, length(p.code)) = p.code),
         quote_literal(c.code) || ' 不是上级编码 ' || quote_literal(p.code) || ' 加 3 位'),
        ('parent_level', c.level <> p.level + 1,
         '层级 ' || c.level || ' 的单元挂在层级 ' || p.level || ' 的上级下'),
        ('inactive_parent', NOT p.is_active, '上级 ' || p.code || ' 已停用')
    ) AS k(kind, bad, detail)
    WHERE k.bad AND (c.code LIKE %(p)s OR p.code LIKE %(p)s)
"""

# Overlaps: every separate piece of the intersection of two siblings, above the tolerance.
_OVERLAP_SQL = _UNITS + """
    , pairs AS (
        SELECT a.code AS a_code, b.code AS b_code,
               (ST_Dump(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3))).geom AS piece
        FROM u a JOIN u b ON a.parent_id IS NOT DISTINCT FROM b.parent_id AND a.id < b.id AND a.geom && b.geom
        WHERE (a.code LIKE %(p)s OR b.code LIKE %(p)s)
          AND CASE WHEN a.ok AND b.ok THEN ST_Relate(a.geom, b.geom, 'T********') ELSE false END
    ), pieces AS (
        SELECT a_code, b_code, piece, ST_Area(piece::geography) AS area FROM pairs
    )
    SELECT 'sibling_overlap', ARRAY[a_code, b_code], sum(area), count(*) || ' 块重叠',
           ST_AsText(ST_PointOnSurface((array_agg(piece ORDER BY area DESC))[1]), 6)
    FROM pieces WHERE area > %(tol)s GROUP BY a_code, b_code
"""

# Gaps: the parent minus the union of its children, piece by piece. Parents with an invalid
# child are skipped (the invalid child is reported; its hole would be a false gap).
_GAP_SQL = _UNITS + """
    , kids AS (
        SELECT parent_id, ST_Union(geom) FILTER (WHERE ok) AS g
        FROM u WHERE parent_id IS NOT NULL GROUP BY parent_id HAVING bool_and(ok)
    ), pieces AS (
        SELECT p.code, (ST_Dump(ST_CollectionExtract(ST_Difference(p.geom, k.g), 3))).geom AS piece
        FROM u p JOIN kids k ON k.parent_id = p.id
        WHERE p.code LIKE %(p)s AND CASE WHEN p.ok THEN NOT ST_CoveredBy(p.geom, k.g) ELSE false END
    ), measured AS (
        SELECT code, piece, ST_Area(piece::geography) AS area FROM pieces
    )
    SELECT 'gap', ARRAY[code], sum(area), count(*) || ' 块未被任何下级覆盖',
           ST_AsText(ST_PointOnSurface((array_agg(piece ORDER BY area DESC))[1]), 6)
    FROM measured WHERE area > %(tol)s GROUP BY code
"""

_OUTSIDE_SQL = _UNITS + """
    , pieces AS (
        SELECT c.code AS c_code, p.code AS p_code,
               (ST_Dump(ST_CollectionExtract(ST_Difference(c.geom, p.geom), 3))).geom AS piece
        FROM u c JOIN u p ON p.id = c.parent_id
        WHERE (c.code LIKE %(p)s OR p.code LIKE %(p)s)
          AND CASE WHEN c.ok AND p.ok THEN NOT ST_CoveredBy(c.geom, p.geom) ELSE false END
    ), measured AS (
        SELECT c_code, p_code, piece, ST_Area(piece::geography) AS area FROM pieces
    )
    SELECT 'outside_parent', ARRAY[c_code, p_code], sum(area), count(*) || ' 块在上级范围之外',
           ST_AsText(ST_PointOnSurface((array_agg(piece ORDER BY area DESC))[1]), 6)
    FROM measured WHERE area > %(tol)s GROUP BY c_code, p_code
"""

ORDER = list(KINDS)


def check_grids(code_prefix="", tolerance_m2=DEFAULT_TOLERANCE_M2):
    """Run every check; returns a CheckReport (problems sorted by kind, then codes)."""
    code_prefix = (code_prefix or "").strip()
    if code_prefix and not re.fullmatch(r"\d{1,15}", code_prefix):
        raise FieldError("code_prefix", "malformed_prefix", f"编码前缀 {code_prefix!r} 只能是数字",
                         f"code prefix {code_prefix!r} must be digits")
    try:
        tolerance_m2 = float(tolerance_m2)
    except (TypeError, ValueError):
        tolerance_m2 = -1.0
    if not tolerance_m2 >= 0:
        raise FieldError("tolerance_m2", "bad_tolerance", "容差必须是非负数（平方米）",
                         "tolerance must be a non-negative number of m²")
    params = {"p": code_prefix + "%", "tol": tolerance_m2}
    problems = []
    with connection.cursor() as cur:
        for sql in (_GEOMETRY_SQL, _CODE_SQL, _OVERLAP_SQL, _GAP_SQL, _OUTSIDE_SQL):
            cur.execute(sql, params)
            problems += [Problem(kind, list(codes), area, detail, where or "")
                         for kind, codes, area, detail, where in cur.fetchall()]
        cur.execute("SELECT count(*) FROM grids_gridunit WHERE is_active AND code LIKE %(p)s", params)
        units = cur.fetchone()[0]
    problems.sort(key=lambda p: (ORDER.index(p.kind), p.codes))
    return CheckReport(problems=problems, units_checked=units, tolerance_m2=tolerance_m2,
                       code_prefix=code_prefix)
