"""Dispatch lifecycle: whistle, the state machine (allowed and forbidden steps), returns and re-routes,
rework, suspension, closing, due times on the working calendar, escalation, audit trail."""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from gridgov.cases.models import Case, CaseEvent, Category, PhotoKind, Status
from gridgov.dispatch import transitions
from gridgov.dispatch.actions import (do_accept, do_approve_suspension, do_close, do_escalate, do_feed_back,
                                      do_file_case_by_command_centre, do_request_suspension, do_resume, do_return,
                                      do_reroute, do_start, do_verify, do_whistle)
from gridgov.dispatch.due import limits_for
from gridgov.dispatch.models import (Dispatch, DispatchEvent, Notification, Role, State, SuspensionStatus,
                                     TriageItem, TriageReason, Whistle, WhistleLevel)
from gridgov.core.errors import FieldError
from gridgov.workcal.deadlines import add_limit
from gridgov.workcal.limits import TimeLimit
from tests.dispatch_helpers import build_world, photo

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(county, categories, media):
    return build_world()


def lead_of(result):
    return next(d for d in result.dispatches if d.role == Role.LEAD)


def whistle(world, **kw):
    return do_whistle(world.case(**kw), world.users["worker"])


def to_fed_back(world, d):
    cg = world.users["cg"]
    do_accept(d, cg)
    do_start(d, cg)
    return do_feed_back(d, cg, "已清运完毕", [photo()])


def code_of(exc):
    return exc.value.status, exc.value.code


# --- whistle -----------------------------------------------------------------------------------------

def test_it_dispatches_one_per_department_with_role_rule_and_due_times(world):
    result = whistle(world)
    by_role = {d.role: d for d in result.dispatches}
    assert {r: d.department.code for r, d in by_role.items()} == {"lead": "cg", "assist": "gaj", "notified": "scjg"}
    lead = by_role["lead"]
    assert lead.state == State.WHISTLED and lead.rule == result.route.rule and lead.rule_version == 1
    assert lead.accept_due and lead.feedback_due and by_role["notified"].feedback_due is None
    case = Case.objects.get(pk=lead.case_id)
    assert case.status == Status.WHISTLED and Whistle.objects.get(case=case).level == WhistleLevel.ROUTINE
    assert set(Notification.objects.filter(kind="dispatched").values_list("recipient__username", flat=True)) == {
        "cg1", "cg2", "gaj1", "scjg1"}


def test_a_case_cannot_be_whistled_twice(world):
    result = whistle(world)
    with pytest.raises(FieldError) as exc:
        do_whistle(result.whistle.case, world.users["worker"])
    assert code_of(exc) == (409, "already_whistled")
    assert Dispatch.objects.count() == 3


def test_only_the_grids_worker_or_the_command_centre_may_whistle(world):
    case = world.case()
    with pytest.raises(FieldError) as exc:
        do_whistle(case, world.users["other_worker"])
    assert exc.value.status == 403
    with pytest.raises(FieldError):
        do_file_case_by_command_centre(case, world.users["worker"])
    result = do_file_case_by_command_centre(case, world.users["dispatcher"], level=WhistleLevel.KEY)
    assert result.whistle.source == "command" and result.whistle.level == "key"


# --- the state machine, table-driven -------------------------------------------------------------------

ALLOWED = {
    State.WHISTLED: {"accept", "return"},
    State.ACCEPTED: {"start", "return", "suspend"},
    State.IN_PROGRESS: {"feed_back", "suspend"},
    State.FED_BACK: {"verify_pass", "verify_fail"},
    State.VERIFIED: {"close"},
    State.REWORK: {"start", "suspend"},
    State.RETURNED: {"reroute"},
    State.SUSPENDED: {"resume"},
    State.CLOSED: set(),
    State.REROUTED: set(),
}


