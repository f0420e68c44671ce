"""The worker's mobile page in real headless Chromium (Debian's /usr/bin/chromium) against a live server.

Fake geolocation, log in, pick a category, attach a generated JPEG, send, see it in my list; go
offline, report, see it waiting, come back online → exactly one case for that client UUID. Every
test fails if the page asks anything of a host other than the live server. Screenshots (360×740)
are written to tests/artifacts/.
"""
import io
import os
import uuid

import pytest

playwright_sync = pytest.importorskip("playwright.sync_api")

from gridgov.accounts.models import Role  # noqa: E402
from gridgov.cases.models import Case, Status  # noqa: E402
from tests.factories import build_small_county, make_case, make_user, seed_test_categories  # noqa: E402
from tests.browser import ARTIFACTS, record_hosts  # noqa: E402

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test are still
# plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Inside 北村一网格 (320831101001001) of build_small_county, ~150 m from the corner of four grids.
HERE = {"latitude": 33.0112, "longitude": 119.0088, "accuracy": 12}
TIMEOUT_MS = 10_000

pytestmark = [
    pytest.mark.django_db(transaction=True),
]


def jpeg_bytes(seed=0, size=(640, 480)):
    """A small photo-like JPEG (sky, road, a dark rectangle) made in memory."""
    from PIL import Image, ImageDraw

    w, h = size
    img = Image.new("RGB", size, (150, 190, 225))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, h * 0.55, w, h], fill=(110, 110, 105))
    draw.rectangle([w * 0.1, h * 0.3, w * 0.45, h * 0.55], fill=(200, 185, 160))
    draw.ellipse([w * (0.5 + 0.05 * seed), h * 0.65, w * (0.75 + 0.05 * seed), h * 0.85], fill=(30, 30, 30))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def photo(name="现场.jpg", seed=0):
    return {"name": name, "mimeType": "image/jpeg", "buffer": jpeg_bytes(seed)}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.GRIDGOV_PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return tmp_path


@pytest.fixture
def field_data(media, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins
    build_small_county()
    seed_test_categories()
    return make_user("worker1", Role.GRID_WORKER, display_name="张网格")


@pytest.fixture
def context(browser, live_server):
    """A 360×740 phone with a GPS fix, in Chinese; records every host it talks to."""
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai",
                              geolocation=HERE, permissions=["geolocation"])
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.foreign_hosts = record_hosts(ctx)
    ctx.console_errors = []
    yield ctx
    ctx.close()
    assert ctx.foreign_hosts() == [], "the page made requests to other hosts"


def open_page(ctx):
    page = ctx.new_page()
    page.on("console", lambda msg: ctx.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: ctx.console_errors.append(str(exc)))
    return page


SCROLL_SETTLED = """() => new Promise((done) => {
    let y = -1;
    const tick = () => { if (window.scrollY === y) done(); else { y = window.scrollY; setTimeout(tick, 60); } };
    tick();
})"""


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate(SCROLL_SETTLED)  # not in the middle of a smooth scroll
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def log_in(page, base_url, username="worker1"):
    page.goto(base_url + "/field/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-" + username)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(base_url + "/field/")
    page.wait_for_selector("body[data-ready='1']")


def wait_for_grid(page, name="北村一网格"):
    page.wait_for_function("(name) => document.getElementById('grid-name').textContent === name", arg=name)


def choose_category(page, search, code, screenshot=None):
    page.click("#category-button")
    page.fill("#category-search", search)
    if screenshot:
        shot(page, screenshot)
    page.click(f".cat-item[data-code='{code}']")
    page.wait_for_selector("#category-sheet", state="hidden")


