"""Background alerts: near-overdue reminders and overdue escalation (督办) fire at the right times with
time frozen, exactly once — across repeated sweeps, a sweep that dies half-way, two workers at once,
and through the real procrastinate worker on PostgreSQL."""
import threading
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from gridgov.alerts import actions as alert_actions
from gridgov.alerts.jobs import due_alerts, run_sweep
from gridgov.alerts.models import AlertKind, AlertSent, Supervision, SupervisionSource
from gridgov.alerts.worktime import ensure_warning_tables
from gridgov.dispatch.actions import do_accept, do_whistle
from gridgov.dispatch.models import DispatchEvent, Notification, Role
from tests.dispatch_helpers import build_world

SH = ZoneInfo("Asia/Shanghai")
FRIDAY_5PM = datetime(2025, 5, 9, 17, 0, tzinfo=SH)  # E0101: accept due Mon 09:00, feedback due Mon 12:00


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def world(county, categories, media):
    return build_world()


def whistle(world, moment=FRIDAY_5PM):
    result = do_whistle(world.case(category="E0101"), world.users["worker"], now=moment)
    return {d.role: d for d in result.dispatches}


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


def sweep_at(moment):
    with time_machine.travel(moment, tick=False):
        return run_sweep()


def sent():
    return sorted(AlertSent.objects.values_list("dispatch__role", "stage", "kind"))


