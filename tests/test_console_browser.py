"""The console in real headless Chromium (Debian's /usr/bin/chromium) against a live server: a responder
on a phone accepts a whistled case and feeds back with a photo, the grid worker verifies it on a phone,
the command centre closes it on a desk. Fails if any page asks anything of a host other than the live
server. Screenshots go to tests/artifacts/console-*.png."""
import io
import os
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

playwright_sync = pytest.importorskip("playwright.sync_api")

from gridgov.cases.models import Case, Status
from gridgov.dispatch.actions import do_accept, do_request_suspension, do_whistle
from gridgov.dispatch.models import Dispatch, Role, State
from tests.dispatch_helpers import build_world
from tests.dispatch_helpers import photo as exif_photo
from tests.factories import build_small_county, seed_test_categories
from tests.browser import ARTIFACTS, LOCAL_HOSTS  # noqa: E402

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

TIMEOUT_MS = 10_000
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1366, "height": 860}}

pytestmark = [
    pytest.mark.django_db(transaction=True),
]


def jpeg_bytes(size=(800, 600)):
    """An after-photo: a swept road (grey), kerb and a clean verge."""
    from PIL import Image, ImageDraw

    w, h = size
    img = Image.new("RGB", size, (160, 200, 230))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, h * 0.5, w, h], fill=(120, 120, 118))
    draw.rectangle([0, h * 0.45, w, h * 0.5], fill=(200, 200, 195))
    draw.rectangle([w * 0.6, h * 0.2, w * 0.9, h * 0.45], fill=(70, 140, 70))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.GRIDGOV_PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins
    build_small_county()
    seed_test_categories()
    w = build_world()
    for key in ("cg", "worker", "dispatcher"):
        user = w.users[key]
        user.set_password("pw-" + user.username)
        user.save()
    return w


@pytest.fixture
def contexts(browser, live_server):
    """New browser contexts in Chinese (Asia/Shanghai); every host any of them talks to is recorded."""
    made, hosts, errors = [], [], []

    def new(**kw):
        ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **kw)
        ctx.set_default_timeout(TIMEOUT_MS)
        ctx.on("request", lambda request: hosts.append(urlsplit(request.url).hostname or request.url))
        made.append(ctx)
        page = ctx.new_page()
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    # A refused form comes back with HTTP 400/409 on purpose; Chromium logs that as a console error.
    new.errors = lambda: [e for e in errors if "responded with a status of 40" not in e]
    yield new
    for ctx in made:
        ctx.close()
    foreign = sorted({h for h in hosts if h not in LOCAL_HOSTS and not h.startswith(("data:", "blob:"))})
    assert foreign == [], f"the pages made requests to other hosts: {foreign}"


def shot(page, name, full=False):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=full)


def log_in(page, base, username, next_url):
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-" + username)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(base + next_url)


def wait_for_map(page):
    page.wait_for_selector("#map[data-ready='1']")
    page.wait_for_function("() => Number(document.getElementById('map').dataset.grids || 0) >= 1")


