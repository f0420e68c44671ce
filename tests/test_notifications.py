"""Notifications: in-app list, badge and mark-read API; email through Django's backend; delivery rows
written with the action, sent by a background job after commit, retried, never twice; a channel added
through settings alone (an SMS stand-in)."""
import threading

import pytest
from django.core import mail
from django.db import connection, transaction
from rest_framework.test import APIClient

from gridgov.dispatch.actions import do_accept, do_whistle
from gridgov.dispatch.models import Notification
from gridgov.dispatch.notify import notify
from gridgov.core.errors import FieldError
from gridgov.notifications.channels import Channel, load_channels
from gridgov.notifications.delivery import MAX_ATTEMPTS, deliver_pending
from gridgov.notifications.models import Delivery, DeliveryStatus
from tests.dispatch_helpers import build_world

SMS_SENT = []


class FakeSms(Channel):
    """What a deployment's SMS channel looks like: configured in settings, no change to gridgov."""

    name, label, kinds = "sms", "短信", {"dispatched", "overdue"}
    fail = 0

    def address_for(self, notification):
        return notification.recipient.phone or None

    def send(self, notification, address):
        if FakeSms.fail > 0:
            FakeSms.fail -= 1
            raise ConnectionError("gateway timeout")
        SMS_SENT.append((address, notification.message))


WITH_SMS = ["gridgov.notifications.channels.InAppChannel", "gridgov.notifications.channels.EmailChannel",
            "tests.test_notifications.FakeSms"]


@pytest.fixture
def world(county, categories, media):
    w = build_world()
    for key, email in (("cg", "cg1@example.cn"), ("cg2", ""), ("gaj", "gaj1@example.cn"), ("scjg", "")):
        w.users[key].email = email
        w.users[key].phone = "13800000000" if key == "cg" else ""
        w.users[key].save(update_fields=["email", "phone"])
    return w


def _empty_queue():
    with connection.cursor() as cur:
        cur.execute("TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers CASCADE")


@pytest.fixture
def empty_queue(transactional_db):
    """procrastinate's tables are not emptied between transactional tests (unmanaged models): a job left
    by another test's worker (its periodic deferrer defers every periodic task) must not leak in or out."""
    _empty_queue()
    yield
    _empty_queue()


@pytest.fixture(autouse=True)
def _reset_sms():
    SMS_SENT.clear()
    FakeSms.fail = 0


@pytest.mark.django_db
def test_it_writes_one_email_delivery_per_notification_with_the_action(world):
    do_whistle(world.case(), world.users["worker"])
    notes = Notification.objects.filter(kind="dispatched")
    assert notes.count() == 4  # cg1, cg2, gaj1, scjg1
    assert sorted(Delivery.objects.filter(channel="email").values_list("address", flat=True)) == [
        "cg1@example.cn", "gaj1@example.cn"]  # cg2 and scjg1 have no email address
    assert not Delivery.objects.exclude(channel="email").exists()  # in-app is the Notification row itself


@pytest.mark.django_db
def test_a_rolled_back_action_delivers_nothing(world):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            notify([world.depts["cg"]], "dispatched", None, "测试")
            raise RuntimeError("the action failed")
    assert Notification.objects.count() == 0 and Delivery.objects.count() == 0


@pytest.mark.django_db
def test_it_emails_users_with_an_address_and_skips_one_who_lost_it(world):
    case = world.case()
    do_whistle(case, world.users["worker"])
    world.users["gaj"].email = ""
    world.users["gaj"].save(update_fields=["email"])
    counts = deliver_pending()
    assert counts == {"sent": 1, "skipped": 1}
    assert [m.to[0] for m in mail.outbox] == ["cg1@example.cn"]
    assert mail.outbox[0].subject.startswith("[网格治理] 新派遣 · 案卷 " + case.number)
    assert "请于" in mail.outbox[0].body
    assert deliver_pending() == {}  # nothing twice
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_channel_added_in_settings_gets_its_kinds_only_and_is_retried(world, settings):
    settings.GRIDGOV_NOTIFICATION_CHANNELS = WITH_SMS
    FakeSms.fail = 1
    result = do_whistle(world.case(), world.users["worker"])
    lead = next(d for d in result.dispatches if d.role == "lead")
    do_accept(lead, world.users["cg"])  # "accepted" goes to the reporter: not an SMS kind
    assert Delivery.objects.filter(channel="sms").count() == 1  # only cg1 has a phone number
    deliver_pending()
    sms = Delivery.objects.get(channel="sms", notification__recipient__username="cg1")
    assert (sms.status, sms.attempts, sms.last_error) == ("pending", 1, "ConnectionError: gateway timeout")
    assert sms.next_attempt_at > sms.created_at
    deliver_pending(now=sms.next_attempt_at)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("sent", 2) and SMS_SENT == [("13800000000", sms.notification.message)]