def test_it_reports_a_case_with_a_photo_and_shows_it_in_my_list(context, live_server, field_data):
    page = open_page(context)
    page.goto(live_server.url + "/accounts/login/?next=/field/")
    shot(page, "01-login")
    log_in(page, live_server.url)
    wait_for_grid(page)
    assert page.text_content("#grid-sub") == "北村 · 测试镇"
    assert page.text_content("#accuracy") == "GPS 精度 ±12 米"
    # The grid outlines are the map's background (no base map): the four grids around the point.
    page.wait_for_function("() => document.querySelectorAll('.grid-outline').length >= 4")
    labels = page.eval_on_selector_all(".grid-label", "(els) => els.filter((e) => e.style.opacity !== '0').map((e) => e.textContent)")
    assert sorted(labels) == ["北村二网格", "南村一网格", "南村二网格"]  # its own name is in the panel

    choose_category(page, "垃圾", "E0101", screenshot="02-category-search")
    assert page.text_content("#category-label") == "市容环境 › 暴露垃圾"
    page.set_input_files("#photo-input", files=[photo()])
    page.wait_for_selector("#photos .thumb img")
    assert page.text_content("#photo-count") == "1/6"
    page.fill("#description", "路边垃圾堆积，约两立方米")
    shot(page, "03-report-filled")

    page.click("#submit")
    page.wait_for_selector("#done:not([hidden])")
    number = page.text_content("#done-number").replace("案卷编号", "").strip()
    shot(page, "04-report-sent")

    case = Case.objects.get(number=number)
    assert case.reporter.username == "worker1" and case.channel == "grid_patrol"
    assert case.grid_code == "320831101001001" and case.category.code == "E0101"
    assert case.description == "路边垃圾堆积，约两立方米" and case.gps_accuracy_m == 12
    assert (round(case.point.x, 4), round(case.point.y, 4)) == (119.0088, 33.0112)
    assert case.photos.count() == 1

    page.click("#done-mine")
    page.wait_for_selector(f"#case-list li[data-number='{number}']")
    item = page.text_content(f"#case-list li[data-number='{number}']")
    assert "暴露垃圾" in item and "已上报" in item and "北村一网格" in item
    assert page.is_hidden("#outbox")
    shot(page, "04-mine-list")
    assert context.console_errors == []


def test_it_keeps_an_offline_report_and_sends_it_once_when_back_online(context, live_server, field_data):
    page = open_page(context)
    log_in(page, live_server.url)
    # The service worker has cached the app shell (pages, JS, CSS, Leaflet, categories) and controls the page.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.reload()  # a later visit: the page's own requests (grid outlines) go through the worker now
    wait_for_grid(page)
    page.wait_for_selector(".grid-outline")

    context.set_offline(True)
    response = page.reload()  # the page opens without a connection
    assert response.from_service_worker
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("[data-online].off")
    page.wait_for_selector("#grid-info[data-state=offline]")  # the server finds the grid when it is sent
    page.wait_for_selector(".grid-outline")  # the last grid outlines, from the cache
    choose_category(page, "井盖", "C0101")  # the category list comes from the cache
    page.set_input_files("#photo-input", files=[photo("离线.jpg", seed=1)])
    page.fill("#description", "离线上报：井盖缺失")
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, "05-offline-form")
    page.click("#submit")
    page.wait_for_selector("#done:not([hidden])")
    assert page.text_content("#done-title") == "已保存，等待发送"
    shot(page, "05-offline-queued")
    waiting = page.evaluate("() => GridOutbox.all().then((a) => a.map((r) => r.client_uuid))")
    assert len(waiting) == 1
    client_uuid = uuid.UUID(waiting[0])
    assert page.text_content(".tab [data-outbox-count]") == "1"

    # The list page opens offline (from the service worker's cache) and shows what is waiting.
    response = page.goto(live_server.url + "/field/mine/")
    assert response.from_service_worker
    page.wait_for_selector(f"#outbox-list li[data-uuid='{client_uuid}']")
    assert "离线上报：井盖缺失" in page.text_content("#outbox-list")
    assert Case.objects.filter(client_uuid=client_uuid).count() == 0
    page.evaluate("(u) => GridOutbox.get(u).then((r) => { window.keptCopy = r; })", str(client_uuid))
    shot(page, "06-offline-outbox")

    context.set_offline(False)  # 'online' → the outbox is sent (and Background Sync may send it too)
    page.wait_for_selector("#outbox", state="hidden")
    page.wait_for_selector("#case-list li.case-item")
    assert Case.objects.filter(client_uuid=client_uuid).count() == 1
    shot(page, "07-back-online")

    # A retry whose answer was lost (same UUID sent again) gets the same case back, not a new one.
    results = page.evaluate("() => GridOutbox.put(window.keptCopy).then(() => GG.flush())"
                            ".then((rs) => rs.map((r) => [r.outcome, r.created]))")
    assert results == [["sent", False]]
    assert Case.objects.filter(client_uuid=client_uuid).count() == 1
    assert Case.objects.count() == 1
    assert page.evaluate("() => GridOutbox.all().then((a) => a.length)") == 0


