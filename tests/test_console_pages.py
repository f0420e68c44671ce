"""Console pages, server side: who may open which page, the responder's queue and dispatch page, the grid
worker's verification, the command centre (triage and re-routing, escalation, 督办, suspensions, closing,
routing preview, taking in a case). The pages call the real actions against PostGIS; nothing is mocked."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.accounts.models import Role as UserRole
from gridgov.alerts.models import Supervision
from gridgov.cases.models import Case, Category, PhotoKind, Status
from gridgov.departments.actions import do_add_responder, do_create_department
from gridgov.departments.models import Kind
from gridgov.dispatch.actions import do_accept, do_feed_back, do_start, do_verify, do_whistle
from gridgov.dispatch.models import (
    Dispatch,
    DispatchEvent,
    Notification,
    Role,
    State,
    Suspension,
    SuspensionStatus,
    TriageItem,
    Whistle,
    WhistleLevel,
)
from tests.dispatch_helpers import N1_POINT, SOUTH, build_world, make_user, photo
from tests.factories import page_client as client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county, categories, media):
    return build_world()




def whistled(world, **kw):
    result = do_whistle(world.case(**kw), world.users["worker"])
    return {d.role: d for d in result.dispatches}


def page_text(response):
    return response.content.decode()


# --- who may open what -------------------------------------------------------------------------------

def test_it_sends_responders_and_dispatchers_to_their_start_pages(world):
    assert client_for(world.users["cg"]).get("/").url == "/console/"
    assert client_for(world.users["dispatcher"]).get("/").url == "/console/command/"


def test_it_asks_anonymous_visitors_to_log_in(world):
    for url in ("/console/", "/console/verify/", "/console/command/", "/console/command/preview/"):
        response = Client().get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/?next="), url


@pytest.mark.parametrize("user,url", [
    ("worker", "/console/"), ("monitor", "/console/"), ("dispatcher", "/console/"),
    ("cg", "/console/command/"), ("worker", "/console/command/"), ("monitor", "/console/command/"),
    ("cg", "/console/command/preview/"), ("cg", "/console/command/file/"), ("cg", "/console/verify/"),
    ("monitor", "/console/verify/"),
])
def test_it_refuses_a_page_to_a_role_that_has_no_business_there(world, user, url):
    response = client_for(world.users[user]).get(url)
    assert response.status_code == 403
    assert "无权访问" in page_text(response)


def test_it_refuses_command_actions_to_a_responder_even_by_a_crafted_post(world):
    lead = whistled(world)[Role.LEAD]
    response = client_for(world.users["cg"]).post(f"/console/command/case/{lead.case.number}/escalate/", {})
    assert response.status_code == 403
    assert Whistle.objects.get(case=lead.case).level == WhistleLevel.ROUTINE


# --- the responder's queue -----------------------------------------------------------------------------

def test_it_lists_my_departments_dispatches_most_urgent_first(world):
    normal = whistled(world)[Role.LEAD]
    emergency = whistled(world, urgency="emergency")[Role.LEAD]
    response = client_for(world.users["cg"]).get("/console/")
    assert response.status_code == 200
    rows = [d.pk for d in response.context["rows"]]
    assert rows == [emergency.pk, normal.pk]
    text = page_text(response)
    assert normal.case.number in text and "暴露垃圾" in text and "待签收" in text
    # 协办 sees its own dispatches; a department nothing was sent to sees none.
    assert {d.role for d in client_for(world.users["gaj"]).get("/console/").context["rows"]} == {Role.ASSIST}
    assert client_for(world.users["hw"]).get("/console/").context["rows"] == []


def test_it_sorts_by_the_due_time_that_matters_now_within_one_urgency(world):
    first, second = whistled(world)[Role.LEAD], whistled(world)[Role.LEAD]
    Dispatch.objects.filter(pk=first.pk).update(accept_due=timezone.now() + timedelta(hours=5))
    Dispatch.objects.filter(pk=second.pk).update(accept_due=timezone.now() + timedelta(hours=1))
    rows = client_for(world.users["cg"]).get("/console/").context["rows"]
    assert [d.pk for d in rows] == [second.pk, first.pk]


def test_it_shows_warning_colours_and_near_overdue_and_overdue_badges(world):
    Category.objects.filter(code="E0101").update(warning_colour="red")
    ok, near, late = (whistled(world)[Role.LEAD] for _ in range(3))
    now = timezone.now()
    # a 4-hour (wall-clock) acceptance limit, so the levels do not depend on the time of day
    hours = {"response_limit_amount": 4, "response_limit_unit": "hours"}
    Dispatch.objects.filter(pk=ok.pk).update(dispatched_at=now, accept_due=now + timedelta(hours=4), **hours)
    Dispatch.objects.filter(pk=near.pk).update(dispatched_at=now - timedelta(hours=3, minutes=30),
                                               accept_due=now + timedelta(minutes=30), **hours)
    Dispatch.objects.filter(pk=late.pk).update(dispatched_at=now - timedelta(hours=4, minutes=5),
                                               accept_due=now - timedelta(minutes=5), **hours)
    response = client_for(world.users["cg"]).get("/console/")
    levels = {d.pk: (d.warning.colour, d.warning.level) for d in response.context["rows"]}
    assert levels == {ok.pk: ("red", "ok"), near.pk: ("red", "near"), late.pk: ("red", "overdue")}
    text = page_text(response)
    assert text.count('class="due-badge overdue"') == 1 and text.count('class="due-badge near"') == 1
    assert 'class="wc wc-red"' in text
    # overdue first: the earliest due time comes first
    assert next(d.pk for d in response.context["rows"]) == late.pk


def test_it_filters_by_state_category_street_overdue_and_number(world):
    a = whistled(world)[Role.LEAD]
    b = whistled(world)[Role.LEAD]
    do_accept(b, world.users["cg"])
    Dispatch.objects.filter(pk=a.pk).update(accept_due=timezone.now() - timedelta(minutes=1))
    cg = client_for(world.users["cg"])

    def pks(query):
        response = cg.get("/console/", query)
        assert response.status_code == 200
        return {d.pk for d in response.context["rows"]}

    assert pks({}) == {a.pk, b.pk}
    assert pks({"state": "accepted"}) == {b.pk}
    assert pks({"overdue": "on"}) == {a.pk}
    assert pks({"number": a.case.number[:6].lower()}) == {a.pk}
    assert pks({"category": "E01"}) == {a.pk, b.pk}
    assert pks({"category": "C01"}) == set()
    assert pks({"street": "320831101"}) == {a.pk, b.pk}
    assert pks({"street": "320831102"}) == set()
    response = cg.get("/console/", {"street": "abc"})
    assert "街镇编码应为数字" in page_text(response)


# --- one dispatch --------------------------------------------------------------------------------------

def test_a_responder_never_sees_another_departments_dispatch(world):
    lead = whistled(world)[Role.LEAD]
    hw = client_for(world.users["hw"])
    response = hw.get(f"/console/dispatch/{lead.pk}/")
    assert response.status_code == 404 and lead.case.number not in page_text(response).split("不存在")[0][-40:]
    response = hw.post(f"/console/dispatch/{lead.pk}/accept/", {"expected_version": 1})
    assert response.status_code == 404
    lead.refresh_from_db()
    assert lead.state == State.WHISTLED
    assert hw.get(f"/console/dispatch/{lead.pk}/").status_code == 404


def test_the_dispatch_page_shows_the_case_map_photos_and_history(world):
    lead = whistled(world, photos=[photo()])[Role.LEAD]
    response = client_for(world.users["cg"]).get(f"/console/dispatch/{lead.pk}/")
    assert response.status_code == 200
    text = page_text(response)
    assert "北村一网格" in text and "签收报到" in text and "退回指挥中心" in text
    assert response.context["map"]["point"] == [pytest.approx(N1_POINT[0]), pytest.approx(N1_POINT[1])]
    assert '"grids": "/api/v1/grids/"' in text and "vendor/leaflet/leaflet.js" in text
    assert "unpkg" not in text and "cdn" not in text.lower()
    labels = [e.label for e in response.context["timeline"]]
    assert labels[:1] == ["案卷登记"] and "吹哨" in labels and "派遣" in labels
    report = lead.case.photos.get()
    assert f"/console/photos/{report.pk}/thumb/" in text


def test_it_serves_photos_only_to_users_who_may_see_the_case(world):
    lead = whistled(world, photos=[photo()])[Role.LEAD]
    report = lead.case.photos.get()
    response = client_for(world.users["cg"]).get(f"/console/photos/{report.pk}/thumb/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    # a responder whose department neither holds the case nor covers its grid (the case scope of
    # gridgov.cases.access lets a department see the cases in its jurisdiction)
    south = do_create_department(name="南村站所", code="south", kind=Kind.SQUAD, jurisdiction=[SOUTH])
    outsider = make_user("south1", UserRole.RESPONDER)
    do_add_responder(south, outsider)
    assert client_for(outsider).get(f"/console/photos/{report.pk}/image/").status_code == 404
    assert client_for(world.users["other_worker"]).get(f"/console/photos/{report.pk}/image/").status_code == 404
    assert client_for(world.users["cg"]).get(f"/console/photos/{report.pk}/original/").status_code == 404


def test_accepting_calls_the_action_and_a_second_accept_is_shown_as_a_conflict(world):
    lead = whistled(world)[Role.LEAD]
    first = client_for(world.users["cg"]).post(f"/console/dispatch/{lead.pk}/accept/", {"expected_version": 1})
    assert first.status_code == 302 and first.url == f"/console/dispatch/{lead.pk}/"
    lead.refresh_from_db()
    assert lead.state == State.ACCEPTED and lead.accepted_by == world.users["cg"]

    # cg2 had the page open at version 1 and taps 签收 too.
    second = client_for(world.users["cg2"]).post(f"/console/dispatch/{lead.pk}/accept/", {"expected_version": 1})
    assert second.status_code == 409
    text = page_text(second)
    assert "已被他人处理，请刷新" in text and "请刷新后再操作" in text
    assert 'data-error-code="stale_version"' in text
    # Without a version the state machine itself refuses, naming who did it.
    third = client_for(world.users["cg2"]).post(f"/console/dispatch/{lead.pk}/accept/", {})
    assert third.status_code == 409 and "城管甲" in page_text(third)
    lead.refresh_from_db()
    assert lead.version == 2


def test_feedback_with_an_after_photo_goes_through_the_action(world):
    lead = whistled(world)[Role.LEAD]
    cg = client_for(world.users["cg"])
    assert cg.post(f"/console/dispatch/{lead.pk}/accept/", {"expected_version": 1}).status_code == 302
    assert cg.post(f"/console/dispatch/{lead.pk}/start/", {"expected_version": 2}).status_code == 302

    refused = cg.post(f"/console/dispatch/{lead.pk}/feedback/", {"expected_version": 3, "text": "已清运"})
    assert refused.status_code == 400
    assert "反馈须上传至少一张处置后照片" in page_text(refused)
    assert page_text(refused).count("已清运") >= 1  # the text typed is kept
    lead.refresh_from_db()
    assert lead.state == State.IN_PROGRESS

    done = cg.post(f"/console/dispatch/{lead.pk}/feedback/",
                   {"expected_version": 3, "text": "已清运完毕", "photos": [photo()]})
    assert done.status_code == 302
    lead.refresh_from_db()
    assert lead.state == State.FED_BACK and lead.feedback_text == "已清运完毕"
    assert lead.feedback_photos.count() == 1 and lead.case.photos.filter(kind=PhotoKind.AFTER).count() == 1
    page = cg.get(done.url)
    assert "已反馈，等待网格员现场核查" in page_text(page)


def test_returning_needs_a_reason_and_puts_the_case_in_triage(world):
    lead = whistled(world)[Role.LEAD]
    cg = client_for(world.users["cg"])
    refused = cg.post(f"/console/dispatch/{lead.pk}/return/", {"expected_version": 1, "reason": " "})
    assert refused.status_code == 400 and "请填写退回理由" in page_text(refused)
    assert 'id="more-return" open' in page_text(refused)
    assert not TriageItem.objects.exists()
    done = cg.post(f"/console/dispatch/{lead.pk}/return/", {"expected_version": 1, "reason": "属于环卫部门职责"})
    assert done.status_code == 302
    lead.refresh_from_db()
    assert lead.state == State.RETURNED and lead.return_reason == "属于环卫部门职责"
    assert TriageItem.objects.get().reason == "returned"


def test_a_suspension_request_is_approved_from_the_command_centre(world):
    lead = whistled(world)[Role.LEAD]
    do_accept(lead, world.users["cg"])
    cg = client_for(world.users["cg"])
    assert cg.post(f"/console/dispatch/{lead.pk}/suspend/", {"kind": "defer", "reason": ""}).status_code == 400
    assert cg.post(f"/console/dispatch/{lead.pk}/suspend/", {"kind": "defer", "reason": "等待汛期结束"}).status_code == 302
    s = Suspension.objects.get()
    dd = client_for(world.users["dispatcher"])
    listing = dd.get("/console/command/?tab=suspensions")
    assert "等待汛期结束" in page_text(listing)
    refused = dd.post(f"/console/command/suspensions/{s.pk}/", {"decision": "reject", "note": ""})
    assert refused.status_code == 400 and "不予批准的理由" in page_text(refused)
    assert dd.post(f"/console/command/suspensions/{s.pk}/", {"decision": "approve"}).status_code == 302
    s.refresh_from_db()
    lead.refresh_from_db()
    assert s.status == SuspensionStatus.APPROVED and lead.state == State.SUSPENDED
    again = dd.post(f"/console/command/suspensions/{s.pk}/", {"decision": "approve"})
    assert again.status_code == 409 and "已被他人处理" in page_text(again)
    # the department resumes it from its page
    assert cg.post(f"/console/dispatch/{lead.pk}/resume/", {}).status_code == 302
    lead.refresh_from_db()
    assert lead.state == State.ACCEPTED


# --- the grid worker's verification -------------------------------------------------------------------

def fed_back(world):
    lead = whistled(world)[Role.LEAD]
    cg = world.users["cg"]
    do_accept(lead, cg)
    do_start(lead, cg)
    return do_feed_back(lead, cg, "已清运完毕", [photo()])


def test_the_grid_worker_verifies_and_the_command_centre_closes(world):
    lead = fed_back(world)
    wg = client_for(world.users["worker"])
    listing = wg.get("/console/verify/")
    assert [d.pk for d in listing.context["rows"]] == [lead.pk]
    assert client_for(world.users["other_worker"]).get("/console/verify/").context["rows"] == []
    assert client_for(world.users["other_worker"]).get(f"/console/verify/{lead.pk}/").status_code == 404

    page = wg.get(f"/console/verify/{lead.pk}/")
    assert page.status_code == 200 and "已清运完毕" in page_text(page)
    assert len(page.context["after_photos"]) == 1
    done = wg.post(f"/console/verify/{lead.pk}/", {"expected_version": lead.version, "result": "pass",
                                                   "note": "现场已清理干净"})
    assert done.status_code == 302 and done.url == "/console/verify/"
    lead.refresh_from_db()
    assert lead.state == State.VERIFIED and lead.verified_by == world.users["worker"]

    dd = client_for(world.users["dispatcher"])
    assert lead.case.number in page_text(dd.get("/console/command/?tab=close"))
    closed = dd.post(f"/console/command/case/{lead.case.number}/close/", {"note": "核查通过，结案"})
    assert closed.status_code == 302
    assert Case.objects.get(pk=lead.case_id).status == Status.CLOSED


def test_a_failed_verification_needs_a_note_and_sends_the_work_back(world):
    lead = fed_back(world)
    wg = client_for(world.users["worker"])
    refused = wg.post(f"/console/verify/{lead.pk}/", {"expected_version": lead.version, "result": "fail"})
    assert refused.status_code == 400 and "请填写核查意见" in page_text(refused)
    missing = wg.post(f"/console/verify/{lead.pk}/", {"expected_version": lead.version})
    assert missing.status_code == 400 and "请选择核查结果" in page_text(missing)
    done = wg.post(f"/console/verify/{lead.pk}/", {"expected_version": lead.version, "result": "fail",
                                                   "note": "仍有垃圾残留"})
    assert done.status_code == 302
    lead.refresh_from_db()
    assert lead.state == State.REWORK and lead.rework_count == 1
    page = client_for(world.users["cg"]).get(f"/console/dispatch/{lead.pk}/")
    assert "仍有垃圾残留" in page_text(page) and "开始返工" in page_text(page)


def test_a_verification_of_work_already_verified_is_a_conflict(world):
    lead = fed_back(world)
    version = lead.version
    do_verify(lead, world.users["dispatcher"], True)
    response = client_for(world.users["worker"]).post(f"/console/verify/{lead.pk}/",
                                                      {"expected_version": version, "result": "pass"})
    assert response.status_code == 409 and "已被他人处理，请刷新" in page_text(response)


# --- the command centre ----------------------------------------------------------------------------

def test_a_case_no_rule_matches_is_in_triage_and_is_rerouted_with_the_preview_shown(world):
    case = world.case(category="C0101")  # 井盖缺失: no rule in this world
    result = do_whistle(case, world.users["worker"])
    assert result.triage is not None
    dd = client_for(world.users["dispatcher"])
    home = dd.get("/console/command/")
    assert home.status_code == 200 and case.number in page_text(home) and "无匹配规则" in page_text(home)
    page = dd.get(f"/console/command/case/{case.number}/")
    assert "没有匹配的派遣规则" in page_text(page) and 'id="form-reroute"' in page_text(page)

    refused = dd.post(f"/console/command/case/{case.number}/reroute/", {"note": "无主办"})
    assert refused.status_code == 400 and "请指定主办单位" in page_text(refused)
    hw, town = world.depts["hw"], world.depts["town"]
    done = dd.post(f"/console/command/case/{case.number}/reroute/",
                   {"lead": hw.pk, "assists": [town.pk], "note": "井盖归属环卫"})
    assert done.status_code == 302
    made = {d.department.code: d.role for d in Dispatch.objects.filter(case=case)}
    assert made == {"hw": Role.LEAD, "town": Role.ASSIST}
    assert not TriageItem.objects.filter(resolved_at__isnull=True).exists()
    again = dd.post(f"/console/command/case/{case.number}/reroute/", {"lead": hw.pk})
    assert again.status_code == 409 and "已被他人处理，请刷新" in page_text(again)


def test_a_returned_case_shows_the_rule_and_counts_the_bounce(world):
    lead = whistled(world)[Role.LEAD]
    client_for(world.users["cg"]).post(f"/console/dispatch/{lead.pk}/return/", {"reason": "不属于城管"})
    dd = client_for(world.users["dispatcher"])
    home = dd.get("/console/command/?tab=triage")
    assert "退回 1 次" in page_text(home)
    page = dd.get(f"/console/command/case/{lead.case.number}/")
    text = page_text(page)
    assert "规则 #" in text and "部门cg" in text and "不属于城管" in text
    assert page.context["forms"]["reroute"].initial.get("lead") is None  # not back to the one that returned it
    done = dd.post(f"/console/command/case/{lead.case.number}/reroute/", {"lead": world.depts["hw"].pk})
    assert done.status_code == 302
    new = Dispatch.objects.get(case=lead.case, department=world.depts["hw"])
    assert new.bounce_count == 1 and new.rerouted_from_id == lead.pk


def test_escalation_goes_up_one_level_and_a_stale_page_is_a_conflict(world):
    lead = whistled(world)[Role.LEAD]
    number = lead.case.number
    dd = client_for(world.users["dispatcher"])
    assert dd.post(f"/console/command/case/{number}/escalate/", {"expected_level": "routine", "note": "多次反映"}).status_code == 302
    assert Whistle.objects.get(case=lead.case).level == WhistleLevel.KEY
    assert Dispatch.objects.filter(case=lead.case, department=world.depts["town"], role=Role.NOTIFIED).exists()
    stale = dd.post(f"/console/command/case/{number}/escalate/", {"expected_level": "routine"})
    assert stale.status_code == 409 and "已被他人处理，请刷新" in page_text(stale)
    assert Whistle.objects.get(case=lead.case).level == WhistleLevel.KEY


def test_supervision_on_an_overdue_dispatch_is_logged_and_notifies_the_department(world):
    lead = whistled(world)[Role.LEAD]
    Dispatch.objects.filter(pk=lead.pk).update(accept_due=timezone.now() - timedelta(hours=2))
    dd = client_for(world.users["dispatcher"])
    overdue = dd.get("/console/command/?tab=overdue")
    assert [d.pk for d in overdue.context["rows"]] == [lead.pk]
    assert "督办" in page_text(overdue)
    done = dd.post(f"/console/command/case/{lead.case.number}/supervise/",
                   {"dispatch": lead.pk, "note": "请今日内签收", "next": "overdue"})
    assert done.status_code == 302 and done.url == "/console/command/?tab=overdue"
    event = DispatchEvent.objects.get(action="supervision")
    assert event.dispatch_id == lead.pk and event.note == "请今日内签收" and event.data["overdue_minutes"] >= 119
    notices = Notification.objects.filter(kind="supervision")
    assert Supervision.objects.get(dispatch=lead).message == "请今日内签收"
    assert set(notices.values_list("recipient__username", flat=True)) == {"cg1", "cg2"}
    assert "已超期 2 小时" in notices.first().message
    # the department sees it in its history
    page = client_for(world.users["cg"]).get(f"/console/dispatch/{lead.pk}/")
    assert "督办" in [e.label for e in page.context["timeline"]]
    do_accept(lead, world.users["cg"])
    do_start(lead, world.users["cg"])
    do_feed_back(lead, world.users["cg"], "已处理", [photo()])
    refused = dd.post(f"/console/command/case/{lead.case.number}/supervise/", {"dispatch": lead.pk})
    assert refused.status_code == 409


def test_the_routing_preview_names_the_rule_departments_and_due_times(world):
    dd = client_for(world.users["dispatcher"])
    response = dd.get("/console/command/preview/", {"lon": N1_POINT[0], "lat": N1_POINT[1], "category": "E0101"})
    assert response.status_code == 200
    result = response.context["result"]
    assert result["located"].unit.code == "320831101001001"
    assert result["route"].lead == world.depts["cg"] and result["accept_due"] is not None
    text = page_text(response)
    assert "部门cg" in text and "部门gaj" in text and "部门scjg" in text and "1 工作时" in text
    nothing = dd.get("/console/command/preview/", {"lon": N1_POINT[0], "lat": N1_POINT[1], "category": "C0101"})
    assert "待分拨队列" in page_text(nothing)
    outside = dd.get("/console/command/preview/", {"lon": 119.5, "lat": 33.5, "category": "E0101"})
    assert outside.status_code == 400 and "不在任何网格内" in page_text(outside)
    unpicked = dd.get("/console/command/preview/", {"category": "E0101", "lon": "", "lat": ""})
    assert unpicked.status_code == 400 and "请在地图上点选位置" in page_text(unpicked)


def test_the_command_centre_takes_in_a_hotline_case_and_files_it(world):
    dd = client_for(world.users["dispatcher"])
    form = dd.get("/console/command/file/")
    client_uuid = form.context["client_uuid"]
    data = {"client_uuid": client_uuid, "lon": N1_POINT[0], "lat": N1_POINT[1], "category": "E0101",
            "description": "12345 来电：路口垃圾堆积", "channel": "hotline_12345", "contact_name": "王女士",
            "contact_phone": "13800001111", "level": "key", "urgency": ""}
    response = dd.post("/console/command/file/", data)
    assert response.status_code == 302
    case = Case.objects.get(client_uuid=client_uuid)
    assert response.url == f"/console/command/case/{case.number}/"
    assert case.status == Status.WHISTLED and case.channel == "hotline_12345"
    assert Whistle.objects.get(case=case).source == "command" and Whistle.objects.get(case=case).level == "key"
    assert Dispatch.objects.filter(case=case, role=Role.LEAD, department=world.depts["cg"]).exists()
    # A double submit (same client_uuid) makes no second case.
    assert dd.post("/console/command/file/", data).status_code == 302
    assert Case.objects.filter(client_uuid=client_uuid).count() == 1
    refused = dd.post("/console/command/file/", {**data, "client_uuid": "", "category": ""})
    assert refused.status_code == 400 and "分类" in page_text(refused)


def test_a_reported_case_is_filed_from_its_page(world):
    case = world.case()
    dd = client_for(world.users["dispatcher"])
    assert case.number in page_text(dd.get("/console/command/?tab=unfiled"))
    assert dd.post(f"/console/command/case/{case.number}/file/", {"level": "routine"}).status_code == 302
    assert Dispatch.objects.filter(case=case).count() == 3


def test_pages_are_in_english_when_chosen(world):
    whistled(world)
    response = client_for(world.users["cg"]).get("/console/?lang=en")
    text = page_text(response)
    assert "My department's cases" in text and "Waiting to be accepted" in text
    conflict_lead = Dispatch.objects.get(role=Role.LEAD)
    do_accept(conflict_lead, world.users["cg"])
    response = client_for(world.users["cg2"]).post(f"/console/dispatch/{conflict_lead.pk}/accept/?lang=en",
                                                   {"expected_version": 1})
    assert "Someone else has already acted on this; please reload" in page_text(response)
    assert "reload and try again" in page_text(response)  # the action's English message


# --- notices and rankings (pages over gridgov.notifications / gridgov.evaluation) ---------------------

def test_the_notices_page_links_each_notice_to_where_it_is_handled(world):
    pytest.importorskip("gridgov.notifications.selectors")
    lead = whistled(world)[Role.LEAD]
    cg = client_for(world.users["cg"])
    queue = cg.get("/console/")
    assert queue.context["notifications"]["unread"] == 1 and 'data-unread>1</b>' in page_text(queue)
    response = cg.get("/console/notifications/")
    assert response.status_code == 200
    [notice] = response.context["rows"]
    assert notice.link == f"/console/dispatch/{lead.pk}/" and lead.case.number in page_text(response)
    assert cg.post("/console/notifications/").status_code == 302
    assert cg.get("/console/notifications/").context["unread"] == 0
    dd = client_for(world.users["dispatcher"])
    client_for(world.users["cg"]).post(f"/console/dispatch/{lead.pk}/return/", {"reason": "不属于城管"})
    returned = [n for n in dd.get("/console/notifications/").context["rows"] if n.kind == "returned"]
    assert returned[0].link == f"/console/command/case/{lead.case.number}/"


def test_the_rankings_page_shows_the_evaluation_for_a_period(world):
    pytest.importorskip("gridgov.evaluation.ranking")
    whistled(world)
    dd = client_for(world.users["dispatcher"])
    today = timezone.localdate().isoformat()
    response = dd.get("/console/rankings/", {"period_start": today, "period_end": today, "by": "department"})
    assert response.status_code == 200
    names = [u.name for u in response.context["rows"]]
    assert "部门cg" in names
    assert "format=csv" in page_text(response) and "format=xlsx" in page_text(response)
    bad = dd.get("/console/rankings/", {"period_start": "2026-13-01", "period_end": today})
    assert bad.status_code == 400 and "period_start" in page_text(bad)
    assert client_for(world.users["cg"]).get("/console/rankings/").status_code == 403