@pytest.mark.parametrize("state", list(ALLOWED))
def test_each_state_allows_exactly_its_transitions_for_a_lead(world, state):
    d = lead_of(whistle(world))
    Dispatch.objects.filter(pk=d.pk).update(state=state, suspended_from="accepted" if state == "suspended" else "")
    d.refresh_from_db()
    for name in transitions.TRANSITIONS:
        if name == "close_with_case":
            continue
        if name in ALLOWED[state]:
            transitions.check(d, name)
        else:
            with pytest.raises(FieldError) as exc:
                transitions.check(d, name)
            assert code_of(exc) == (409, "invalid_transition"), (state, name)
    assert set(transitions.allowed_actions(d)) == ALLOWED[state]


def test_a_forbidden_step_through_an_action_is_a_conflict_and_changes_nothing(world):
    d = lead_of(whistle(world))
    with pytest.raises(FieldError) as exc:
        do_feed_back(d, world.users["cg"], "已处理", [photo()])
    assert code_of(exc) == (409, "invalid_transition")
    d.refresh_from_db()
    assert d.state == State.WHISTLED and d.version == 1 and not d.feedback_photos.exists()


def test_a_notified_department_only_acknowledges(world):
    notified = next(d for d in whistle(world).dispatches if d.role == Role.NOTIFIED)
    do_accept(notified, world.users["scjg"])
    with pytest.raises(FieldError) as exc:
        do_start(notified, world.users["scjg"])
    assert exc.value.code == "not_for_role"


def test_only_members_of_the_department_act_on_its_dispatch(world):
    d = lead_of(whistle(world))
    for user in ("gaj", "worker", "dispatcher", "monitor"):
        with pytest.raises(FieldError) as exc:
            do_accept(d, world.users[user])
        assert exc.value.status == 403, user


def test_a_stale_version_is_a_conflict(world):
    d = lead_of(whistle(world))
    with pytest.raises(FieldError) as exc:
        do_accept(d, world.users["cg"], expected_version=7)
    assert code_of(exc) == (409, "stale_version")
    assert do_accept(d, world.users["cg"], expected_version=1).version == 2


def test_accepting_twice_names_who_accepted_first(world):
    d = lead_of(whistle(world))
    do_accept(d, world.users["cg"])
    with pytest.raises(FieldError) as exc:
        do_accept(d, world.users["cg2"])
    assert exc.value.status == 409 and "城管甲" in exc.value.message_zh and "签收" in exc.value.message_zh


# --- the closed loop -----------------------------------------------------------------------------------

def test_it_goes_from_whistle_to_closed_with_feedback_photos_and_verification(world):
    result = whistle(world)
    d = to_fed_back(world, lead_of(result))
    assert d.state == State.FED_BACK and d.feedback_text == "已清运完毕"
    assert [p.kind for p in d.feedback_photos.all()] == [PhotoKind.AFTER]
    assert Notification.objects.filter(kind="fed_back", recipient=world.users["worker"]).exists()
    do_verify(d, world.users["worker"], passed=True, note="现场已干净")
    case = do_close(d.case, world.users["dispatcher"], note="办结")
    assert case.status == Status.CLOSED and case.closed_at
    assert set(Dispatch.objects.filter(case=case).values_list("state", flat=True)) == {State.CLOSED}
    actions = list(DispatchEvent.objects.filter(dispatch=d).values_list("action", flat=True))
    assert actions == ["dispatch", "accept", "start", "feed_back", "verify_pass", "close"]


def test_feedback_needs_text_and_an_after_photo(world):
    d = lead_of(whistle(world))
    do_accept(d, world.users["cg"])
    do_start(d, world.users["cg"])
    with pytest.raises(FieldError) as exc:
        do_feed_back(d, world.users["cg"], "", [photo()])
    assert exc.value.field == "text"
    with pytest.raises(FieldError) as exc:
        do_feed_back(d, world.users["cg"], "已处理", [])
    assert (exc.value.field, exc.value.code) == ("photos", "required")