def test_it_offers_open_cases_nearby_and_sends_a_follow_up(context, live_server, field_data):
    other = make_user("worker2", Role.GRID_WORKER)
    root = make_case(other, lon=119.0089, lat=33.0114, category="E0101", description="垃圾桶旁垃圾堆积")
    # the case is in this worker's grid: its text is shown (another grid's would come without text/photo)
    from gridgov.grids.models import GridUnit

    GridUnit.objects.get(code="320831101001001").workers.add(field_data)
    page = open_page(context)
    log_in(page, live_server.url)
    wait_for_grid(page)
    choose_category(page, "暴露", "E0101")
    page.wait_for_selector(f"#duplicates .dup[data-number='{root.number}']")
    assert "垃圾桶旁垃圾堆积" in page.text_content("#duplicates")
    page.set_input_files("#photo-input", files=[photo()])

    page.click("#submit")  # not decided yet: asked first, nothing sent
    page.wait_for_selector("[data-error-for=duplicates]:not([hidden])")
    assert Case.objects.count() == 1
    page.click(f"#duplicates .dup[data-number='{root.number}'] button")
    assert root.number in page.text_content("#dup-note")
    shot(page, "08-duplicates")

    page.click("#submit")
    page.wait_for_selector("#done:not([hidden])")
    assert page.text_content("#done-title") == "已作为补充上报提交"
    follow_up = Case.objects.exclude(pk=root.pk).get()
    assert follow_up.follow_up_of_id == root.pk and follow_up.status == Status.MERGED
    root.refresh_from_db()
    assert root.repeat_count == 1


def test_it_closes_a_case_handled_on_the_spot_with_a_note_and_an_after_photo(context, live_server, field_data):
    page = open_page(context)
    log_in(page, live_server.url)
    wait_for_grid(page)
    choose_category(page, "小广告", "E0201")
    page.set_input_files("#photo-input", files=[photo()])
    page.click("label[for=on-spot]")
    page.wait_for_selector("#on-spot-fields:not([hidden])")
    page.click("#submit")  # the note and the after-photo are asked for next to their fields
    assert page.text_content("[data-error-for=resolution_note]").strip("⚠ ") == "就地解决须填写处置说明"
    assert "处置后照片" in page.text_content("[data-error-for=after_photos]")
    page.fill("#resolution-note", "已铲除电线杆上的小广告")
    page.set_input_files("#after-input", files=[photo("处置后.jpg", seed=2)])
    page.wait_for_selector("#after-photos .thumb img")
    page.evaluate("() => document.getElementById('on-spot').scrollIntoView()")
    shot(page, "09-on-the-spot")
    page.click("#submit")
    page.wait_for_selector("#done:not([hidden])")
    assert page.text_content("#done-title") == "上报成功，已就地解决结案"
    case = Case.objects.get()
    assert case.status == Status.CLOSED and case.resolved_on_spot and case.resolution_note == "已铲除电线杆上的小广告"
    assert sorted(case.photos.values_list("kind", flat=True)) == ["after", "report"]


def test_it_shows_the_apis_errors_next_to_the_fields(context, live_server, field_data):
    context.set_geolocation({"latitude": 33.2, "longitude": 119.3, "accuracy": 30})  # outside every grid
    page = open_page(context)
    log_in(page, live_server.url)
    page.wait_for_selector("#grid-info[data-state=error]")
    assert "该点不在任何网格内" in page.text_content("#grid-sub")  # the locate API's own message
    page.click("#submit")
    assert "请把图钉拖到问题所在位置" in page.text_content("[data-error-for=position]")
    assert page.text_content("[data-error-for=category]").strip("⚠ ") == "请选择问题分类"
    assert page.text_content("[data-error-for=photos]").strip("⚠ ") == "请至少拍一张现场照片"
    shot(page, "10-client-errors")

    context.set_geolocation(HERE)  # walked back into the grid
    wait_for_grid(page)
    choose_category(page, "垃圾", "E0101")
    page.set_input_files("#photo-input", files=[{"name": "坏.jpg", "mimeType": "image/jpeg", "buffer": b"not a jpeg"}])
    page.click("#submit")
    page.wait_for_selector("[data-error-for=photos]:not([hidden])")
    assert "第 1 张照片（photos）不是可识别的图片" in page.text_content("[data-error-for=photos]")  # the server's
    assert Case.objects.count() == 0
    assert page.evaluate("() => GridOutbox.all().then((a) => a.length)") == 0  # refused: back in the form only
    shot(page, "11-server-errors")