def test_a_whistled_case_is_accepted_fed_back_verified_and_closed(contexts, live_server, world):
    base = live_server.url
    case = world.case(photos=[exif_photo()], description="北村路口垃圾堆积，约两立方米", address="北村一组路口")
    do_whistle(case, world.users["worker"])
    lead = Dispatch.objects.get(case=case, role=Role.LEAD)

    # --- the responder, on a phone ---
    page = contexts(**PHONE)
    log_in(page, base, "cg1", "/console/")
    row = page.wait_for_selector(f"#queue li[data-number='{case.number}']")
    assert "暴露垃圾" in row.text_content() and "待签收" in row.text_content()
    shot(page, "01-responder-queue-phone")

    row.click()
    page.wait_for_url(f"{base}/console/dispatch/{lead.pk}/")
    wait_for_map(page)
    assert page.text_content("#dispatch-state") == "待签收"
    assert page.locator(".gallery img").first.evaluate("(img) => img.complete && img.naturalWidth > 0")
    shot(page, "02-responder-dispatch-phone")

    page.click("#form-accept button[type=submit]")
    page.wait_for_selector(".msg >> text=已签收报到")
    assert page.text_content("#dispatch-state") == "已签收"
    page.click("#form-start button[type=submit]")
    page.wait_for_selector(".msg >> text=已开始处置")

    page.click("#form-feedback button[type=submit]")  # nothing written, the action says what is missing
    page.wait_for_selector(".alert")
    assert "请填写处置反馈" in page.text_content(".alert")
    page.fill("#id_feedback_text", "已清运垃圾约两立方米，路面冲洗干净")
    page.set_input_files("#id_feedback_photos", files=[{"name": "处置后.jpg", "mimeType": "image/jpeg",
                                                         "buffer": jpeg_bytes()}])
    page.wait_for_selector("#feedback-previews img")
    page.locator("#form-feedback").scroll_into_view_if_needed()
    shot(page, "03-responder-feedback-phone")
    page.click("#form-feedback button[type=submit]")
    page.wait_for_selector(".msg >> text=已反馈，等待网格员现场核查")
    lead.refresh_from_db()
    assert lead.state == State.FED_BACK and lead.feedback_photos.count() == 1
    shot(page, "04-responder-fed-back-phone", full=True)

    # --- the grid worker verifies on site, on a phone ---
    page = contexts(**PHONE)
    log_in(page, base, "wg", "/console/verify/")
    page.click(f"#verify-list li[data-number='{case.number}'] a")
    page.wait_for_url(f"{base}/console/verify/{lead.pk}/")
    assert "已清运垃圾约两立方米" in page.text_content(".feedback-text")
    page.wait_for_function("() => [...document.querySelectorAll('.gallery img')].every((i) => i.complete && i.naturalWidth > 0)")
    page.click("label.seg-ok")
    page.fill("#id_verify_note", "现场已清理干净")
    shot(page, "05-verify-phone")
    page.click("#form-verify button[type=submit]")
    page.wait_for_url(f"{base}/console/verify/")
    page.wait_for_selector(".msg >> text=核查通过，等待指挥中心结案")
    shot(page, "06-verify-done-phone")
    lead.refresh_from_db()
    assert lead.state == State.VERIFIED

    # --- the command centre closes it, on a desk ---
    page = contexts(**DESK)
    log_in(page, base, "dd", "/console/command/")
    page.click("a[href='?tab=close']")
    page.click(f"#to-close li[data-number='{case.number}'] a")
    page.wait_for_url(f"{base}/console/command/case/{case.number}/")
    wait_for_map(page)
    shot(page, "07-command-case-desk")
    page.fill("#id_close_note", "核查通过，结案")
    page.click("#form-close button[type=submit]")
    page.wait_for_selector(".msg >> text=已结案")
    assert page.text_content("#case-status") == "已结案"
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED
    shot(page, "08-command-closed-desk", full=True)
    assert contexts.errors() == []