@pytest.mark.django_db
def test_a_delivery_fails_for_good_after_the_last_attempt(world, settings):
    settings.GRIDGOV_NOTIFICATION_CHANNELS = WITH_SMS
    FakeSms.fail = 99
    do_whistle(world.case(), world.users["worker"])
    sms = Delivery.objects.get(channel="sms", notification__recipient__username="cg1")
    for _ in range(MAX_ATTEMPTS + 2):
        sms.refresh_from_db()
        deliver_pending(ids=[sms.pk], now=sms.next_attempt_at)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)


def test_a_misconfigured_channel_is_refused_by_name(settings):
    settings.GRIDGOV_NOTIFICATION_CHANNELS = ["gridgov.notifications.channels.Nope"]
    with pytest.raises(FieldError) as exc:
        load_channels()
    assert exc.value.field == "GRIDGOV_NOTIFICATION_CHANNELS" and exc.value.code == "unknown_channel"
    settings.GRIDGOV_NOTIFICATION_CHANNELS = ["tests.test_notifications.FakeSms", "tests.test_notifications.FakeSms"]
    with pytest.raises(FieldError) as exc:
        load_channels()
    assert exc.value.code == "duplicate_channel"


@pytest.mark.django_db(transaction=True)
def test_two_deliverers_at_once_never_send_a_row_twice(world):
    for _ in range(5):
        do_whistle(world.case(), world.users["worker"])
    assert Delivery.objects.filter(channel="email").count() == 10
    barrier = threading.Barrier(2)
    counts = []

    def worker():
        try:
            barrier.wait(timeout=10)
            counts.append(deliver_pending(limit=7))
            counts.append(deliver_pending(limit=100))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert sum(c.get("sent", 0) for c in counts) == 10 and len(mail.outbox) == 10
    assert sorted(m.to[0] for m in mail.outbox) == ["cg1@example.cn"] * 5 + ["gaj1@example.cn"] * 5


@pytest.mark.django_db(transaction=True)
def test_the_delivery_job_is_deferred_on_commit_and_run_by_the_worker(world, empty_queue):
    from procrastinate.contrib.django import app

    do_whistle(world.case(), world.users["worker"])  # autocommit: on_commit runs at once
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'notifications.deliver'")
        assert cur.fetchone()[0] >= 1
    with app.replace_connector(app.connector.get_worker_connector()):
        app.run_worker(queues=["notifications"], wait=False, install_signal_handlers=False, listen_notify=False)
    assert sorted(m.to[0] for m in mail.outbox) == ["cg1@example.cn", "gaj1@example.cn"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


# --- in-app API ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_inbox_lists_unread_first_with_a_badge_count_and_marks_read(world):
    do_whistle(world.case(), world.users["worker"])
    do_whistle(world.case(), world.users["worker"])
    api = APIClient()
    api.force_authenticate(world.users["cg"])
    r = api.get("/api/v1/notifications/", {"unread": "1"})
    assert r.status_code == 200 and r.json()["unread_count"] == 2 and r.json()["count"] == 2
    first = r.json()["results"][0]
    assert first["kind"] == "dispatched" and first["kind_label"] == "新派遣" and first["is_read"] is False
    assert api.get("/api/v1/notifications/unread-count/").json() == {"unread_count": 2}
    r = api.post(f"/api/v1/notifications/{first['id']}/read/")
    assert r.json() == {"marked": 1, "unread_count": 1}
    assert api.post(f"/api/v1/notifications/{first['id']}/read/").json()["marked"] == 0  # idempotent
    assert api.post("/api/v1/notifications/read/", {"all": True}, format="json").json() == {
        "marked": 1, "unread_count": 0}
    assert api.get("/api/v1/notifications/").json()["count"] == 2  # read ones stay listed


@pytest.mark.django_db
def test_nobody_marks_someone_elses_notification(world):
    do_whistle(world.case(), world.users["worker"])
    theirs = Notification.objects.filter(recipient=world.users["gaj"]).first()
    api = APIClient()
    api.force_authenticate(world.users["cg"])
    r = api.post("/api/v1/notifications/read/", {"ids": [theirs.pk]}, format="json")
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "ids"
    theirs.refresh_from_db()
    assert theirs.read_at is None
    r = api.post("/api/v1/notifications/read/", {}, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "required"
