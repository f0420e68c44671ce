import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gridgov.accounts.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_client(county):
    user = make_user("tok", Role.GRID_WORKER)
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client, user, token


def locate(client):
    return client.get("/api/v1/grids/locate/", {"lon": 119.005, "lat": 33.015})


def test_a_recent_token_is_not_looked_up_again(token_client):
    client, _, _ = token_client
    assert locate(client).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert locate(client).status_code == 200
    assert not any("authtoken_token" in q["sql"] for q in queries.captured_queries)


def test_a_deleted_token_is_refused_at_once(token_client):
    client, _, token = token_client
    assert locate(client).status_code == 200
    token.delete()
    assert locate(client).status_code in (401, 403)  # 403: session auth comes first


def test_a_deactivated_user_is_refused_at_once_in_this_process(token_client):
    client, user, _ = token_client
    assert locate(client).status_code == 200
    user.is_active = False
    user.save()
    assert locate(client).status_code in (401, 403)  # 403: session auth comes first


def test_an_unknown_token_is_refused(county):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert locate(client).status_code in (401, 403)  # 403: session auth comes first