def test_close_needs_the_leads_work_verified(world):
    d = to_fed_back(world, lead_of(whistle(world)))
    with pytest.raises(FieldError) as exc:
        do_close(d.case, world.users["dispatcher"])
    assert code_of(exc) == (409, "not_verified")
    do_verify(d, world.users["worker"], passed=True)
    with pytest.raises(FieldError) as exc:
        do_close(d.case, world.users["cg"])
    assert exc.value.status == 403


def test_a_failed_verification_means_rework_then_in_progress_again(world):
    d = to_fed_back(world, lead_of(whistle(world)))
    with pytest.raises(FieldError) as exc:
        do_verify(d, world.users["worker"], passed=False)
    assert exc.value.field == "note"  # the reason is required
    d = do_verify(d, world.users["worker"], passed=False, note="垃圾未清完")
    assert d.state == State.REWORK and d.rework_count == 1
    assert Notification.objects.filter(kind="rework", recipient=world.users["cg"]).exists()
    d = do_start(d, world.users["cg"])
    assert d.state == State.IN_PROGRESS
    d = do_feed_back(d, world.users["cg"], "已全部清运", [photo()])
    assert do_verify(d, world.users["worker"], passed=True).state == State.VERIFIED


def test_a_worker_of_another_grid_cannot_verify(world):
    d = to_fed_back(world, lead_of(whistle(world)))
    with pytest.raises(FieldError) as exc:
        do_verify(d, world.users["other_worker"], passed=True)
    assert exc.value.status == 403


# --- returns and re-routing ----------------------------------------------------------------------------

def test_a_return_needs_a_reason(world):
    d = lead_of(whistle(world))
    for reason in ("", "  ", "x"):
        with pytest.raises(FieldError) as exc:
            do_return(d, world.users["cg"], reason)
        assert exc.value.field == "reason"
    d.refresh_from_db()
    assert d.state == State.WHISTLED and not TriageItem.objects.exists()


def test_every_bounce_is_counted_through_reroutes(world):
    d = lead_of(whistle(world))
    dispatcher, hw, cg = world.users["dispatcher"], world.depts["hw"], world.depts["cg"]
    do_return(d, world.users["cg"], "属环卫职责，非城管")
    item = TriageItem.objects.get(reason=TriageReason.RETURNED)
    assert item.dispatch_id == d.pk and item.resolved_at is None
    assert Notification.objects.filter(kind="returned", recipient=dispatcher).exists()
    [second] = do_reroute(d.case, dispatcher, lead=hw, note="改派环卫")
    d.refresh_from_db()
    assert d.state == State.REROUTED and second.bounce_count == 1 and second.rerouted_from_id == d.pk
    assert TriageItem.objects.get(pk=item.pk).resolved_at is not None
    do_accept(second, world.users["hw"])
    do_return(second, world.users["hw"], "应由城管执法")
    [third] = do_reroute(d.case, dispatcher, lead=cg, note="城管主办，不得再退")
    assert third.bounce_count == 2 and third.department == cg
    with pytest.raises(FieldError) as exc:
        do_reroute(d.case, dispatcher, lead=hw)
    assert code_of(exc) == (409, "nothing_to_reroute")


def test_a_reroute_needs_a_lead_when_the_lead_returned(world):
    d = lead_of(whistle(world))
    do_return(d, world.users["cg"], "不属本单位")
    with pytest.raises(FieldError) as exc:
        do_reroute(d.case, world.users["dispatcher"], assists=[world.depts["hw"]])
    assert (exc.value.field, exc.value.code) == ("lead", "required")
    with pytest.raises(FieldError) as exc:
        do_reroute(d.case, world.users["cg"], lead=world.depts["hw"])
    assert exc.value.status == 403


def test_a_case_no_rule_matches_is_routed_from_triage(world):
    result = whistle(world, category="S0101")
    assert result.triage.reason == TriageReason.NO_RULE and not result.dispatches
    [d] = do_reroute(result.whistle.case, world.users["dispatcher"], lead=world.depts["town"])
    assert d.role == Role.LEAD and d.rule is None and d.bounce_count == 0
    assert d.feedback_due == add_limit(d.dispatched_at, 10, "work_days")  # the category's limit