def recipients(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


@pytest.mark.django_db
def test_it_sends_nothing_while_every_stage_has_time_left(world):
    whistle(world)
    assert sweep_at(at(2025, 5, 10, 12, 0)).sent == []  # Saturday: the working clock has stopped
    assert sweep_at(at(2025, 5, 12, 8, 44)).sent == []
    assert AlertSent.objects.count() == 0


@pytest.mark.django_db
def test_it_reminds_the_department_when_acceptance_is_near_overdue(world):
    by_role = whistle(world)
    result = sweep_at(at(2025, 5, 12, 8, 45))  # 15 of 60 working minutes left
    assert sorted((a.dispatch_id, a.stage, a.kind) for a in result.sent) == sorted([
        (by_role["lead"].pk, "accept", "near"), (by_role["assist"].pk, "accept", "near")])
    assert sent() == [("assist", "accept", "near"), ("lead", "accept", "near")]  # not the 知会 department
    assert recipients("near_overdue") == ["cg1", "cg2", "gaj1"]
    msg = Notification.objects.filter(kind="near_overdue", recipient__username="cg1").get().message
    assert "2025-05-12 09:00" in msg and "签收" in msg
    assert DispatchEvent.objects.filter(action="near_overdue_reminder").count() == 2


@pytest.mark.django_db
def test_it_escalates_an_overdue_acceptance_to_the_command_centre_with_a_supervision_notice(world):
    by_role = whistle(world)
    do_accept(by_role["assist"], world.users["gaj"])  # the assisting department did accept in time
    sweep_at(at(2025, 5, 12, 8, 50))
    result = sweep_at(at(2025, 5, 12, 9, 1))
    assert [(a.dispatch.role, a.kind) for a in result.sent] == [("lead", "overdue")]
    s = Supervision.objects.get(dispatch=by_role["lead"])
    assert (s.source, s.stage, s.department.code, s.due_at) == (SupervisionSource.AUTO, "accept", "cg",
                                                                  at(2025, 5, 12, 9, 0))
    assert AlertSent.objects.get(dispatch=by_role["lead"], kind="overdue").supervision == s
    assert recipients("overdue") == ["dd"]  # the command centre (zhzx)
    assert recipients("supervision") == ["cg1", "cg2"]
    assert "超期" in Notification.objects.filter(kind="overdue").first().message


@pytest.mark.django_db
def test_it_fires_the_feedback_stage_on_its_own_due_time(world):
    by_role = whistle(world)
    with time_machine.travel(at(2025, 5, 12, 8, 40), tick=False):
        do_accept(by_role["lead"], world.users["cg"])
    sweep_at(at(2025, 5, 12, 10, 59))
    assert not AlertSent.objects.filter(dispatch=by_role["lead"]).exists()
    sweep_at(at(2025, 5, 12, 11, 0))  # 60 of 240 working minutes left
    assert list(AlertSent.objects.filter(dispatch=by_role["lead"]).values_list("stage", "kind")) == [
        ("feedback", "near")]
    sweep_at(at(2025, 5, 12, 12, 1))
    assert sorted(AlertSent.objects.filter(dispatch=by_role["lead"]).values_list("stage", "kind")) == [
        ("feedback", "near"), ("feedback", "overdue")]


@pytest.mark.django_db
def test_repeated_sweeps_send_each_alert_once(world):
    whistle(world)
    first = sweep_at(at(2025, 5, 12, 9, 1))
    again = [sweep_at(at(2025, 5, 12, 9, minute)) for minute in (2, 3, 30)]
    assert len(first.sent) == 2 and all(r.sent == [] for r in again)
    assert AlertSent.objects.count() == 2 and Supervision.objects.count() == 2
    assert Notification.objects.filter(kind="overdue").count() == 2


@pytest.mark.django_db
def test_a_stage_first_seen_overdue_gets_only_the_escalation(world):
    whistle(world)
    sweep_at(at(2025, 5, 12, 9, 30))  # the worker was down through the near-overdue window
    assert {k for _, _, k in sent()} == {"overdue"}


@pytest.mark.django_db
def test_it_sends_nothing_for_a_stage_that_ended_between_the_scan_and_the_send(world):
    by_role = whistle(world)
    with time_machine.travel(at(2025, 5, 12, 8, 50), tick=False):
        todo = due_alerts()
        do_accept(by_role["lead"], world.users["cg"])  # accepted just after the scan
        sent_now = [alert_actions.do_send_alert(*t) for t in todo]
    assert (by_role["lead"].pk, "accept", "near") in todo
    assert not AlertSent.objects.filter(dispatch=by_role["lead"]).exists()
    assert len([a for a in sent_now if a is not None]) == 1  # the assist's


@pytest.mark.django_db
def test_a_sweep_that_dies_half_way_leaves_nothing_claimed_and_the_next_one_sends_it(world, monkeypatch):
    whistle(world)
    real_notify = alert_actions.notify
    calls = {"n": 0}

    def dying_notify(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real_notify(*args, **kwargs)

    monkeypatch.setattr(alert_actions, "notify", dying_notify)
    first = sweep_at(at(2025, 5, 12, 8, 50))
    assert first.failed == 1 and len(first.sent) == 1 and AlertSent.objects.count() == 1
    monkeypatch.setattr(alert_actions, "notify", real_notify)  # "restart"
    second = sweep_at(at(2025, 5, 12, 8, 55))
    assert len(second.sent) == 1 and AlertSent.objects.count() == 2
    assert sweep_at(at(2025, 5, 12, 8, 56)).sent == []
    assert recipients("near_overdue") == ["cg1", "cg2", "gaj1"]  # each once


@pytest.mark.django_db
def test_run_alerts_once_does_one_sweep(world):
    whistle(world)
    out = StringIO()
    call_command("run_alerts_once", "--at", "2025-05-12T09:01+08:00", stdout=out)
    assert out.getvalue().strip() == "candidates=2 near=0 overdue=2 failed=0"
    call_command("run_alerts_once", "--at", "2025-05-12T09:02+08:00", stdout=out)
    assert AlertSent.objects.count() == 2


# --- two workers at once (real threads, real transactions) ------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_never_send_twice(world):
    for hour in (9, 10):
        whistle(world, at(2025, 5, 8, hour, 0))  # Thursday: both stages overdue by Monday
    whistle(world)
    ensure_warning_tables()
    now = at(2025, 5, 12, 9, 1)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(run_sweep(now))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and len(results) == 2
    # 2 Thursday cases × (lead, assist) × (accept, feedback) + Friday's (lead, assist) accept = 10
    assert results[0].candidates == results[1].candidates == 10  # both saw every alert...
    assert len(results[0].sent) + len(results[1].sent) == 10  # ...and between them sent each once
    assert AlertSent.objects.count() == 10
    assert sorted(AlertSent.objects.values_list("dispatch_id", "stage", "kind")) == sorted(
        set(AlertSent.objects.values_list("dispatch_id", "stage", "kind")))
    assert Supervision.objects.count() == 10
    assert Notification.objects.filter(kind="overdue").count() == 10


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_sends_of_one_alert_send_it_once(world):
    lead = whistle(world)["lead"]
    ensure_warning_tables()
    now = at(2025, 5, 12, 9, 1)
    n = 4
    barrier = threading.Barrier(n)
    got = []

    def worker():
        try:
            barrier.wait(timeout=10)
            got.append(alert_actions.do_send_alert(lead.pk, "accept", "overdue", now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(got) == n and len([a for a in got if a is not None]) == 1
    assert Supervision.objects.filter(dispatch=lead).count() == 1
    assert recipients("supervision") == ["cg1", "cg2"]


# --- the real queue ---------------------------------------------------------------------------------

def test_the_sweep_is_a_periodic_procrastinate_task_every_minute():
    from procrastinate.contrib.django import app

    periodic = {p.task.name: p for p in app.periodic_registry.periodic_tasks.values()}
    assert periodic["alerts.sweep"].cron == "* * * * *"
    assert periodic["notifications.retry"].cron == "* * * * *"


@pytest.mark.django_db(transaction=True)
def test_the_procrastinate_worker_runs_the_sweep_job_on_postgresql(world, empty_queue):
    from procrastinate.contrib.django import app
    from procrastinate.exceptions import AlreadyEnqueued

    from gridgov.alerts.tasks import sweep_alerts

    whistle(world, at(2025, 5, 8, 9, 0))  # long overdue by the real clock
    sweep_alerts.defer(timestamp=0)
    with pytest.raises(AlreadyEnqueued):  # one sweep job waiting at a time (queueing lock)
        sweep_alerts.defer(timestamp=0)
    with app.replace_connector(app.connector.get_worker_connector()):
        app.run_worker(queues=["alerts"], wait=False, install_signal_handlers=False, listen_notify=False)
    assert sorted(AlertSent.objects.values_list("kind", flat=True)) == ["overdue"] * 4  # 2 dispatches × 2 stages
    with connection.cursor() as cur:
        cur.execute("SELECT status, count(*) FROM procrastinate_jobs WHERE task_name = 'alerts.sweep' GROUP BY 1")
        # ours, and the one the worker's periodic deferrer added for this minute: both ran, neither re-sent
        statuses = dict(cur.fetchall())
    assert set(statuses) == {"succeeded"} and statuses["succeeded"] >= 1


# --- 督办 by hand and the department's answer -------------------------------------------------------

@pytest.mark.django_db
def test_the_command_centre_issues_a_supervision_notice_and_the_department_answers_it_once(world):
    from gridgov.alerts.actions import do_acknowledge_supervision, do_issue_supervision
    from gridgov.alerts.selectors import open_supervisions
    from gridgov.core.errors import FieldError

    by_role = whistle(world)
    with pytest.raises(FieldError) as exc:
        do_issue_supervision(by_role["lead"], world.users["cg"], "请尽快处理")
    assert exc.value.status == 403
    with pytest.raises(FieldError) as exc:
        do_issue_supervision(by_role["notified"], world.users["dispatcher"], "请尽快处理")
    assert exc.value.code == "not_handling"
    s = do_issue_supervision(by_role["lead"], world.users["dispatcher"], "群众多次来电，请今日处理")
    assert (s.source, s.department.code, s.due_at) == ("manual", "cg", by_role["lead"].accept_due)
    assert recipients("supervision") == ["cg1", "cg2"]
    assert list(open_supervisions([world.depts["cg"].pk])) == [s]
    with pytest.raises(FieldError) as exc:
        do_acknowledge_supervision(s, world.users["gaj"], "收到")
    assert exc.value.status == 403
    with pytest.raises(FieldError) as exc:
        do_acknowledge_supervision(s, world.users["cg"], "")
    assert exc.value.field == "response"
    done = do_acknowledge_supervision(s, world.users["cg"], "已安排人员今日到场")
    assert done.acknowledged_by == world.users["cg"] and list(open_supervisions()) == []
    with pytest.raises(FieldError) as exc:
        do_acknowledge_supervision(s, world.users["cg2"], "收到")
    assert (exc.value.status, exc.value.code) == (409, "already_acknowledged")
    assert DispatchEvent.objects.filter(action__in=["supervision", "supervision_answered"]).count() == 2
