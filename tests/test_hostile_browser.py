"""Hostile text in real Chromium (issue 7.3): a case, its grid, category and departments named
`"><img src=x onerror=window.__xss=1>…` are shown on the map wall (ticker, case detail, grid
tooltips), the console (queue, dispatch page with its map labels, command-centre case page) and the
field report page. The script must never run (window.__xss stays undefined) and the tag must never
become an element (no <img src="x"> in the DOM): the second check holds even where a Content Security
Policy would also have blocked the handler, so it proves the escaping itself.
"""
import os

import pytest

playwright_sync = pytest.importorskip("playwright.sync_api")

from gridgov.cases.models import Case, Category  # noqa: E402
from gridgov.departments.models import Department  # noqa: E402
from gridgov.dispatch.actions import do_whistle  # noqa: E402
from gridgov.dispatch.models import Dispatch, Role  # noqa: E402
from gridgov.grids.models import GridUnit  # noqa: E402
from tests.browser import ARTIFACTS, record_hosts  # noqa: E402
from tests.dispatch_helpers import build_world, photo  # noqa: E402
from tests.factories import build_small_county, seed_test_categories  # noqa: E402

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

TIMEOUT_MS = 60_000
XSS = '"><img src=x onerror=window.__xss=1><script>window.__xss=2</script>'
# Installed before any page script: counts every <img src="x"> or non-JSON <script> mentioning __xss ever
# added to the document, so a tooltip that was shown and removed again is still caught.
WATCH = """
window.__injected = 0;
new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes) {
    if (n.nodeType !== 1) continue;
    const nodes = [n, ...n.querySelectorAll("img, script")];
    window.__injected += nodes.filter((e) => (e.tagName === "IMG" && e.getAttribute("src") === "x") ||
      (e.tagName === "SCRIPT" && e.type !== "application/json" && e.textContent.includes("__xss"))).length;
  }
}).observe(document, { childList: true, subtree: true });
"""
INJECTED = """() => ({
  ran: window.__xss === undefined ? null : window.__xss,
  injected: window.__injected,
  imgs: document.querySelectorAll('img[src="x"]').length,
})"""
CLEAN = {"ran": None, "injected": 0, "imgs": 0}

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.GRIDGOV_PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    build_small_county()
    seed_test_categories()
    w = build_world()
    for key in ("cg", "worker", "dispatcher", "monitor"):
        user = w.users[key]
        user.set_password("pw-" + user.username)
        user.save()
    Category.objects.filter(code__in=["E0101", "E01"]).update(name=XSS)
    Department.objects.update(name=XSS)
    GridUnit.objects.update(name=XSS)  # every grid: the labels drawn around the case's own grid too
    case = w.case(description=XSS, address=XSS, photos=[photo()])
    Case.objects.filter(pk=case.pk).update(grid_name=XSS)
    do_whistle(case, w.users["worker"])
    return w, case


@pytest.fixture
def page_for(browser, live_server):
    made = []

    def new(username, next_url, **kw):
        ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1600, "height": 900})
        ctx.set_default_timeout(TIMEOUT_MS)
        ctx.foreign = record_hosts(ctx)
        ctx.add_init_script(WATCH)
        made.append(ctx)
        page = ctx.new_page()
        page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
        page.fill("#id_username", username)
        page.fill("#id_password", "pw-" + username)
        page.click(".login-card button[type=submit]")
        page.wait_for_url(live_server.url + next_url)
        return page

    yield new
    for ctx in made:
        assert ctx.foreign() == []
        ctx.close()


def sweep_mouse(page, selector, steps=8):
    """Hover a grid of points over the element: every Leaflet tooltip under them is built and shown."""
    box = page.locator(selector).bounding_box()
    for i in range(1, steps):
        for j in range(1, steps):
            page.mouse.move(box["x"] + box["width"] * i / steps, box["y"] + box["height"] * j / steps)
    page.wait_for_timeout(200)


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"hostile-{name}.png"))


def test_it_shows_hostile_names_on_the_map_wall_as_text(page_for, world):
    page = page_for("jk", "/mapwall/")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_function("() => document.querySelectorAll('#ticker li').length >= 1")
    for _ in range(4):  # out to district zoom: the grid layer with its tooltips (streets use tiles)
        page.click(".leaflet-control-zoom-out")
        page.wait_for_timeout(300)
    sweep_mouse(page, "#map")
    assert page.evaluate(INJECTED) == CLEAN
    page.locator("#ticker li").first.click()
    page.wait_for_selector("#detail:not([hidden]) dl")
    assert "onerror=window.__xss" in page.inner_text("#detail")  # shown, as text
    sweep_mouse(page, "#map")
    shot(page, "mapwall")
    assert page.evaluate(INJECTED) == CLEAN


def test_it_shows_hostile_text_in_the_console_and_field_pages_as_text(page_for, world, live_server):
    w, case = world
    lead = Dispatch.objects.get(case=case, role=Role.LEAD)
    page = page_for("cg1", "/console/")
    page.wait_for_selector(f"#queue li[data-number='{case.number}']")
    assert page.evaluate(INJECTED) == CLEAN
    page.goto(f"{live_server.url}/console/dispatch/{lead.pk}/")
    page.wait_for_selector("#map[data-ready='1']")
    sweep_mouse(page, "#map")
    assert "onerror=window.__xss" in page.inner_text("body")
    shot(page, "console-dispatch")
    assert page.evaluate(INJECTED) == CLEAN

    page = page_for("dd", f"/console/command/case/{case.number}/")
    page.wait_for_selector("#map[data-ready='1']")
    sweep_mouse(page, "#map")
    assert page.evaluate(INJECTED) == CLEAN

    page = page_for("wg", "/field/")
    page.wait_for_timeout(1500)  # the grid layer and its permanent labels
    shot(page, "field-report")
    assert page.evaluate(INJECTED) == CLEAN
