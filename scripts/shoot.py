"""Screenshots of pages as a user sees them (headless Debian Chromium), for looking at the UI.

    .venv/bin/python scripts/shoot.py URL OUT.png [--user U --password P] [--width 1400 --height 900]
"""
import argparse

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("out")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=900)
    ap.add_argument("--wait", type=int, default=1500, help="ms to let maps draw")
    a = ap.parse_args()
    base = a.url.split("/", 3)
    origin = "/".join(base[:3])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": a.width, "height": a.height}, locale="zh-CN")
        if a.user:
            page.goto(origin + "/admin/login/")
            page.fill("input[name=username]", a.user)
            page.fill("input[name=password]", a.password)
            page.click("input[type=submit], button[type=submit]")
            page.wait_for_load_state("networkidle")
        page.goto(a.url)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(a.wait)
        page.screenshot(path=a.out, full_page=False)
        browser.close()


if __name__ == "__main__":
    main()
