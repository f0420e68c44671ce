"""Two people acting on one dispatch at once: exactly one succeeds, the other gets HTTP 409.

Real threads, real connections, real commits (transaction=True). To make the two requests truly
simultaneous, the test first holds the dispatch row locked from its own connection, starts both
requests, waits until PostgreSQL shows both blocked on that lock, then lets go: both race for the
row at the same instant.
"""
import threading
import time

import pytest
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from gridgov.dispatch.actions import do_whistle
from gridgov.dispatch.models import Dispatch, DispatchEvent, Role, State
from tests.dispatch_helpers import build_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(county, categories, media):
    return build_world()


def _waiting_on_locks():
    with connection.cursor() as cur:
        cur.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction the view is a cached snapshot
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
        return cur.fetchone()[0]


@pytest.fixture
def race(django_db_blocker):
    def go(dispatch, requests):
        return _race(dispatch, requests, django_db_blocker)

    return go


def _race(dispatch, requests, blocker):
    """Run (user, url, body) requests in threads released at the same instant; returns the responses."""
    results = [None] * len(requests)

    def run(i, user, url, body):
        client = APIClient()
        client.force_authenticate(user)
        with blocker.unblock():  # pytest-django blocks the database outside the test's thread
            try:
                results[i] = client.post(url, body, format="json")
            finally:
                connections.close_all()

    threads = [threading.Thread(target=run, args=(i, *req)) for i, req in enumerate(requests)]
    with transaction.atomic():
        Dispatch.objects.select_for_update().get(pk=dispatch.pk)  # hold the row
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while _waiting_on_locks() < len(requests):
            assert time.monotonic() < deadline, "the requests never reached the row lock"
            time.sleep(0.02)
    for t in threads:  # the lock is released: both go at once
        t.join(30)
    return results


def test_two_people_accepting_at_once_one_gets_200_the_other_409(world, race):
    d = next(x for x in do_whistle(world.case(), world.users["worker"]).dispatches if x.role == Role.LEAD)
    url = f"/api/v1/dispatches/{d.pk}/accept/"
    responses = race(d, [(world.users["cg"], url, {}), (world.users["cg2"], url, {})])
    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409).json()["errors"][0]
    assert loser["code"] == "invalid_transition" and "签收" in loser["message"]
    d.refresh_from_db()
    assert d.state == State.ACCEPTED and d.version == 2
    assert DispatchEvent.objects.filter(dispatch=d, action="accept").count() == 1


def test_accept_and_return_at_once_only_one_happens(world, race):
    d = next(x for x in do_whistle(world.case(), world.users["worker"]).dispatches if x.role == Role.LEAD)
    responses = race(d, [(world.users["cg"], f"/api/v1/dispatches/{d.pk}/accept/", {"version": 1}),
                         (world.users["cg2"], f"/api/v1/dispatches/{d.pk}/return/",
                          {"reason": "不属城管", "version": 1})])
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert next(r for r in responses if r.status_code == 409).json()["errors"][0]["code"] == "stale_version"
    d.refresh_from_db()
    assert d.version == 2 and d.state in (State.ACCEPTED, State.RETURNED)
    assert DispatchEvent.objects.filter(dispatch=d).exclude(action="dispatch").count() == 1