def test_the_command_centre_reroutes_a_returned_case_and_previews_routing(contexts, live_server, world):
    base = live_server.url
    case = world.case(description="小区门口垃圾桶满溢")
    do_whistle(case, world.users["worker"])
    lead = Dispatch.objects.get(case=case, role=Role.LEAD)

    page = contexts(**DESK)
    log_in(page, base, "cg1", "/console/")
    shot(page, "09-responder-queue-desk")
    page.click(f"#queue li[data-number='{case.number}'] a")
    page.click("#more-return summary")
    page.fill("#id_return_reason", "垃圾桶清运属于环卫所职责")
    page.click("#form-return button[type=submit]")
    page.wait_for_selector(".msg >> text=已退回指挥中心")
    shot(page, "10-responder-dispatch-desk", full=True)

    page = contexts(**DESK)
    log_in(page, base, "dd", "/console/command/")
    row = page.wait_for_selector(f"#triage li[data-number='{case.number}']")
    assert "部门退回" in row.text_content() and "退回 1 次" in row.text_content()
    shot(page, "11-command-triage-desk")
    row.click()
    page.wait_for_selector("#route-preview")
    page.select_option("#id_lead", str(world.depts["hw"].pk))
    page.fill("#id_note", "改由环卫所主办")
    shot(page, "12-command-reroute-desk")
    page.click("#form-reroute button[type=submit]")
    page.wait_for_selector(".msg >> text=已改派")
    assert Dispatch.objects.get(case=case, department=world.depts["hw"]).bounce_count == 1

    page.goto(base + "/console/command/preview/")
    wait_for_map(page)
    box = page.locator("#map").bounding_box()
    page.click("#map", position={"x": box["width"] * 0.4, "y": box["height"] * 0.35})  # in 北村一网格
    page.wait_for_selector("#map[data-picked='1']")
    lon, lat = float(page.input_value("#id_lon")), float(page.input_value("#id_lat"))
    assert 119.0 < lon < 119.01 and 33.01 < lat < 33.02
    page.select_option("#id_category", "E0101")
    page.click("#form-preview button[type=submit]")
    page.wait_for_selector("#preview-result")
    result = page.text_content("#preview-result")
    assert "北村一网格" in result and "部门cg" in result and "工作时" in result
    shot(page, "13-command-preview-desk")

    page.goto(base + "/console/command/file/")  # take in a hotline call
    wait_for_map(page)
    box = page.locator("#map").bounding_box()
    page.click("#map", position={"x": box["width"] * 0.6, "y": box["height"] * 0.65})  # 南村二网格
    page.select_option("#id_category", "E0101")
    page.fill("#id_description", "12345 来电：南村路边垃圾无人清运")
    page.select_option("#id_channel", "hotline_12345")
    page.fill("[name=contact_name]", "王女士")
    page.fill("[name=contact_phone]", "13800001111")
    shot(page, "14-command-file-desk")
    page.click("#form-new-case button[type=submit]")
    page.wait_for_selector(".msg >> text=已登记并立案派遣")
    filed = Case.objects.get(description="12345 来电：南村路边垃圾无人清运")
    assert filed.grid_code == "320831101002002" and filed.status == Status.WHISTLED

    # an overdue dispatch (督办) and a suspension request on the desk
    Dispatch.objects.filter(case=case, department=world.depts["hw"]).update(
        accept_due=timezone.now() - timedelta(hours=3))
    assist = Dispatch.objects.get(case=case, role=Role.ASSIST)
    do_accept(assist, world.users["gaj"])
    do_request_suspension(assist, world.users["gaj"], "defer", "需等待管线单位配合，预计下周施工")
    page.goto(base + "/console/command/?tab=overdue")
    page.fill(f"#overdue li[data-number='{case.number}'] input[name=note]", "请今日内签收")
    shot(page, "14a-command-overdue-desk")
    page.click(f"#overdue li[data-number='{case.number}'] button")
    page.wait_for_selector(".msg >> text=督办通知已发送")
    page.goto(base + "/console/command/?tab=suspensions")
    page.wait_for_selector("#suspensions li[data-suspension]")
    shot(page, "14b-command-suspensions-desk")
    page.click("#suspensions button[value=approve]")
    page.wait_for_selector(".msg >> text=已批准缓办/挂账")
    assist.refresh_from_db()
    assert assist.state == State.SUSPENDED

    page.goto(base + "/console/rankings/")
    page.wait_for_selector("#rankings")
    shot(page, "15-rankings-desk")

    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(base + "/console/command/")
    shot(page, "16-command-home-phone")

    page = contexts(**PHONE)  # the responder switches to English
    log_in(page, base, "cg1", "/console/")
    page.click(".lang button[value=en]")
    page.wait_for_selector("h1 >> text=My department's cases")
    assert page.get_attribute("html", "lang") == "en"
    page.goto(f"{base}/console/dispatch/{lead.pk}/")  # re-routed: no longer in the open queue
    page.wait_for_selector("#dispatch-state >> text=Re-routed")
    shot(page, "17-responder-english-phone")
    assert contexts.errors() == []
    lead.refresh_from_db()
    assert lead.state == State.REROUTED