def test_it_lets_the_worker_fix_a_report_the_server_refused_after_it_was_queued(context, live_server, field_data):
    page = open_page(context)
    log_in(page, live_server.url)
    wait_for_grid(page)
    choose_category(page, "垃圾", "E0101")
    context.set_offline(True)
    page.set_input_files("#photo-input", files=[{"name": "坏.jpg", "mimeType": "image/jpeg", "buffer": b"not a jpeg"}])
    page.click("#submit")
    page.wait_for_selector("#done:not([hidden])")
    page.click("#done-again")
    context.set_offline(False)
    page.goto(live_server.url + "/field/mine/")
    page.wait_for_selector("#outbox-list li[data-state=rejected]")
    assert "未被接收" in page.text_content("#outbox-list")
    shot(page, "12-refused-in-outbox")

    page.click("#outbox-list li[data-state=rejected] a")
    page.wait_for_selector("#edit-banner:not([hidden])")
    page.wait_for_selector("[data-error-for=photos]:not([hidden])")
    assert page.text_content("#category-label") == "市容环境 › 暴露垃圾"
    page.click("#photos .thumb-remove")
    page.set_input_files("#photo-input", files=[photo()])
    page.click("#submit")
    page.wait_for_selector("#done:not([hidden])")
    assert page.text_content("#done-title") == "上报成功"
    assert Case.objects.count() == 1
    assert page.evaluate("() => GridOutbox.all().then((a) => a.length)") == 0


def test_it_shows_the_page_in_english_when_the_language_is_switched(context, live_server, field_data):
    page = open_page(context)
    page.goto(live_server.url + "/accounts/login/?next=/field/")
    page.click(".lang button[value=en]")
    page.wait_for_selector("text=Sign in")
    page.fill("#id_username", "worker1")
    page.fill("#id_password", "pw-worker1")
    page.click(".login-card button[type=submit]")
    page.wait_for_url(live_server.url + "/field/")
    wait_for_grid(page)
    page.wait_for_function("() => document.getElementById('accuracy').textContent === 'GPS accuracy ±12 m'")
    assert page.text_content("#submit").strip() == "Send report"
    assert page.text_content("#category-label") == "Choose a category (searchable)"
    assert page.get_attribute("html", "lang") == "en"
    shot(page, "13-english")
    page.click(".tab[href='/field/mine/']")
    page.wait_for_selector("text=No reports yet")


def test_it_frees_the_form_when_an_upload_is_slow_and_finishes_it_in_the_background(context, live_server, field_data):
    page = open_page(context)
    log_in(page, live_server.url)
    wait_for_grid(page)
    held = []
    page.route("**/api/v1/cases/", lambda route: held.append(route) if route.request.method == "POST" else route.fallback())
    page.evaluate("() => { GG.CFG.send_wait_ms = 300; }")  # 8 s on a phone
    choose_category(page, "垃圾", "E0101")
    page.set_input_files("#photo-input", files=[photo()])
    page.click("#submit")
    page.wait_for_selector("#done:not([hidden])")
    assert page.text_content("#done-title") == "正在后台发送"
    page.click("#done-again")
    assert page.text_content("#category-label") == "选择分类（可搜索）"  # a fresh form
    assert page.text_content(".tab [data-outbox-count]") == "1"
    assert len(held) == 1 and Case.objects.count() == 0

    held[0].continue_()
    page.wait_for_selector("#toast.show.ok")
    assert "已在后台发送" in page.text_content("#toast")
    page.wait_for_selector(".tab [data-outbox-count]", state="hidden")
    assert Case.objects.count() == 1
