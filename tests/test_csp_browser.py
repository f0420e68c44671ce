"""The Content-Security-Policy holds on every main page, in real headless Chromium against a live server.

Each role logs in through the login page and opens its pages: the field app, the console (responder,
grid worker, command centre), the map wall, the citizen form and posters, the admin (index, grid map,
change forms with django-leaflet's map widget, the hotline batch page, imports) and the API docs. Every
`securitypolicyviolation` event and every console error fails the test, and every page must have been
served with the policy (no 'unsafe-inline'). Screenshots: tests/artifacts/csp-*.png.
"""
import os

import pytest

playwright_sync = pytest.importorskip("playwright.sync_api")

from gridgov.accounts.models import Role, User  # noqa: E402
from gridgov.citizen.tokens import grid_token  # noqa: E402
from gridgov.dispatch.actions import do_whistle  # noqa: E402
from gridgov.dispatch.models import Dispatch  # noqa: E402
from gridgov.dispatch.models import Role as DispatchRole  # noqa: E402
from gridgov.grids.models import GridUnit  # noqa: E402
from gridgov.hotline.models import HotlineBatch  # noqa: E402
from tests.browser import ARTIFACTS, record_hosts  # noqa: E402
from tests.dispatch_helpers import N1, build_world, photo  # noqa: E402
from tests.factories import build_small_county, seed_test_categories  # noqa: E402

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

TIMEOUT_MS = 20_000
pytestmark = [pytest.mark.django_db(transaction=True)]

# Runs in every page before its own scripts (Playwright's init scripts are not subject to the page's CSP).
COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(
  e.violatedDirective + " blocked=" + e.blockedURI + " at " + (e.sourceFile || "") + ":" + e.lineNumber +
  " sample=" + (e.sample || "")));
"""


@pytest.fixture
def site(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.GRIDGOV_PRIVATE_MEDIA_ROOT = tmp_path / "private"
    build_small_county()
    seed_test_categories()
    w = build_world()
    case = w.case(photos=[photo()], description="北村路口垃圾堆积", address="北村一组路口")  # photos: previews too
    do_whistle(case, w.users["worker"])
    admin = User.objects.create_superuser("root", "root@example.invalid", "pw-root", role=Role.ADMIN)
    batch = HotlineBatch.objects.create(original_name="12345.csv", uploaded_by=admin, status="done")
    users = {**w.users, "admin": admin}
    for user in users.values():
        user.set_password("pw-" + user.username)
        user.save()
    lead = Dispatch.objects.get(case=case, role=DispatchRole.LEAD)
    unit = GridUnit.objects.get(code=N1)
    return {
        None: ["/accounts/login/", f"/citizen/report/{grid_token(N1)}/"],
        "worker": ["/field/", "/field/mine/", "/console/verify/"],
        "cg": ["/console/", f"/console/dispatch/{lead.pk}/", "/console/notifications/"],
        "dispatcher": ["/console/command/", f"/console/command/case/{case.number}/", "/console/command/file/",
                       "/console/rankings/", "/citizen/posters/", f"/citizen/poster/{N1}/"],
        "monitor": ["/mapwall/"],
        "admin": ["/admin/", "/admin/grids/gridunit/map/", f"/admin/grids/gridunit/{unit.pk}/change/",
                  f"/admin/cases/case/{case.pk}/change/", f"/admin/hotline/hotlinebatch/{batch.pk}/change/",
                  "/admin/cases/category/import-csv/", "/admin/dispatch/routingrule/", "/admin/axes/accessattempt/",
                  "/api/docs/"],
        "_users": users,
    }


def _name(path):
    return "csp-" + ("".join(c if c.isalnum() else "-" for c in path.strip("/"))[:48] or "home")


def _log_in(page, base, user):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-" + user.username)
    page.click(".login-card button[type=submit]")
    page.wait_for_load_state("load")
    assert "/accounts/login/" not in page.url, f"{user.username} could not log in"


def test_it_serves_every_main_page_without_a_csp_violation_or_console_error(browser, live_server, site):
    base = live_server.url
    users = site.pop("_users")
    problems, served = [], []
    ARTIFACTS.mkdir(exist_ok=True)
    for role, paths in site.items():
        ctx = browser.new_context(viewport={"width": 1366, "height": 860}, locale="zh-CN", timezone_id="Asia/Shanghai")
        ctx.set_default_timeout(TIMEOUT_MS)
        ctx.add_init_script(COLLECT)
        foreign = record_hosts(ctx)
        page = ctx.new_page()
        errors = []
        page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        page.on("response", lambda r: errors.append(f"{page.url}: HTTP {r.status} {r.url}") if r.status >= 400 else None)
        if role:
            _log_in(page, base, users[role])
        for path in paths:
            response = page.goto(base + path, wait_until="load")
            assert response.status == 200, f"{path} as {role}: HTTP {response.status}"
            policy = response.headers.get("content-security-policy", "")
            served.append((path, policy))
            page.wait_for_timeout(1000 if ("map" in path or "change" in path or "docs" in path) else 250)
            if path == "/mapwall/":  # the ticker's rows and the detail panel are drawn with colours
                page.wait_for_selector("#ticker li", state="attached")
                page.locator("#ticker li").first.click()
                page.wait_for_selector("#detail:not([hidden])")
                for chart in ("#ch-trend", "#ch-cats", "#ch-streets"):  # ECharts tooltips
                    page.hover(chart)
                    page.wait_for_timeout(150)
            problems += [f"{path} as {role}: {v}" for v in page.evaluate("window.__csp")]
            page.screenshot(path=str(ARTIFACTS / f"{_name(path)}.png"))
        problems += errors
        ctx.close()
        assert foreign() == [], f"pages of {role} asked other hosts"
    for path, policy in served:
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, f"{path}: no CSP header ({policy!r})"
        assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy, f"{path}: {policy}"
    assert problems == [], "\n".join(problems)