# --- suspension ----------------------------------------------------------------------------------------

def test_a_suspension_needs_a_reason_and_approval_and_resume_restores_the_state(world):
    d = lead_of(whistle(world))
    cg, dispatcher = world.users["cg"], world.users["dispatcher"]
    do_accept(d, cg)
    d = do_start(d, cg)
    with pytest.raises(FieldError) as exc:
        do_request_suspension(d, cg, "defer", "")
    assert exc.value.field == "reason"
    s = do_request_suspension(d, cg, "defer", "涉及产权争议，待法院判决")
    d.refresh_from_db()
    assert d.state == State.IN_PROGRESS and s.status == SuspensionStatus.PENDING
    with pytest.raises(FieldError) as exc:
        do_approve_suspension(s, cg)
    assert exc.value.status == 403
    with pytest.raises(FieldError) as exc:
        do_approve_suspension(s, dispatcher, approved=False)
    assert exc.value.field == "note"
    do_approve_suspension(s, dispatcher, approved=True)
    d.refresh_from_db()
    assert d.state == State.SUSPENDED and d.suspended_from == State.IN_PROGRESS
    with pytest.raises(FieldError):
        do_feed_back(d, cg, "已处理", [photo()])
    due_before = d.feedback_due
    d = do_resume(d, cg)
    assert d.state == State.IN_PROGRESS and d.suspended_from == ""
    assert d.feedback_due >= due_before
    s.refresh_from_db()
    assert s.status == SuspensionStatus.ENDED


def test_a_rejected_suspension_leaves_the_dispatch_working(world):
    d = lead_of(whistle(world))
    do_accept(d, world.users["cg"])
    s = do_request_suspension(d, world.users["cg"], "hang", "长期问题需挂账")
    with pytest.raises(FieldError) as exc:
        do_request_suspension(d, world.users["cg"], "hang", "再申请一次")
    assert code_of(exc) == (409, "suspension_exists")
    do_approve_suspension(s, world.users["dispatcher"], approved=False, note="可以办理，不予挂账")
    d.refresh_from_db()
    assert d.state == State.ACCEPTED


# --- due times -----------------------------------------------------------------------------------------

def test_due_times_are_utc_instants_matching_add_limit_over_a_make_up_working_sunday(world):
    # Friday 2025-01-24 17:00 in Shanghai: Saturday off, Sunday Jan 26 a 调休 working day, then Spring Festival.
    now = datetime(2025, 1, 24, 17, 0, tzinfo=SH)
    result = do_whistle(world.case(), world.users["worker"], now=now)
    d = Dispatch.objects.get(pk=lead_of(result).pk)
    assert d.accept_due.tzinfo == UTC and d.feedback_due.tzinfo == UTC
    # E0101: respond in 1 working hour, handle in 4: 30 min on Friday, the rest on Sunday morning.
    assert d.accept_due == add_limit(now, 1, "work_hours") == datetime(2025, 1, 26, 9, 0, tzinfo=SH)
    assert d.feedback_due == add_limit(now, 4, "work_hours") == datetime(2025, 1, 26, 12, 0, tzinfo=SH)
    with connection.cursor() as cur:  # stored as the instant, read back the same in UTC
        cur.execute("SELECT feedback_due AT TIME ZONE 'UTC' FROM dispatch_dispatch WHERE id = %s", [d.pk])
        assert cur.fetchone()[0] == datetime(2025, 1, 26, 4, 0)


def test_a_more_urgent_case_halves_the_limits_per_step(categories):
    e0101 = Category.objects.get(code="E0101")  # normal: 1 work_hour / 4 work_hours
    s0101 = Category.objects.get(code="S0101")  # normal: 1 work_day / 10 work_days
    assert limits_for(e0101, "normal").handling == TimeLimit(4, "work_hours")
    assert limits_for(e0101, "urgent").handling == TimeLimit(2, "work_hours")
    emergency = limits_for(e0101, "emergency")
    assert (emergency.response, emergency.handling, emergency.steps) == (
        TimeLimit(1, "work_hours"), TimeLimit(1, "work_hours"), 2)
    urgent = limits_for(s0101, "urgent")
    assert (urgent.response, urgent.handling) == (TimeLimit(4, "work_hours"), TimeLimit(5, "work_days"))
    manhole = Category.objects.get(code="C0101")  # default emergency already: not halved again
    assert limits_for(manhole, "emergency").handling == TimeLimit(6, "hours")


