"""Role × endpoint matrix: who sees which case, who may do what, who sees citizens' personal data.

Layout: case A in 北村一网格 (320831101001001), case B in 南村二网格 (320831101002002), both
hotline cases with a citizen's contact, filed by the dispatcher; case W reported by worker_a in
南村二网格 (outside worker_a's own grid).
"""
import uuid

import pytest
from rest_framework.test import APIClient

from gridgov.accounts.models import Role
from gridgov.cases.models import CasePhoto
from gridgov.grids.models import GridUnit
from tests.factories import make_case, make_photo, make_user
from tests.factories import api_client as client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

A1 = (119.005, 33.015)
B2 = (119.015, 33.005)
ROLES = ["worker_a", "worker_b", "responder", "responder_nodept", "dispatcher", "monitor", "leader", "admin",
         "superuser"]


@pytest.fixture
def world(county, categories, media):
    from gridgov.departments.actions import do_add_responder, do_create_department

    users = {
        "worker_a": make_user("worker_a", Role.GRID_WORKER),
        "worker_b": make_user("worker_b", Role.GRID_WORKER),
        "responder": make_user("responder", Role.RESPONDER),
        "responder_nodept": make_user("responder_nodept", Role.RESPONDER),
        "dispatcher": make_user("dispatcher", Role.DISPATCHER),
        "monitor": make_user("monitor", Role.MONITOR),
        "leader": make_user("leader", Role.LEADER),
        "admin": make_user("admin", Role.ADMIN),
        "superuser": make_user("root", Role.GRID_WORKER, is_superuser=True, is_staff=True),
    }
    GridUnit.objects.get(code="320831101001001").workers.add(users["worker_a"])
    # worker_b is assigned to a whole community (南村): all its grids
    GridUnit.objects.get(code="320831101002").workers.add(users["worker_b"])
    dept = do_create_department(name="南村环卫站", code="nancun-hw", kind="squad", jurisdiction=["320831101002"])
    do_add_responder(dept, users["responder"])
    d = users["dispatcher"]
    cases = {
        "A": make_case(d, *A1, channel="hotline_12345", contact_name="王小明", contact_phone="13912345678"),
        "B": make_case(d, *B2, channel="hotline_12345", contact_name="李四", contact_phone="13800001111"),
        "W": make_case(users["worker_a"], *B2, photos=[make_photo()]),
    }
    # A responder sees the cases dispatched to their department (not its whole jurisdiction): B is.
    from gridgov.dispatch.actions import do_file_case_by_command_centre, do_reroute

    do_file_case_by_command_centre(cases["B"], d)
    do_reroute(cases["B"], d, lead=dept)
    return users, cases




