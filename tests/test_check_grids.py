"""check_grids on a clean hierarchy and on seeded defects, against real PostGIS.

The small county of tests.factories (0.01° cells at 33°N):
    320831101001001 | 320831101001002     community 320831101001 北村 (north row)
    320831101002001 | 320831101002002     community 320831101002 南村 (south row)

Some defects cannot be stored while the table's constraints hold (invalid geometry, malformed
codes, duplicate codes, level/code mismatch). Those tests drop the constraint inside the test's
transaction — which is rolled back afterwards — to simulate data written before the constraints
existed or by another tool; the check itself must not rely on the constraints.
"""
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from gridgov.grids.actions import UnitInput, do_upsert_units
from gridgov.grids.checks import check_grids
from tests.factories import box

pytestmark = pytest.mark.django_db

X0, Y0, D = 119.0, 33.0, 0.01
N1, N2, S1, S2 = "320831101001001", "320831101001002", "320831101002001", "320831101002002"


def run(*args):
    """(exit status, stdout) of manage.py check_grids."""
    out = StringIO()
    try:
        call_command("check_grids", *args, stdout=out)
    except CommandError as err:
        return err.returncode, out.getvalue()
    return 0, out.getvalue()


def run_json(*args):
    status, out = run("--json", *args)
    return status, json.loads(out)


def geodesic_area(x0, y0, x1, y1):
    with connection.cursor() as cur:
        cur.execute("SELECT ST_Area(ST_MakeEnvelope(%s, %s, %s, %s, 4326)::geography)", [x0, y0, x1, y1])
        return cur.fetchone()[0]


def reshape(code, name, x0, y0, x1, y1):
    do_upsert_units([UnitInput(code, name, box(x0, y0, x1, y1))], source="tests")


def sql(statement, params=None):
    with connection.cursor() as cur:
        cur.execute(statement, params or [])


def drop_constraint(name):
    """Drop a table constraint inside the test's transaction (rolled back after the test).

    Deferred foreign-key checks from the fixture's inserts must fire first: PostgreSQL refuses
    ALTER TABLE while trigger events are pending.
    """
    sql("SET CONSTRAINTS ALL IMMEDIATE")
    sql(f'ALTER TABLE grids_gridunit DROP CONSTRAINT "{name}"')


def problems_of(data, kind):
    return [p for p in data["problems"] if p["kind"] == kind]


def test_it_passes_on_a_clean_hierarchy(county):
    status, out = run()
    assert status == 0
    assert "网格检查通过" in out and "8 个单元" in out
    status, data = run_json("--tolerance-m2", "0")
    assert status == 0
    assert data["ok"] is True and data["problems"] == [] and data["units_checked"] == 8


def test_it_reports_an_overlap_between_siblings_with_codes_and_area(county):
    # 北村一 grows 0.002° east into 北村二
    reshape(N1, "北村一网格", X0, Y0 + D, X0 + D + 0.002, Y0 + 2 * D)
    status, data = run_json()
    assert status == 1
    [overlap] = problems_of(data, "sibling_overlap")
    assert overlap["codes"] == [N1, N2]
    expected = geodesic_area(X0 + D, Y0 + D, X0 + D + 0.002, Y0 + 2 * D)
    assert 200_000 < expected < 220_000
    assert overlap["area_m2"] == pytest.approx(expected, rel=1e-6)
    assert overlap["label"] == "同级网格重叠"
    assert {p["kind"] for p in data["problems"]} == {"sibling_overlap"}


def test_it_reports_a_gap_inside_a_parent(county):
    # 南村二 shrinks: a 0.003°-wide strip along the east edge of 南村 is covered by no grid
    reshape(S2, "南村二网格", X0 + D, Y0, X0 + 2 * D - 0.003, Y0 + D)
    status, data = run_json()
    assert status == 1
    [gap] = problems_of(data, "gap")
    assert gap["codes"] == ["320831101002"]
    assert gap["area_m2"] == pytest.approx(geodesic_area(X0 + 2 * D - 0.003, Y0, X0 + 2 * D, Y0 + D), rel=1e-6)
    assert gap["where"].startswith("POINT(119.01")
    assert {p["kind"] for p in data["problems"]} == {"gap"}


def test_it_reports_a_child_outside_its_parent(county):
    # 南村一 reaches 0.001° west of the county edge
    reshape(S1, "南村一网格", X0 - 0.001, Y0, X0 + D, Y0 + D)
    status, data = run_json()
    assert status == 1
    [outside] = problems_of(data, "outside_parent")
    assert outside["codes"] == [S1, "320831101002"]
    assert outside["area_m2"] == pytest.approx(geodesic_area(X0 - 0.001, Y0, X0, Y0 + D), rel=1e-6)


def test_the_table_names_the_codes_and_the_area(county):
    reshape(N1, "北村一网格", X0, Y0 + D, X0 + D + 0.002, Y0 + 2 * D)
    status, out = run()
    assert status == 1
    line = next(x for x in out.splitlines() if "同级网格重叠" in x)
    assert f"{N1}, {N2}" in line
    area = geodesic_area(X0 + D, Y0 + D, X0 + D + 0.002, Y0 + 2 * D)
    assert f"{area:,.1f}" in line


