import pytest
from rest_framework.test import APIClient

from gridgov.accounts.models import Role
from tests.factories import build_small_county, make_user


def pytest_configure(config):
    """Tests hash passwords with MD5 (fast). The configured default is argon2: tests/test_deploy_posture.py."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.fixture
def county(db):
    return build_small_county()


@pytest.fixture
def worker(db):
    return make_user("worker1", Role.GRID_WORKER, display_name="张网格")


@pytest.fixture
def api(worker):
    client = APIClient()
    client.force_authenticate(worker)
    return client


@pytest.fixture
def categories(db):
    """The shipped category list (data/categories.csv)."""
    from tests.factories import seed_test_categories

    seed_test_categories()


@pytest.fixture
def media(settings, tmp_path):
    """Photos written under a temporary MEDIA_ROOT and private root, not var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GRIDGOV_PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return tmp_path


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, one per test module (tests.browser.launch)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import launch

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()
