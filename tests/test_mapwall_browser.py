"""The map wall in real headless Chromium (Debian's /usr/bin/chromium) against a live server.

The demo county (742 grids) with a few thousand clustered synthetic cases and two real ones (through
do_create_case, with a citizen's name and phone that must never reach the screen). The page must load
its layers without asking anything of a host other than the live server; screenshots (1920×1080) go
to tests/artifacts/.
"""
import os
import re
import time

import pytest

playwright_sync = pytest.importorskip("playwright.sync_api")

from geodata.demo import DEFAULT_SEED, do_seed_demo  # noqa: E402
from gridgov.accounts.models import Role  # noqa: E402
from maps.actions import do_seed_synthetic_cases  # noqa: E402
from tests.factories import make_case, make_user, seed_test_categories  # noqa: E402
from tests.browser import ARTIFACTS, record_hosts  # noqa: E402

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

TIMEOUT_MS = 60_000
SECRET_NAME = "王秘密"
SECRET_PHONE = "13912345678"

pytestmark = [
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def wall_data(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.GRIDGOV_MAPWALL_POLL_SECONDS = 3
    do_seed_demo(DEFAULT_SEED)
    seed_test_categories()
    do_seed_synthetic_cases(4000, days=60, seed=7)
    reporter = make_user("worker1", Role.GRID_WORKER, display_name="张网格")
    real = make_case(reporter, lon=119.02, lat=33.01, channel="hotline_12345", contact_name=SECRET_NAME,
                     contact_phone=SECRET_PHONE, description=f"{SECRET_NAME} 反映路灯不亮")
    make_user("monitor1", Role.MONITOR, display_name="大屏")
    return {"case": real, "reporter": reporter}


@pytest.fixture
def context(browser, live_server):
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(TIMEOUT_MS)
    statuses = []
    ctx.foreign_hosts = record_hosts(ctx)
    ctx.on("response", lambda response: statuses.append((response.status, response.url)))
    ctx.statuses = statuses
    yield ctx
    ctx.close()
    assert ctx.foreign_hosts() == [], "the wall made requests to other hosts"


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def log_in(page, base_url, username):
    page.goto(base_url + "/mapwall/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-" + username)
    page.click("form.login-card button[type=submit]")
    try:
        page.wait_for_url(base_url + "/mapwall/", wait_until="commit")
    except Exception:
        shot(page, "debug-login"); print(page.url, page.content()[2000:4500]); raise


def test_it_renders_the_wall_from_localhost_only_without_personal_data(context, live_server, wall_data):
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server.url, "monitor1")
    t0 = time.perf_counter()
    page.wait_for_selector("body[data-ready='1']")
    ready_s = time.perf_counter() - t0
    # layers: grid choropleth (742 grids), Gi* classes per grid, newest-case markers, charts, ticker
    page.wait_for_function("() => window.__mapwall.grids >= 700 && window.__mapwall.hot >= 700 && window.__mapwall.dashboard >= 1")
    page.wait_for_function("() => document.querySelectorAll('#ticker li').length >= 10")
    assert page.locator(".leaflet-newest-pane .pulse").count() >= 10
    assert page.locator("#ch-trend canvas").count() == 1
    assert re.match(r"^[\d,]+$", page.inner_text("#k-open"))
    assert "Getis-Ord Gi*" in page.inner_text("#legend")
    page.wait_for_timeout(600)
    shot(page, "mapwall")

    # live: a new case reaches the panels and the ticker without reloading the page
    today = int(page.inner_text("#k-today").replace(",", ""))
    fresh = make_case(wall_data["reporter"], lon=119.03, lat=33.02, category="S0101")
    page.wait_for_function(f"() => document.getElementById('k-today').textContent.replace(/,/g, '') === '{today + 1}'")
    page.wait_for_function(f"() => document.querySelector('#ticker li').textContent.includes({fresh.grid_name!r})")

    # the real case, clicked in the ticker: details without the citizen's name, phone or the free text
    page.locator("#ticker li").first.click()
    page.wait_for_selector("#detail:not([hidden]) dl")
    # street zoom: vector tiles of grids and cases
    page.wait_for_function("() => window.__mapwall.tiles > 0")
    page.wait_for_timeout(800)
    shot(page, "mapwall-street")
    html = page.content()
    for secret in (SECRET_NAME, SECRET_PHONE, "张网格"):
        assert secret not in html
    tiles = [s for s, url in context.statuses if ".pbf" in url]
    assert tiles and all(s in (200, 304) for s in tiles)
    # whole-number tile zooms only, even at the wall's quarter zoom steps (Leaflet#9930 redraw bug)
    zooms = {url.split("/tiles/")[1].split("/")[1] for s, url in context.statuses if ".pbf" in url}
    assert all(z.isdigit() for z in zooms), zooms
    assert not [s for s, url in context.statuses if "/api/v1/maps/" in url and s >= 400]
    assert errors == [], errors
    print(f"first complete render: {ready_s:.2f} s")
