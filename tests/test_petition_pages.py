"""The petition desk pages (issue 12): the walk-in registration form with its field errors, the person's
file, the petition panel on the command centre's case page, and the form in real headless Chromium."""
import os
from urllib.parse import urlsplit

import pytest

from gridgov.accounts.models import Role
from gridgov.cases.models import Case
from gridgov.petitions.models import PetitionMatter, Petitioner
from tests.browser import ARTIFACTS, LOCAL_HOSTS
from tests.factories import make_user, page_client

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
ID_A = "11010519491231002X"
FORM = {"name": "王大力", "id_number": ID_A, "phone": "13912345678", "channel": "visit", "nature": "complain",
        "category": "S0103", "description": "某建筑公司拖欠农民工工资三个月未发放", "lon": "119.005", "lat": "33.015",
        "level_reached": "2", "head_count": "1"}


@pytest.fixture
def desk(county, categories):
    return make_user("desk", Role.DISPATCHER, display_name="接待员")


@pytest.mark.django_db
def test_it_registers_a_walk_in_and_shows_the_petition_on_the_case_page(desk):
    c = page_client(desk)
    assert "信访登记" in c.get("/console/petitions/new/").content.decode()
    resp = c.post("/console/petitions/new/", FORM)
    case = Case.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/console/command/case/{case.number}/"
    page = c.get(resp["Location"]).content.decode()
    assert 'id="petition-panel"' in page and "110105********002X" in page and ID_A not in page
    person = Petitioner.objects.get()
    file_page = c.get(f"/console/petitions/person/{person.pk}/").content.decode()
    assert case.number in file_page and "13912345678" not in file_page


@pytest.mark.django_db
def test_a_bad_id_number_comes_back_on_the_form_naming_the_field_and_nothing_is_written(desk):
    resp = page_client(desk).post("/console/petitions/new/", {**FORM, "id_number": ID_A[:-1] + "1"})
    body = resp.content.decode()
    assert resp.status_code == 400 and 'data-error-field="people[0].id_number"' in body and "校验码" in body
    assert 'value="王大力"' in body  # what was typed is kept
    assert not Case.objects.exists() and not PetitionMatter.objects.exists()


@pytest.mark.django_db
def test_a_group_visit_registers_its_representatives(desk):
    resp = page_client(desk).post("/console/petitions/new/", {**FORM, "head_count": "25", "rep1_name": "张一",
                                                              "rep1_id_number": "13700000001"})
    assert resp.status_code == 302
    matter = PetitionMatter.objects.get()
    assert matter.is_group and sorted(matter.parties.values_list("role", flat=True)) == ["main", "representative"]


@pytest.mark.django_db
def test_a_grid_worker_gets_no_petition_desk(county):
    assert page_client(make_user("gw")).get("/console/petitions/new/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_desk_registers_a_walk_in_petition_in_chromium(browser, live_server, settings, tmp_path):
    from tests.factories import build_small_county, seed_test_categories

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    build_small_county()
    seed_test_categories()
    make_user("desk2", Role.DISPATCHER, display_name="接待员")
    base = live_server.url
    ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900})
    ctx.set_default_timeout(10_000)
    hosts = []
    ctx.on("request", lambda r: hosts.append(urlsplit(r.url).hostname))
    page = ctx.new_page()
    page.goto(f"{base}/accounts/login/?next=/console/petitions/new/")
    page.fill("#id_username", "desk2")
    page.fill("#id_password", "pw-desk2")
    page.click(".login-card button[type=submit]")
    page.wait_for_url(f"{base}/console/petitions/new/")
    page.fill("#id_name", "王大力")
    page.fill("#id_id_number", ID_A[:-1] + "1")  # a typo in the check digit first
    page.fill("#id_phone", "13912345678")
    page.select_option("#id_nature", "complain")
    page.select_option("#id_category", "S0103")
    page.fill("#id_description", "某建筑公司拖欠农民工工资三个月未发放")
    page.wait_for_selector("#map[data-ready='1']")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # pick the place on the map
    assert page.input_value("#id_lon") != ""
    page.click("#form-petition button[type=submit]")
    page.wait_for_selector("[data-error-field='people[0].id_number']")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "petition-register-error.png"), full_page=True)
    page.fill("#id_id_number", ID_A)
    page.click("#form-petition button[type=submit]")
    page.wait_for_selector("#petition-panel")
    assert "110105********002X" in page.inner_text("#petition-panel")
    page.screenshot(path=str(ARTIFACTS / "petition-case.png"), full_page=True)
    ctx.close()
    assert PetitionMatter.objects.count() == 1
    assert sorted({h for h in hosts if h not in LOCAL_HOSTS}) == []


