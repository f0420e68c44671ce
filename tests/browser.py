"""Shared set-up for the browser tests: Debian's Chromium driven by Playwright, localhost only.

`make test` installs Chromium (scripts/ensure_os_packages.sh), so a missing browser is an error, not a
skip: a skipped browser test would let a broken page pass CI.
"""
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling Google's hosts, which this network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).parent / "artifacts"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def launch(playwright):
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run make test (it installs Debian's chromium)"
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def record_hosts(context):
    """Collect the host of every request the context makes; returns a function listing foreign ones."""
    hosts = []
    context.on("request", lambda request: hosts.append(urlsplit(request.url).hostname or request.url))
    return lambda: sorted({h for h in hosts if h not in LOCAL_HOSTS and not h.startswith(("data:", "blob:"))})
