"""The demo county 金湖县: hierarchy, codes, exact tiling, determinism, locate; demo accounts.

The demo is seeded once for this module (about 5 s) inside a transaction that is rolled back
when the module ends, so other test modules never see it. Each test runs in its own savepoint.
"""
import json
import re
from io import StringIO
from pathlib import Path

import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from shapely.geometry import shape

from geodata.datums import transform_geometry_to_wgs84
from geodata.demo import (
    BOUNDARY_FILE, DEFAULT_SEED, TOTAL_GRIDS, TOWNS, build_demo, do_seed_demo, geometry_digest,
)
from gridgov.accounts.models import Role, User
from gridgov.grids.locate import locate
from gridgov.grids.models import GridBoundary, GridUnit, Level, level_for_code, parent_code

STREETS = {"黎城街道", "戴楼街道", "金北街道"}
TOWNS_ = {"金南镇", "塔集镇", "银涂镇", "前锋镇", "吕良镇"}
OTHER = {"金湖经济开发区", "宝应湖农场", "复兴圩农场"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            seeded = do_seed_demo(DEFAULT_SEED)
            yield {"units": seeded.units, "result": seeded.upsert}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def demo_db(demo, db):
    return demo


def rows(query, params=None):
    with connection.cursor() as cur:
        cur.execute(query, params or [])
        return cur.fetchall()


def run_check(*args):
    out = StringIO()
    try:
        call_command("check_grids", *args, stdout=out)
    except CommandError as err:
        return err.returncode, out.getvalue()
    return 0, out.getvalue()


def test_it_builds_742_grids_in_11_streets_towns_and_other_units(demo_db):
    counts = dict(rows("SELECT level, count(*) FROM grids_gridunit GROUP BY level"))
    assert counts == {Level.DISTRICT: 1, Level.STREET: 11, Level.COMMUNITY: 159, Level.GRID: TOTAL_GRIDS}
    county = GridUnit.objects.get(level=Level.DISTRICT)
    assert (county.code, county.name) == ("320831", "金湖县")
    names = set(GridUnit.objects.filter(level=Level.STREET).values_list("name", flat=True))
    assert names == STREETS | TOWNS_ | OTHER
    assert demo_db["result"].summary() == {"created": 1 + 11 + 159 + 742, "changed": 0, "unchanged": 0, "retired": 0}


def test_codes_are_well_formed_and_prefixed_by_the_parent(demo_db):
    by_id = {u.id: u for u in GridUnit.objects.all()}
    for u in by_id.values():
        assert level_for_code(u.code) == u.level, u.code
        if u.level > Level.DISTRICT:
            assert by_id[u.parent_id].code == parent_code(u.code), u.code
    for u in GridUnit.objects.filter(level=Level.STREET):
        n = int(u.code[6:])
        if u.name in STREETS:
            assert 1 <= n <= 99, u
        elif u.name in TOWNS_:
            assert 100 <= n <= 199, u
        else:
            assert 400 <= n <= 499, u
    for u in GridUnit.objects.filter(level=Level.COMMUNITY):
        n = int(u.code[9:])
        if u.name.endswith("社区"):
            assert 1 <= n <= 199, u
        else:
            assert re.search(r"(村|分场)$", u.name) and 200 <= n <= 399, u
    # grids are numbered 001, 002, ... without holes inside each community
    for community, codes in rows("SELECT left(code, 12), array_agg(code ORDER BY code) FROM grids_gridunit "
                                 "WHERE level = 4 GROUP BY 1"):
        assert [c[12:] for c in codes] == [f"{i:03d}" for i in range(1, len(codes) + 1)], community
    assert len(set(GridUnit.objects.values_list("name", flat=True))) == GridUnit.objects.count()


def test_grids_are_numbered_north_to_south_then_west_to_east(demo_db):
    # In each community with several grids, the first grid lies in the northern half and the
    # centroids get (on the whole) further south as the numbers grow.
    data = rows("""SELECT left(code, 12), array_agg(ST_Y(ST_Centroid(geom)) ORDER BY code)
                   FROM grids_gridunit WHERE level = 4 GROUP BY 1 HAVING count(*) >= 4""")
    assert len(data) > 100
    north_first = sum(ys[0] >= sorted(ys)[len(ys) // 2] for _, ys in data)
    descending = sum(sum(ys[: len(ys) // 2]) / (len(ys) // 2) > sum(ys[len(ys) // 2:]) / (len(ys) - len(ys) // 2)
                     for _, ys in data)
    assert north_first >= 0.9 * len(data)
    assert descending >= 0.95 * len(data)


def test_the_tiling_passes_check_grids(demo_db):
    status, out = run_check("--tolerance-m2", "0.01")
    assert status == 0, out
    assert "913 个单元" in out
    assert run_check("--code-prefix", "320831001")[0] == 0


def test_every_unit_is_a_valid_multipolygon_and_siblings_add_up_to_the_parent(demo_db):
    assert rows("SELECT count(*) FROM grids_gridunit WHERE NOT ST_IsValid(geom) "
                "OR GeometryType(geom) <> 'MULTIPOLYGON'") == [(0,)]
    # areas (m², spheroid) of the children add up to the parent's to within a square metre
    worst = rows("""SELECT max(abs(p.area_m2 - s.total)) FROM grids_gridunit p
                    JOIN (SELECT parent_id, sum(area_m2) AS total FROM grids_gridunit GROUP BY parent_id) s
                    ON s.parent_id = p.id""")[0][0]
    assert worst < 1.0


def test_the_generated_geometry_tiles_exactly(demo):
    units = demo["units"]
    by_code = {u.code: u for u in units}
    children = {}
    for u in units:
        if u.parent:
            children.setdefault(u.parent, []).append(u.geom)
    for code, geoms in children.items():
        union = shapely.union_all(geoms)
        assert by_code[code].geom.symmetric_difference(union).area == 0, code
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="overlaps")
        assert len(left) == 0, code


def test_it_covers_the_real_county_boundary_converted_to_wgs84(demo_db):
    raw = shape(json.loads(Path(BOUNDARY_FILE).read_text(encoding="utf-8"))["features"][0]["geometry"])
    county = shapely.from_wkb(bytes(GridUnit.objects.get(code="320831").geom.wkb))
    # the converted boundary, up to the 1e-7° snapping ...
    converted = transform_geometry_to_wgs84(raw, "gcj02")
    assert county.symmetric_difference(converted).area / converted.area < 1e-5
    # ... moved by the GCJ-02 offset (a few hundred metres), not left in GCJ-02
    dx = (raw.centroid.x - county.centroid.x) * 93_450
    dy = (raw.centroid.y - county.centroid.y) * 110_900
    assert 300 < (dx * dx + dy * dy) ** 0.5 < 800
    area_km2 = GridUnit.objects.get(code="320831").area_m2 / 1e6
    assert 1300 < area_km2 < 1450  # 金湖县: 1,393.86 km² officially


def test_grids_are_denser_in_the_county_seat_and_populations_add_up(demo_db):
    seat, rural = rows("""SELECT avg(area_m2) FILTER (WHERE code LIKE '320831001%%'),
                                 avg(area_m2) FILTER (WHERE code LIKE '3208311%%')
                          FROM grids_gridunit WHERE level = 4""")[0]
    assert 0.1e6 < seat < 0.6e6
    assert 1.0e6 < rural < 5.0e6
    assert GridUnit.objects.get(code="320831").population == sum(t.population for t in TOWNS) == 289_456
    bad = rows("""SELECT p.code FROM grids_gridunit p JOIN grids_gridunit c ON c.parent_id = p.id
                  GROUP BY p.code, p.population HAVING p.population <> sum(c.population)""")
    assert bad == []
    assert rows("SELECT min(population) FROM grids_gridunit WHERE level = 4")[0][0] >= 80


def test_every_grid_centroid_locates_back_to_its_grid(demo_db):
    grids = rows("SELECT code, ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM grids_gridunit WHERE level = 4")
    assert len(grids) == TOTAL_GRIDS
    wrong = [(code, locate(x, y).unit.code) for code, x, y in grids if locate(x, y).unit.code != code]
    assert wrong == []


def test_it_is_deterministic_for_a_seed(demo):
    again = build_demo(DEFAULT_SEED)
    assert [u.code for u in again] == [u.code for u in demo["units"]]
    assert geometry_digest(again) == geometry_digest(demo["units"])
    other = build_demo(DEFAULT_SEED + 1)
    # same towns and communities (grid counts per community follow the shapes), other shapes
    assert sorted(u.code for u in other if u.level < Level.GRID) == sorted(u.code for u in again if u.level < Level.GRID)
    assert sum(u.level == Level.GRID for u in other) == TOTAL_GRIDS
    assert geometry_digest(other) != geometry_digest(again)


def test_seeding_again_changes_nothing_and_if_empty_skips(demo_db):
    boundaries = GridBoundary.objects.count()
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert out.getvalue() == ""
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "新建 0，更新 0，未变 913" in out.getvalue()
    assert GridBoundary.objects.count() == boundaries


@pytest.fixture
def credentials(tmp_path, monkeypatch, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
    from gridgov.accounts.management.commands import create_demo_accounts

    path = tmp_path / "demo-accounts.txt"
    monkeypatch.setattr(create_demo_accounts, "CREDENTIALS_FILE", path)
    return path


def test_demo_accounts_are_created_once_with_their_roles_and_grids(demo_db, credentials, monkeypatch):
    monkeypatch.delenv("GRIDGOV_DEMO_PASSWORD", raising=False)
    out = StringIO()
    call_command("create_demo_accounts", stdout=out)
    printed = out.getvalue()
    roles = dict(User.objects.values_list("username", "role"))
    assert {roles[n] for n in ("admin", "dispatcher", "monitor", "responder", "leader")} == {
        Role.ADMIN, Role.DISPATCHER, Role.MONITOR, Role.RESPONDER, Role.LEADER}
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    workers = User.objects.filter(role=Role.GRID_WORKER)
    assert workers.count() == 6
    assert all(w.grids.filter(level=Level.GRID).count() == 2 for w in workers)
    assert GridUnit.objects.get(code="320831001001001").workers.get().username == "worker01"
    # each password is printed, saved (mode 600) and works
    for line in printed.splitlines()[2:]:
        username, password = line.split()[:2]
        assert User.objects.get(username=username).check_password(password)
        assert f"{username} " in credentials.read_text(encoding="utf-8")
    assert len(printed.splitlines()) == 2 + 11
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"
    # a second run prints one line, changes no password
    hashes = dict(User.objects.values_list("username", "password"))
    out = StringIO()
    call_command("create_demo_accounts", stdout=out)
    assert len(out.getvalue().strip().splitlines()) == 1 and "已存在" in out.getvalue()
    assert dict(User.objects.values_list("username", "password")) == hashes


def test_demo_password_comes_from_the_environment_when_set(demo_db, credentials, monkeypatch):
    monkeypatch.setenv("GRIDGOV_DEMO_PASSWORD", "jinhu-demo-2026")
    call_command("create_demo_accounts", stdout=StringIO())
    assert all(u.check_password("jinhu-demo-2026") for u in User.objects.all())


def test_seeding_another_seed_over_the_demo_keeps_a_clean_tiling(demo_db):
    out = StringIO()
    call_command("seed_demo", "--seed", "7", stdout=out)
    assert "种子 7" in out.getvalue() and "停用" in out.getvalue()  # seed 7 numbers 40 grids differently
    retired = GridUnit.objects.filter(is_active=False)
    assert retired.count() > 0 and not GridBoundary.objects.filter(unit__in=retired, valid_to__isnull=True).exists()
    assert GridUnit.objects.filter(is_active=True, level=Level.GRID).count() == TOTAL_GRIDS
    status, report = run_check()
    assert status == 0, report
    # the earlier shapes are kept as closed boundary versions
    assert GridBoundary.objects.filter(valid_to__isnull=False).count() > 700
    assert rows("SELECT count(*) FROM grids_gridunit u WHERE u.is_active AND NOT EXISTS "
                "(SELECT 1 FROM grids_gridboundary b WHERE b.unit_id = u.id AND b.valid_to IS NULL)") == [(0,)]