VISIBLE = {
    "worker_a": {"A", "W"},  # own grid + own report
    "worker_b": {"B", "W"},  # the community they are assigned to
    "responder": {"B"},  # dispatched to the department (W is in its jurisdiction, not dispatched to it)
    "responder_nodept": set(),
    "dispatcher": {"A", "B", "W"},
    "monitor": {"A", "B", "W"},
    "leader": set(),
    "admin": {"A", "B", "W"},
    "superuser": {"A", "B", "W"},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lists_and_opens_exactly_its_cases(world, role):
    users, cases = world
    api = client_for(users[role])
    listed = {row["number"] for row in api.get("/api/v1/cases/").json()["results"]}
    expected = {cases[k].number for k in VISIBLE[role]}
    assert listed == expected
    for key, case in cases.items():
        r = api.get(f"/api/v1/cases/{case.number}/")
        assert r.status_code == (200 if key in VISIBLE[role] else 404), (role, key)


CAN_REPORT = {"worker_a", "worker_b", "dispatcher", "admin", "superuser"}
CAN_EDIT = {"dispatcher", "admin", "superuser"}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_report_only_if_its_work_is_reporting(world, role):
    users, _ = world
    r = client_for(users[role]).post("/api/v1/cases/", {
        "client_uuid": str(uuid.uuid4()), "lon": A1[0], "lat": A1[1], "category": "E0101", "channel": "other"},
        format="json")
    assert r.status_code == (201 if role in CAN_REPORT else 403), r.content
    d = client_for(users[role]).get("/api/v1/cases/duplicates/", {"lon": A1[0], "lat": A1[1], "category": "E0101"})
    assert d.status_code == (200 if role in CAN_REPORT else 403)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_command_centre_and_admins_edit(world, role):
    users, cases = world
    api = client_for(users[role])
    r = api.patch(f"/api/v1/cases/{cases['A'].number}/", {"description": "改"}, format="json")
    expected = 200 if role in CAN_EDIT else (403 if "A" in VISIBLE[role] else 404)
    assert r.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_everyone_signed_in_gets_categories_and_their_own_list(world, role):
    users, cases = world
    api = client_for(users[role])
    assert api.get("/api/v1/categories/").status_code == 200
    mine = {row["number"] for row in api.get("/api/v1/cases/mine/").json()["results"]}
    assert mine == ({cases["W"].number} if role == "worker_a" else
                    {cases["A"].number, cases["B"].number} if role == "dispatcher" else set())


SEES_PERSONAL = {"responder", "dispatcher", "admin", "superuser"}


@pytest.mark.parametrize("role", ["worker_a", "worker_b", "responder", "dispatcher", "monitor", "admin"])
def test_citizens_personal_data_is_masked_for_roles_that_do_not_need_it(world, role):
    users, cases = world
    api = client_for(users[role])
    key = "A" if "A" in VISIBLE[role] else "B"
    detail = api.get(f"/api/v1/cases/{cases[key].number}/").json()
    listed = next(r for r in api.get("/api/v1/cases/").json()["results"] if r["number"] == cases[key].number)
    phone, name = cases[key].contact_phone, cases[key].contact_name
    for body in (detail, listed):
        if role in SEES_PERSONAL:
            assert (body["contact_phone"], body["contact_name"]) == (phone, name)
            assert body["personal_data_masked"] is False
        else:
            assert body["contact_phone"] == phone[:3] + "****" + phone[-4:]
            assert body["contact_name"] == name[0] + "*" * (len(name) - 1)
            assert body["personal_data_masked"] is True
    created = next(h for h in detail["history"] if h["kind"] == "created")
    raw = str(created["after"])
    assert (phone in raw) == (role in SEES_PERSONAL)  # not leaked through the history either


def test_a_monitor_never_sees_personal_data_even_in_an_edit_history(world):
    users, cases = world
    client_for(users["dispatcher"]).patch(f"/api/v1/cases/{cases['A'].number}/", {"contact_phone": "13700002222"},
                                          format="json")
    detail = client_for(users["monitor"]).get(f"/api/v1/cases/{cases['A'].number}/").json()
    edit = next(h for h in detail["history"] if h["kind"] == "updated")
    assert edit["before"]["contact_phone"] == "139****5678" and edit["after"]["contact_phone"] == "137****2222"


@pytest.mark.parametrize("role", ROLES)
def test_originals_with_exif_are_for_the_command_centre_and_admins(world, role):
    users, cases = world
    photo = CasePhoto.objects.get(case=cases["W"])
    r = client_for(users[role]).get(f"/api/v1/cases/{cases['W'].number}/photos/{photo.pk}/original/")
    expected = 200 if role in CAN_EDIT else (403 if "W" in VISIBLE[role] else 404)
    assert r.status_code == expected


@pytest.mark.parametrize("method,url", [
    ("get", "/api/v1/cases/"), ("post", "/api/v1/cases/"), ("get", "/api/v1/cases/mine/"),
    ("get", "/api/v1/cases/duplicates/"), ("get", "/api/v1/categories/"), ("get", "/api/v1/cases/{A}/"),
    ("patch", "/api/v1/cases/{A}/"),
])
def test_anonymous_requests_are_refused_everywhere(world, method, url):
    _, cases = world
    r = getattr(client_for(None), method)(url.format(A=cases["A"].number), {}, format="json")
    assert r.status_code in (401, 403)
    assert "errors" in r.json()


def test_token_and_session_authentication_both_work(world):
    from rest_framework.authtoken.models import Token

    users, cases = world
    token = Token.objects.create(user=users["worker_a"])
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert {r["number"] for r in c.get("/api/v1/cases/").json()["results"]} == {cases["A"].number,
                                                                              cases["W"].number}
    s = APIClient()
    assert s.login(username="worker_b", password="pw-worker_b")
    assert s.get(f"/api/v1/cases/{cases['B'].number}/").status_code == 200
    # a session POST without the CSRF token is refused (the mobile page sends it)
    s_csrf = APIClient(enforce_csrf_checks=True)
    s_csrf.login(username="worker_b", password="pw-worker_b")
    r = s_csrf.post("/api/v1/cases/", {"client_uuid": str(uuid.uuid4())}, format="json")
    assert r.status_code == 403


def test_a_case_number_is_random_not_sequential(world):
    _, cases = world
    numbers = [c.number for c in cases.values()]
    assert len(set(numbers)) == 3 and all(len(n) == 13 for n in numbers)
    assert not any(n.isdigit() for n in numbers)
