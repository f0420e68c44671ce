"""Dispatch API: role × endpoint, the closed loop over HTTP, queue order, routing preview."""
import pytest
from rest_framework.test import APIClient

from gridgov.dispatch.actions import do_whistle
from gridgov.dispatch.models import Dispatch, Role, State, Suspension
from tests.dispatch_helpers import build_world, photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county, categories, media):
    return build_world()


@pytest.fixture
def as_user(world):
    def client(name):
        c = APIClient()
        c.force_authenticate(world.users[name])
        return c

    return client


def lead(world, **kw):
    result = do_whistle(world.case(**kw), world.users["worker"])
    return next(d for d in result.dispatches if d.role == Role.LEAD)


def errors(response):
    return response.json()["errors"][0]


# --- whistle ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("user, status", [
    # cg: a responder sees only cases dispatched to its department (issue 7 access matrix): not this one yet
    ("worker", 201), ("dispatcher", 201), ("cg", 404), ("monitor", 403), ("other_worker", 404)])
def test_who_may_blow_the_whistle(world, as_user, user, status):
    case = world.case()
    r = as_user(user).post(f"/api/v1/cases/{case.number}/whistle/", {"level": "routine"}, format="json")
    assert r.status_code == status, r.content
    if status == 201:
        body = r.json()
        assert [d["department"]["code"] for d in body["dispatches"]] == ["cg", "gaj", "scjg"]
        assert body["whistle"]["source"] == ("grid" if user == "worker" else "command")
        assert body["dispatches"][0]["accept_due"].endswith("+08:00")  # shown in Asia/Shanghai


def test_a_whistle_with_no_rule_answers_with_the_triage_item(world, as_user):
    case = world.case(category="S0101")
    body = as_user("worker").post(f"/api/v1/cases/{case.number}/whistle/", {}, format="json").json()
    assert body["dispatches"] == [] and body["triage"]["reason"] == "no_rule"


def test_filing_is_for_the_command_centre(world, as_user):
    case = world.case()
    assert as_user("worker").post(f"/api/v1/cases/{case.number}/file/", {}, format="json").status_code == 403
    assert as_user("dispatcher").post(f"/api/v1/cases/{case.number}/file/", {"level": "key"},
                                      format="json").status_code == 201


# --- seeing dispatches -----------------------------------------------------------------------------

@pytest.mark.parametrize("user, departments", [
    ("cg", {"cg"}), ("gaj", {"gaj"}), ("worker", {"cg", "gaj", "scjg"}), ("other_worker", set()),
    ("dispatcher", {"cg", "gaj", "scjg"}), ("monitor", {"cg", "gaj", "scjg"}), ("town", set())])
def test_each_role_sees_only_its_dispatches(world, as_user, user, departments):
    lead(world)
    r = as_user(user).get("/api/v1/dispatches/")
    assert r.status_code == 200
    assert {d["department"]["code"] for d in r.json()["results"]} == departments


def test_a_dispatch_of_another_department_is_not_found(world, as_user):
    d = lead(world)
    assert as_user("gaj").get(f"/api/v1/dispatches/{d.pk}/").status_code == 404
    body = as_user("cg").get(f"/api/v1/dispatches/{d.pk}/").json()
    assert body["state"] == "whistled" and body["allowed_actions"] == ["accept", "return"]
    assert [e["action"] for e in body["events"]] == ["dispatch"]


def test_the_queue_puts_the_most_urgent_and_soonest_due_first(world, as_user):
    normal = lead(world)
    emergency = lead(world, urgency="emergency")
    other = lead(world)
    Dispatch.objects.filter(pk=other.pk).update(accept_due=normal.accept_due.replace(year=2020))
    ids = [d["id"] for d in as_user("cg").get("/api/v1/dispatches/").json()["results"]]
    assert ids == [emergency.pk, other.pk, normal.pk]
    accepted = as_user("cg").get("/api/v1/dispatches/?state=accepted").json()["results"]
    assert accepted == []
    assert as_user("cg").get("/api/v1/dispatches/?state=nonsense").status_code == 400