def test_it_reports_an_invalid_geometry(county):
    drop_constraint("grid_geom_valid")
    bowtie = f"MULTIPOLYGON((({X0} {Y0}, {X0 + D} {Y0 + D}, {X0 + D} {Y0}, {X0} {Y0 + D}, {X0} {Y0})))"
    sql("UPDATE grids_gridunit SET geom = ST_GeomFromText(%s, 4326) WHERE code = %s", [bowtie, S1])
    status, data = run_json()
    assert status == 1
    [bad] = problems_of(data, "invalid_geometry")
    assert bad["codes"] == [S1]
    assert "Self-intersection" in bad["detail"]
    assert bad["area_m2"] is not None
    # The invalid grid is not overlaid (GEOS cannot); its community's gap is not a false alarm.
    assert {p["kind"] for p in data["problems"]} == {"invalid_geometry"}


def test_it_reports_malformed_codes(county):
    drop_constraint("grid_code_matches_level")
    sql("UPDATE grids_gridunit SET code = '32083110100200A' WHERE code = %s", [S1])
    sql("UPDATE grids_gridunit SET code = '32083110100200' WHERE code = %s", [S2])
    status, data = run_json()
    assert status == 1
    malformed = problems_of(data, "malformed_code")
    assert sorted(p["codes"][0] for p in malformed) == ["32083110100200", "32083110100200A"]
    assert all(p["area_m2"] > 1_000_000 for p in malformed)  # each is a whole 0.01° cell
    # the 14-digit one does not extend its parent's code by 3 digits; the other one does
    prefix = {p["codes"][0] for p in problems_of(data, "parent_prefix")}
    assert prefix == {"32083110100200"}


def test_it_reports_duplicate_codes(county):
    with connection.cursor() as cur:
        cur.execute("SELECT conname FROM pg_constraint WHERE conrelid = 'grids_gridunit'::regclass AND contype = 'u'")
        unique = [r[0] for r in cur.fetchall()]
    for name in unique:
        drop_constraint(name)
    sql("""INSERT INTO grids_gridunit (code, name, level, parent_id, geom, is_active, created_at, updated_at)
           SELECT code, name || '（重复）', level, parent_id, geom, true, now(), now()
           FROM grids_gridunit WHERE code = %s""", [N2])
    status, data = run_json()
    assert status == 1
    [dup] = problems_of(data, "duplicate_code")
    assert dup["codes"] == [N2, N2]
    assert "2 个单元共用编码" in dup["detail"]
    # the copy also covers its twin completely
    [overlap] = problems_of(data, "sibling_overlap")
    assert overlap["codes"] == [N2, N2]
    assert overlap["area_m2"] == pytest.approx(geodesic_area(X0 + D, Y0 + D, X0 + 2 * D, Y0 + 2 * D), rel=1e-6)


def test_it_reports_a_level_that_does_not_match_the_code(county):
    drop_constraint("grid_code_matches_level")
    sql("UPDATE grids_gridunit SET level = 3 WHERE code = %s", [S2])
    status, data = run_json()
    assert status == 1
    [mismatch] = problems_of(data, "level_mismatch")
    assert mismatch["codes"] == [S2]
    assert "应为 12 位编码，实为 15 位" in mismatch["detail"]
    [parent_level] = problems_of(data, "parent_level")
    assert parent_level["codes"] == [S2, "320831101002"]


def test_it_reports_a_code_not_prefixed_by_its_parent(county):
    # Allowed by the table's constraints: 南村一 hung under 北村.
    sql("""UPDATE grids_gridunit SET parent_id = (SELECT id FROM grids_gridunit WHERE code = '320831101001')
           WHERE code = %s""", [S1])
    status, data = run_json()
    assert status == 1
    [prefix] = problems_of(data, "parent_prefix")
    assert prefix["codes"] == [S1, "320831101001"]
    cell = geodesic_area(X0, Y0, X0 + D, Y0 + D)
    [outside] = problems_of(data, "outside_parent")
    assert outside["codes"] == [S1, "320831101001"]
    assert outside["area_m2"] == pytest.approx(cell, rel=1e-6)
    [gap] = problems_of(data, "gap")  # 南村 lost a child
    assert gap["codes"] == ["320831101002"] and gap["area_m2"] == pytest.approx(cell, rel=1e-6)


def test_slivers_below_the_tolerance_are_not_errors(county):
    # A notch 2e-8° (≈ 2 mm) deep and 0.001° (≈ 111 m) tall cut into 南村二's east edge: a gap of
    # ≈ 0.2 m² inside 南村, below the default tolerance of 1 m².
    x1, y_mid = X0 + 2 * D, Y0 + 0.005
    notched = (f"MULTIPOLYGON((({X0 + D} {Y0}, {x1} {Y0}, {x1} {y_mid}, {x1 - 2e-8} {y_mid}, "
               f"{x1 - 2e-8} {y_mid + 0.001}, {x1} {y_mid + 0.001}, {x1} {Y0 + D}, {X0 + D} {Y0 + D}, {X0 + D} {Y0})))")
    sql("UPDATE grids_gridunit SET geom = ST_GeomFromText(%s, 4326) WHERE code = %s", [notched, S2])
    status, _ = run()
    assert status == 0
    status, data = run_json("--tolerance-m2", "0.01")
    assert status == 1
    [gap] = problems_of(data, "gap")
    assert 0.1 < gap["area_m2"] < 0.3


def test_the_code_prefix_limits_the_check(county):
    reshape(S2, "南村二网格", X0 + D, Y0, X0 + 2 * D - 0.003, Y0 + D)  # a gap in 南村 only
    assert run("--code-prefix", "320831101001")[0] == 0
    assert run("--code-prefix", "320831101002")[0] == 1
    report = check_grids(code_prefix="320831101002")
    assert [p.kind for p in report.problems] == ["gap"]


def test_it_refuses_a_bad_prefix_or_tolerance(county):
    assert run("--code-prefix", "32o831")[0] == 2
    assert run("--tolerance-m2", "-1")[0] == 2