def test_the_rules_limits_win_over_the_categorys(world):
    from gridgov.dispatch.models import RoutingRule
    from gridgov.dispatch.rule_actions import do_save_rule, rule_input

    rule = RoutingRule.objects.get()
    do_save_rule(None, rule_input(rule, handling_limit=TimeLimit(2, "work_days")), rule=rule)
    now = datetime(2025, 9, 29, 10, 0, tzinfo=SH)  # National Day: Sep 30 is day 1, Oct 9 day 2
    d = lead_of(do_whistle(world.case(), world.users["worker"], now=now))
    assert d.feedback_due == datetime(2025, 10, 9, 17, 30, tzinfo=SH)
    assert (d.handling_limit_amount, d.handling_limit_unit) == (2, "work_days")
    assert d.accept_due == add_limit(now, 1, "work_hours")  # response: still the category's


# --- escalation ----------------------------------------------------------------------------------------

def test_escalation_moves_the_case_up_and_notifies_that_level(world):
    case = whistle(world).whistle.case
    w, made = do_escalate(case, world.users["worker"], note="社区协调不动")
    assert w.level == WhistleLevel.KEY
    assert [(d.department.code, d.role) for d in made] == [("town", "notified")]
    assert Notification.objects.filter(kind="escalated", recipient=world.users["town"]).exists()
    w, made = do_escalate(case, world.users["dispatcher"], expected_level="key")
    assert w.level == WhistleLevel.HARD and [d.department.code for d in made] == ["zhzx"]
    assert Notification.objects.filter(kind="escalated", recipient=world.users["dispatcher"]).exists()
    with pytest.raises(FieldError) as exc:
        do_escalate(case, world.users["dispatcher"])
    assert code_of(exc) == (409, "already_highest")
    assert list(DispatchEvent.objects.filter(case=case, action="escalate").values_list("data__to", flat=True)) == [
        "key", "hard"]


def test_an_escalation_on_a_stale_level_is_a_conflict(world):
    case = whistle(world).whistle.case
    do_escalate(case, world.users["worker"], expected_level="routine")
    with pytest.raises(FieldError) as exc:
        do_escalate(case, world.users["dispatcher"], expected_level="routine")
    assert code_of(exc) == (409, "stale_level")
    assert Whistle.objects.get(case=case).level == WhistleLevel.KEY


# --- audit ---------------------------------------------------------------------------------------------

def test_the_event_log_cannot_be_rewritten(world):
    d = lead_of(whistle(world))
    event = DispatchEvent.objects.filter(dispatch=d).first()
    with pytest.raises(Exception), transaction.atomic():
        DispatchEvent.objects.filter(pk=event.pk).update(note="改写")
    with pytest.raises(Exception), transaction.atomic():
        DispatchEvent.objects.filter(pk=event.pk).delete()


def test_the_case_audit_trail_records_whistle_and_close_with_the_actor(world):
    d = to_fed_back(world, lead_of(whistle(world)))
    do_verify(d, world.users["worker"], passed=True)
    do_close(d.case, world.users["dispatcher"])
    rows = CaseEvent.objects.filter(case_id=d.case_id, kind="updated").values_list("action", "actor_id", "after")
    by_action = {a: (actor, after) for a, actor, after in rows}
    assert by_action["do_whistle"] == (world.users["worker"].pk, {"status": "whistled"})
    assert by_action["do_close"][0] == world.users["dispatcher"].pk
    assert by_action["do_close"][1]["status"] == "closed"
    assert CaseEvent.objects.filter(case_id=d.case_id, kind="photo_added", action="do_feed_back").exists()
