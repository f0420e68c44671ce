import pytest
from rest_framework.test import APIClient

from gridgov.accounts.models import Role
from tests.factories import build_small_county, make_user


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
