"""Departments: hierarchy, jurisdiction by code prefix (in SQL), responders, demo seeding."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.accounts.models import Role
from gridgov.departments.actions import (do_add_responder, do_create_department, do_remove_responder,
                                         do_set_jurisdiction, do_update_department)
from gridgov.departments.demo import seed_demo_departments
from gridgov.departments.models import Department, Kind, Membership
from gridgov.departments.selectors import departments_covering, departments_of_user, descendant_ids, responders_of
from gridgov.core.errors import FieldError
from gridgov.grids.models import GridUnit
from tests.factories import make_user

pytestmark = pytest.mark.django_db

COUNTY, TOWN, NORTH, SOUTH = "320831", "320831101", "320831101001", "320831101002"
NORTH_GRID, SOUTH_GRID = NORTH + "001", SOUTH + "002"


@pytest.fixture
def depts(county):
    bureau = do_create_department(name="县城管执法局", code="cgj", kind=Kind.BUREAU, jurisdiction=[COUNTY],
                                  contact_phone="0517-1234567")
    town = do_create_department(name="测试镇人民政府", code="town-101", kind=Kind.STREET, jurisdiction=[TOWN])
    squad = do_create_department(name="测试镇城管中队", code="cgzd-101", kind=Kind.SQUAD, parent=town,
                                 jurisdiction=[TOWN])
    water = do_create_department(name="北村供水站", code="water-n", kind=Kind.UTILITY, jurisdiction=[NORTH])
    grid_only = do_create_department(name="南村二网格物业", code="wy-s2", kind=Kind.UTILITY, jurisdiction=[SOUTH_GRID])
    return {"bureau": bureau, "town": town, "squad": squad, "water": water, "grid_only": grid_only}


def codes(qs):
    return [d.code for d in qs]


def test_it_resolves_jurisdiction_by_code_prefix_most_specific_first(depts):
    found = departments_covering(NORTH_GRID)
    assert codes(found) == ["water-n", "cgzd-101", "town-101", "cgj"]
    assert [d.match_length for d in found] == [12, 9, 9, 6]
    assert codes(departments_covering(SOUTH_GRID)) == ["wy-s2", "cgzd-101", "town-101", "cgj"]
    assert codes(departments_covering(SOUTH + "001")) == ["cgzd-101", "town-101", "cgj"]
    assert codes(departments_covering(TOWN)) == ["cgzd-101", "town-101", "cgj"]  # a unit covers itself
    assert codes(departments_covering(COUNTY)) == ["cgj"]  # not covered by its descendants' departments
    assert codes(departments_covering(NORTH_GRID, kind=Kind.UTILITY)) == ["water-n"]


def test_a_prefix_that_is_not_an_ancestor_does_not_match(depts):
    # 320831101 is a string prefix of 3208311010..., but grid codes are 3-digit segments: 32083110 is not a unit
    assert codes(departments_covering("320831102001001")) == ["cgj"]
    assert codes(departments_covering("320832101001001")) == []  # another county


def test_it_resolves_in_one_query_and_ignores_inactive_departments(depts):
    do_update_department(depts["water"], is_active=False)
    with CaptureQueriesContext(connection) as ctx:
        found = codes(departments_covering(NORTH_GRID))
    assert found == ["cgzd-101", "town-101", "cgj"]
    assert len(ctx.captured_queries) == 1
    assert "IN" in ctx.captured_queries[0]["sql"]


def test_it_refuses_a_malformed_grid_code(depts):
    for bad in ("3208", "32083110100100", "abcdefghi", ""):
        with pytest.raises(FieldError) as err:
            departments_covering(bad)
        assert err.value.field == "grid_code"


def test_the_hierarchy_is_kept_and_cycles_are_refused(depts):
    town, squad = depts["town"], depts["squad"]
    assert squad.parent == town and list(town.children.all()) == [squad]
    sub = do_create_department(name="城管中队一组", code="cgzd-101-1", kind=Kind.SQUAD, parent=squad)
    assert sub.ancestors() == [squad, town]
    assert set(descendant_ids(town)) == {town.id, squad.id, sub.id}
    with pytest.raises(FieldError) as err:
        do_update_department(town, parent=sub)
    assert (err.value.field, err.value.code) == ("parent", "cycle")
    with pytest.raises(FieldError):
        do_update_department(town, parent=town)
    town.refresh_from_db()
    assert town.parent is None


@pytest.mark.parametrize("fields,field,code", [
    ({"name": "  "}, "name", "required"),
    ({"code": "x"}, "code", "malformed_code"),
    ({"code": "城管"}, "code", "malformed_code"),
    ({"code": "cgj"}, "code", "duplicate_code"),
    ({"kind": "ministry"}, "kind", "invalid_kind"),
    ({"contact_phone": "call me"}, "contact_phone", "malformed_phone"),
    ({"jurisdiction": [TOWN, "320831999"]}, "jurisdiction", "unknown_unit"),
])
def test_bad_input_is_refused_and_nothing_is_written(depts, fields, field, code):
    before = Department.objects.count()
    args = {"name": "新部门", "code": "new-dept", "kind": Kind.BUREAU, **fields}
    with pytest.raises(FieldError) as err:
        do_create_department(**args)
    assert (err.value.field, err.value.code) == (field, code)
    assert err.value.message_zh and err.value.message_en
    assert Department.objects.count() == before


def test_an_inactive_parent_is_refused(depts):
    do_update_department(depts["bureau"], is_active=False)
    with pytest.raises(FieldError) as err:
        do_create_department(name="x中队", code="x-squad", kind=Kind.SQUAD, parent=depts["bureau"])
    assert err.value.code == "inactive_parent"


def test_set_jurisdiction_replaces_and_unknown_codes_change_nothing(depts):
    water = depts["water"]
    do_set_jurisdiction(water, [SOUTH, NORTH_GRID])
    assert sorted(water.jurisdiction.values_list("code", flat=True)) == sorted([SOUTH, NORTH_GRID])
    assert "water-n" in codes(departments_covering(SOUTH + "001"))
    with pytest.raises(FieldError):
        do_set_jurisdiction(water, [NORTH, "320831101009"])
    assert sorted(water.jurisdiction.values_list("code", flat=True)) == sorted([SOUTH, NORTH_GRID])
    do_set_jurisdiction(water, [GridUnit.objects.get(code=NORTH)])
    assert list(water.jurisdiction.values_list("code", flat=True)) == [NORTH]


def test_a_responder_may_belong_to_several_departments(depts):
    alice = make_user("alice", Role.RESPONDER, display_name="李处置")
    do_add_responder(depts["squad"], alice, is_lead=True)
    do_add_responder(depts["bureau"], alice)
    do_add_responder(depts["bureau"], alice)  # twice: still one membership
    mine = list(departments_of_user(alice))
    assert sorted((d.code, d.is_lead) for d in mine) == [("cgj", False), ("cgzd-101", True)]
    assert Membership.objects.filter(user=alice).count() == 2
    assert responders_of(depts["squad"], leads_only=True) == [alice]
    do_remove_responder(depts["bureau"], alice)
    assert codes(departments_of_user(alice)) == ["cgzd-101"]


def test_only_responders_join_and_dispatchers_only_the_command_centre(depts):
    worker = make_user("gw", Role.GRID_WORKER)
    with pytest.raises(FieldError) as err:
        do_add_responder(depts["squad"], worker)
    assert (err.value.field, err.value.code) == ("user", "wrong_role")
    dispatcher = make_user("disp", Role.DISPATCHER)
    with pytest.raises(FieldError):
        do_add_responder(depts["squad"], dispatcher)
    centre = do_create_department(name="指挥中心", code="zhzx", kind=Kind.COMMAND, jurisdiction=[COUNTY])
    do_add_responder(centre, dispatcher)
    gone = make_user("gone", Role.RESPONDER, is_active=False)
    with pytest.raises(FieldError) as err:
        do_add_responder(depts["squad"], gone)
    assert err.value.code == "inactive_user"
    assert Membership.objects.filter(department=depts["squad"]).count() == 0


def test_demo_seeding_is_idempotent_and_covers_every_town(county):
    first = seed_demo_departments()
    n = Department.objects.count()
    assert first == {"created": n, "existing": 0}
    second = seed_demo_departments()
    assert second == {"created": 0, "existing": n}
    assert Department.objects.count() == n
    town = Department.objects.get(code=f"town-{TOWN}")
    assert town.name == "测试镇人民政府" and town.kind == Kind.STREET
    assert Department.objects.get(code=f"cgzd-{TOWN}").parent == town
    assert Department.objects.get(code=f"sfs-{TOWN}").parent.code == "sfj"
    assert {k for k in Department.objects.values_list("kind", flat=True)} == set(Kind.values)
    covering = codes(departments_covering(NORTH_GRID))
    assert set(covering[:3]) == {f"town-{TOWN}", f"cgzd-{TOWN}", f"sfs-{TOWN}"}  # town level first
    assert {"cgj", "srhw", "water", "power", "gas", "telecom", "court", "arbitration", "review", "zhzx"} <= set(covering)


def test_demo_seeding_without_grid_units_still_creates_county_departments(db):
    result = seed_demo_departments()
    assert result["created"] == 20
    assert not Department.objects.filter(kind=Kind.STREET).exists()
    assert Department.objects.get(code="cgj").name == "金湖县城市管理综合行政执法局"


def test_the_admin_lists_departments_and_refuses_a_cycle(depts, client):
    root = make_user("root", Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(root)
    page = client.get("/admin/departments/department/?q=城管")
    assert page.status_code == 200
    assert "测试镇城管中队" in page.content.decode() and "测试镇人民政府" in page.content.decode()
    town, squad = depts["town"], depts["squad"]
    assert client.get(f"/admin/departments/department/{town.id}/change/").status_code == 200
    form = {"name": town.name, "code": town.code, "kind": town.kind, "parent": squad.id,
            "jurisdiction": [GridUnit.objects.get(code=TOWN).id], "contact_phone": "", "is_active": "on",
            "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
            "children-TOTAL_FORMS": "1", "children-INITIAL_FORMS": "1", "children-0-id": squad.id,
            "children-0-parent": town.id}
    response = client.post(f"/admin/departments/department/{town.id}/change/", form)
    assert response.status_code == 200  # form shown again with the error
    assert "本部门自身或下级" in response.content.decode()
    town.refresh_from_db()
    assert town.parent is None