def test_the_case_history_is_shown_to_its_grid_worker_not_to_a_responder(world, as_user):
    d = lead(world)
    number = d.case.number
    mine = as_user("worker").get(f"/api/v1/cases/{number}/dispatches/").json()
    assert len(mine["dispatches"]) == 3 and {e["action"] for e in mine["events"]} >= {"whistle", "dispatch"}
    theirs = as_user("gaj").get(f"/api/v1/cases/{number}/dispatches/").json()
    assert [x["department"]["code"] for x in theirs["dispatches"]] == ["gaj"] and theirs["events"] == []


# --- acting ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("user, status", [
    ("cg", 200), ("cg2", 200), ("gaj", 404), ("monitor", 403), ("dispatcher", 403), ("worker", 403)])
def test_who_may_accept(world, as_user, user, status):
    d = lead(world)
    r = as_user(user).post(f"/api/v1/dispatches/{d.pk}/accept/", {}, format="json")
    assert r.status_code == status, r.content


def test_the_closed_loop_over_http(world, as_user):
    d = lead(world)
    cg, base = as_user("cg"), f"/api/v1/dispatches/{d.pk}"
    assert cg.post(f"{base}/accept/", {"version": 1}, format="json").json()["state"] == "accepted"
    assert cg.post(f"{base}/start/", {}, format="json").json()["state"] == "in_progress"
    r = cg.post(f"{base}/feedback/", {"text": "已清运", "photos": [photo()]}, format="multipart")
    assert r.status_code == 200 and r.json()["state"] == "fed_back", r.content
    assert as_user("cg").post(f"{base}/verify/", {"passed": True}, format="json").status_code == 403
    r = as_user("worker").post(f"{base}/verify/", {"passed": False, "note": "还有残留"}, format="json")
    assert r.json()["state"] == "rework" and r.json()["rework_count"] == 1
    cg.post(f"{base}/start/", {}, format="json")
    cg.post(f"{base}/feedback/", {"text": "已全部清运", "photos": [photo()]}, format="multipart")
    assert as_user("worker").post(f"{base}/verify/", {"passed": "true"}, format="json").json()["state"] == "verified"
    assert as_user("cg").post(f"/api/v1/cases/{d.case.number}/close/", {}, format="json").status_code == 403
    r = as_user("dispatcher").post(f"/api/v1/cases/{d.case.number}/close/", {"note": "办结"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert {x["state"] for x in r.json()["dispatches"]} == {"closed"}


def test_acting_on_a_changed_dispatch_is_a_409_naming_the_state(world, as_user):
    d = lead(world)
    as_user("cg").post(f"/api/v1/dispatches/{d.pk}/accept/", {}, format="json")
    r = as_user("cg2").post(f"/api/v1/dispatches/{d.pk}/accept/", {}, format="json")
    assert r.status_code == 409
    assert errors(r)["code"] == "invalid_transition" and errors(r)["state"] == "accepted"
    r = as_user("cg2").post(f"/api/v1/dispatches/{d.pk}/start/", {"version": 1}, format="json")
    assert r.status_code == 409 and errors(r)["code"] == "stale_version"


def test_bad_input_is_a_400_naming_the_field(world, as_user):
    d = lead(world)
    r = as_user("cg").post(f"/api/v1/dispatches/{d.pk}/return/", {"reason": ""}, format="json")
    assert r.status_code == 400 and errors(r)["field"] == "reason" and errors(r)["message"]
    r = as_user("cg").post(f"/api/v1/dispatches/{d.pk}/accept/", {"version": "x"}, format="json")
    assert r.status_code == 400 and errors(r)["field"] == "version"
    r = as_user("worker").post(f"/api/v1/cases/{d.case.number}/whistle/", {}, format="json")
    assert r.status_code == 409


def test_return_triage_and_reroute(world, as_user):
    d = lead(world)
    r = as_user("cg").post(f"/api/v1/dispatches/{d.pk}/return/", {"reason": "非城管职责"}, format="json")
    assert r.json()["state"] == "returned"
    for user, status in (("dispatcher", 200), ("monitor", 200), ("cg", 403), ("worker", 403)):
        assert as_user(user).get("/api/v1/triage/").status_code == status, user
    [item] = as_user("dispatcher").get("/api/v1/triage/").json()["results"]
    assert item["reason"] == "returned" and item["note"] == "非城管职责"
    url = f"/api/v1/cases/{d.case.number}/reroute/"
    assert as_user("cg").post(url, {"lead": "hw"}, format="json").status_code == 403
    assert as_user("dispatcher").post(url, {"lead": "nobody"}, format="json").status_code == 400
    r = as_user("dispatcher").post(url, {"lead": "hw", "note": "改派环卫"}, format="json")
    assert r.status_code == 201 and r.json()[0]["bounce_count"] == 1
    assert as_user("dispatcher").get("/api/v1/triage/").json()["results"] == []


def test_suspension_over_http(world, as_user):
    d = lead(world)
    as_user("cg").post(f"/api/v1/dispatches/{d.pk}/accept/", {}, format="json")
    r = as_user("cg").post(f"/api/v1/dispatches/{d.pk}/suspend/", {"kind": "defer", "reason": "待产权认定"},
                           format="json")
    assert r.status_code == 201 and r.json()["status"] == "pending"
    sid = r.json()["id"]
    assert [s["id"] for s in as_user("dispatcher").get("/api/v1/suspensions/").json()] == [sid]
    assert as_user("cg").post(f"/api/v1/suspensions/{sid}/decide/", {"approved": True},
                              format="json").status_code == 403
    r = as_user("dispatcher").post(f"/api/v1/suspensions/{sid}/decide/", {"approved": True}, format="json")
    assert r.json()["status"] == "approved"
    assert Dispatch.objects.get(pk=d.pk).state == State.SUSPENDED
    r = as_user("cg").post(f"/api/v1/dispatches/{d.pk}/resume/", {}, format="json")
    assert r.json()["state"] == "accepted" and Suspension.objects.get().status == "ended"


def test_escalate_over_http(world, as_user):
    d = lead(world)
    url = f"/api/v1/cases/{d.case.number}/escalate/"
    assert as_user("cg").post(url, {}, format="json").status_code == 403
    r = as_user("worker").post(url, {"note": "社区协调不动", "expected_level": "routine"}, format="json")
    assert r.json()["level"] == "key"
    r = as_user("dispatcher").post(url, {"expected_level": "routine"}, format="json")
    assert r.status_code == 409 and errors(r)["code"] == "stale_level"


# --- routing preview -----------------------------------------------------------------------------------

def test_the_routing_preview_shows_where_a_point_and_category_would_go(world, as_user):
    r = as_user("worker").get("/api/v1/routing/preview/?lon=119.005&lat=33.015&category=E0101")
    body = r.json()
    assert r.status_code == 200 and body["matched"] and body["grid"]["code"] == "320831101001001"
    assert body["lead"]["code"] == "cg" and [d["code"] for d in body["assists"]] == ["gaj"]
    assert body["limits"] == {"response": "1 工作时", "handling": "4 工作时", "urgency": "normal", "urgency_steps": 0}
    assert body["due_if_dispatched_now"]["feedback_due"].endswith("+08:00")
    assert [c["area"] for c in body["candidates"]] == ["320831"]
    urgent = as_user("worker").get("/api/v1/routing/preview/?lon=119.005&lat=33.015&category=E0101&urgency=urgent")
    assert urgent.json()["limits"]["handling"] == "2 工作时"


def test_the_routing_preview_says_triage_when_nothing_matches_and_refuses_bad_input(world, as_user):
    body = as_user("dispatcher").get("/api/v1/routing/preview/?lon=119.005&lat=33.015&category=S0101").json()
    assert not body["matched"] and body["triage_reason"] == "no_rule" and body["lead"] is None
    r = as_user("dispatcher").get("/api/v1/routing/preview/?lon=120.5&lat=33.015&category=E0101")
    assert r.status_code == 404 and errors(r)["code"] == "outside_grids"
    r = as_user("dispatcher").get("/api/v1/routing/preview/?lon=119.005&lat=33.015&category=NOPE")
    assert r.status_code == 400 and errors(r)["field"] == "category"
    r = as_user("dispatcher").get("/api/v1/routing/preview/?lon=119.005&lat=33.015")
    assert r.status_code == 400


def test_anonymous_requests_are_refused(world):
    assert APIClient().get("/api/v1/dispatches/").status_code in (401, 403)