@pytest.mark.django_db
def test_the_desk_decides_confirms_a_repeat_extends_and_prints(desk):
    c = page_client(desk)
    c.post("/console/petitions/new/", FORM)
    c.post("/console/petitions/new/", {**FORM, "description": "建筑公司拖欠工资仍未发放，再次上访"})
    first, again = PetitionMatter.objects.order_by("case__received_at", "case_id").select_related("case")
    page = c.get(f"/console/command/case/{again.case.number}/").content.decode()
    assert 'id="repeat-candidates"' in page and first.case.number in page
    resp = c.post(f"/console/petitions/{again.case.number}/repeat/", {"earlier": first.case.number})
    assert resp.status_code == 302
    again.refresh_from_db()
    assert again.repeat_of_id == first.pk
    # a refusal without its legal basis comes back naming the field, nothing decided
    resp = c.post(f"/console/petitions/{first.case.number}/decide/", {"decision": "rejected", "reason": "已终结"})
    assert resp.status_code == 400 and 'data-error-field="legal_basis"' in resp.content.decode()
    first.refresh_from_db()
    assert first.decision == "pending"
    assert c.get(f"/console/petitions/{first.case.number}/print/notice/").status_code == 404  # no decision yet
    slip = c.get(f"/console/petitions/{first.case.number}/print/slip/").content.decode()
    assert "登记回执" in slip and first.case.number in slip and "110105********002X" in slip and ID_A not in slip
    assert c.post(f"/console/petitions/{first.case.number}/decide/", {"decision": "accepted"}).status_code == 302
    first.refresh_from_db()
    due = first.handling_due
    notice = c.get(f"/console/petitions/{first.case.number}/print/notice/").content.decode()
    assert "受理告知书" in notice and "予以受理" in notice
    resp = c.post(f"/console/petitions/{first.case.number}/extend/", {"days": "40", "approved_by": "局长"})
    assert resp.status_code == 400 and 'data-error-field="days"' in resp.content.decode()
    assert c.post(f"/console/petitions/{first.case.number}/extend/", {"days": "30", "approved_by": "局长"}).status_code == 302
    first.refresh_from_db()
    assert first.handling_due > due and first.extended_days == 30
    assert c.get("/console/petitions/ZZZZZZZZZZZZZ/print/slip/").status_code == 404
    assert c.get(f"/console/petitions/{first.case.number}/print/other/").status_code == 404


@pytest.mark.django_db
def test_the_desk_queue_puts_overdue_clocks_first_and_filters(desk):
    import time_machine
    from datetime import datetime
    from zoneinfo import ZoneInfo

    c = page_client(desk)
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        c.post("/console/petitions/new/", FORM)  # notice due 17 March
    c.post("/console/petitions/new/", {**FORM, "name": "李四", "id_number": "", "phone": "13700000002"})
    old, new = PetitionMatter.objects.order_by("notice_due").select_related("case")
    body = c.get("/console/petitions/").content.decode()
    assert body.index(old.case.number) < body.index(new.case.number)
    assert 'data-clock="overdue"' in body and "2026-03-17 24:00" in body
    overdue = c.get("/console/petitions/?clock=overdue").content.decode()
    assert old.case.number in overdue and new.case.number not in overdue
    assert new.case.number in c.get("/console/petitions/?q=李四").content.decode()
    assert old.case.number not in c.get("/console/petitions/?q=李四").content.decode()
    c.post(f"/console/petitions/{old.case.number}/decide/", {"decision": "rejected", "reason": "已终结",
                                                             "legal_basis": "《信访工作条例》"})
    assert old.case.number not in c.get("/console/petitions/").content.decode()  # decided and not accepted


@pytest.mark.django_db
def test_the_desk_records_the_reply_and_a_review_from_the_panel(desk):
    c = page_client(desk)
    c.post("/console/petitions/new/", FORM)
    matter = PetitionMatter.objects.select_related("case").get()
    n = matter.case.number
    c.post(f"/console/petitions/{n}/decide/", {"decision": "accepted"})
    assert 'id="form-petition-reply"' in c.get(f"/console/command/case/{n}/").content.decode()
    resp = c.post(f"/console/petitions/{n}/reply/", {"reply_text": ""})
    assert resp.status_code == 400 and 'data-error-field="reply_text"' in resp.content.decode()
    assert c.post(f"/console/petitions/{n}/reply/", {"reply_text": "已督促公司结清工资"}).status_code == 302
    page = c.get(f"/console/command/case/{n}/").content.decode()
    assert "已督促公司结清工资" in page and 'id="form-petition-review"' in page
    assert c.post(f"/console/petitions/{n}/review/", {"kind": "review", "request_text": "未落实"}).status_code == 302
    review = matter.reviews.get()
    assert c.post(f"/console/petitions/{n}/review-decide/", {"review": review.pk, "outcome": "changed",
                                                             "opinion": "责成重新办理"}).status_code == 302
    review.refresh_from_db()
    assert review.outcome == "changed" and "登记复核申请" in c.get(f"/console/command/case/{n}/").content.decode()


@pytest.mark.django_db
def test_the_measures_page_shows_counts_beside_rates_and_refuses_a_bad_date(desk):
    c = page_client(desk)
    c.post("/console/petitions/new/", FORM)
    body = c.get("/console/petitions/measures/").content.decode()
    assert "测试镇" in body and "0%（0/1）" in body and "暂无数据" in body  # repeat rate 0/1; nothing accepted yet
    resp = c.get("/console/petitions/measures/?start=2026-13-01")
    assert resp.status_code == 400 and 'data-error-field="period_start"' in resp.content.decode()
    assert page_client(make_user("wall", Role.MONITOR)).get("/console/petitions/measures/").status_code == 200
