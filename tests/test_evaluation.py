"""Evaluation figures on a constructed June 2025 with answers worked out by hand (docs/evaluation.md):
timely acceptance, on-time closure with suspended cases out of the denominator, closure, rework, bounce,
satisfaction (reporter's rating over the verifier's), mean handling time, ranking, CSV/XLSX, API."""
import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from gridgov.cases.models import Case, Status
from gridgov.dispatch.models import Dispatch, DispatchEvent, State, Suspension, SuspensionStatus
from gridgov.core.errors import FieldError
from gridgov.evaluation.actions import do_rate_case
from gridgov.evaluation.export import to_csv, to_xlsx
from gridgov.evaluation.metrics import evaluate
from gridgov.evaluation.models import Rating
from gridgov.evaluation.ranking import ranking
from tests.dispatch_helpers import TOWN, build_world

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
JUNE = ("2025-06-01", "2025-06-30")


def t(month, day, hour, minute=0):
    return datetime(2025, month, day, hour, minute, tzinfo=SH)


def mk(world, dept, case=None, role="lead", **fields):
    case = case or world.case()
    fields.setdefault("state", State.WHISTLED)
    return Dispatch.objects.create(case=case, department=world.depts[dept], role=role, **fields)


def event(d, action, when):
    DispatchEvent.objects.create(case=d.case, dispatch=d, at=when, action=action)


def close_case(case, when):
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED, closed_at=when)


def rate(world, case, source, level):
    Rating.objects.create(case=case, source=source, level=level, rated_by=world.users["dispatcher"],
                          rated_at=case.closed_at or t(6, 28, 9))


@pytest.fixture
def june(county, categories, media):
    """Department cg (A) and hw (B). Every figure below is asserted in the tests."""
    w = build_world()
    # a1: accepted on time, fed back and verified on time, closed.
    a1 = mk(w, "cg", dispatched_at=t(6, 10, 9), accept_due=t(6, 10, 10), accepted_at=t(6, 10, 9, 30),
            feedback_due=t(6, 11, 17, 30), fed_back_at=t(6, 11, 16), verified_at=t(6, 11, 17),
            closed_at=t(6, 12, 10), state=State.CLOSED)
    event(a1, "verify_pass", t(6, 11, 17))
    # a2: accepted late; first feedback failed verification (返工), fed back again after the due time.
    a2 = mk(w, "cg", dispatched_at=t(6, 10, 9), accept_due=t(6, 10, 10), accepted_at=t(6, 10, 11),
            feedback_due=t(6, 12, 17, 30), fed_back_at=t(6, 13, 9), verified_at=t(6, 13, 11), rework_count=1,
            state=State.VERIFIED)
    event(a2, "verify_fail", t(6, 12, 15))
    event(a2, "verify_pass", t(6, 13, 11))
    # a3: accepted on time, then suspended (缓办) with approval and never resumed: out of the denominator.
    a3 = mk(w, "cg", dispatched_at=t(6, 16, 9), accept_due=t(6, 16, 10), accepted_at=t(6, 16, 9, 10),
            feedback_due=t(6, 18, 17, 30), state=State.SUSPENDED, suspended_from=State.ACCEPTED)
    Suspension.objects.create(dispatch=a3, kind="defer", reason="等待汛期结束", status=SuspensionStatus.APPROVED,
                              requested_by=w.users["cg"], requested_at=t(6, 17, 9), decided_by=w.users["dispatcher"],
                              decided_at=t(6, 17, 10))
    # a4: returned (退回) without accepting, re-routed: a bounce; not judged on acceptance or closure.
    mk(w, "cg", dispatched_at=t(6, 16, 9), accept_due=t(6, 16, 10), returned_at=t(6, 16, 9, 40),
       return_reason="不属于本部门职责", feedback_due=t(6, 18, 17, 30), state=State.REROUTED)
    # a5: never accepted; both due times passed.
    mk(w, "cg", dispatched_at=t(6, 20, 9), accept_due=t(6, 20, 10), feedback_due=t(6, 24, 17, 30))
    # a6: dispatched in May, due and closed in June, on time.
    a6 = mk(w, "cg", dispatched_at=t(5, 30, 9), accept_due=t(5, 30, 10), accepted_at=t(5, 30, 9, 20),
            feedback_due=t(6, 3, 17, 30), fed_back_at=t(6, 3, 10), verified_at=t(6, 3, 11), closed_at=t(6, 3, 15),
            state=State.CLOSED)
    event(a6, "verify_pass", t(6, 3, 11))
    # a7: dispatched in June, accepted on time, due in July.
    mk(w, "cg", dispatched_at=t(6, 27, 9), accept_due=t(6, 27, 10), accepted_at=t(6, 27, 9, 20),
       feedback_due=t(7, 2, 17, 30), state=State.ACCEPTED)
    # b1: department hw assists on a1's case, all on time.
    b1 = mk(w, "hw", case=a1.case, role="assist", dispatched_at=t(6, 10, 9), accept_due=t(6, 10, 10),
            accepted_at=t(6, 10, 9, 5), feedback_due=t(6, 11, 17, 30), fed_back_at=t(6, 11, 12),
            verified_at=t(6, 11, 13), closed_at=t(6, 12, 10), state=State.CLOSED)
    event(b1, "verify_pass", t(6, 11, 13))
    # b2: hw accepted on time, then returned it (after accepting).
    mk(w, "hw", dispatched_at=t(6, 18, 9), accept_due=t(6, 18, 10), accepted_at=t(6, 18, 9, 30),
       returned_at=t(6, 18, 10), return_reason="属供水公司", feedback_due=t(6, 20, 17, 30), state=State.REROUTED)
    # A notified (知会) department is never evaluated.
    mk(w, "scjg", case=a1.case, role="notified", dispatched_at=t(6, 10, 9), accept_due=t(6, 10, 10))
    close_case(a1.case, t(6, 12, 10))
    close_case(a6.case, t(6, 3, 15))
    a1.case.refresh_from_db()
    a6.case.refresh_from_db()
    rate(w, a1.case, "reporter", "satisfied")
    rate(w, a1.case, "verifier", "dissatisfied")  # the reporter's rating wins
    rate(w, a6.case, "verifier", "dissatisfied")  # no reporter's rating: the verifier's counts
    return w


def by_key(rows):
    return {r.key: r for r in rows}


def test_it_computes_each_department_figure_from_the_constructed_month(june):
    a = by_key(evaluate(*JUNE, by="department"))["cg"]
    assert (a.dispatched, a.accept_counted, a.accepted_on_time) == (6, 5, 3)  # a4 (returned) not judged
    assert (a.due, a.suspended, a.closed_on_time, a.closed) == (5, 1, 2, 2)  # a1 a2 a3 a5 a6; a3 suspended
    assert (a.verified, a.reworked, a.returned) == (3, 1, 1)
    assert (a.rated, a.satisfied) == (2, 1)
    assert a.rates == {"timely_acceptance_rate": 0.6, "on_time_closure_rate": 0.5, "closure_rate": 0.5,
                       "rework_rate": 0.3333, "bounce_rate": 0.1667, "satisfaction_rate": 0.5}
    # (31 h + 72 h + 97 h) / 3; working hours (13 + 22.5 + 8.5) / 3 — 2 June 2025 is the Dragon Boat holiday
    assert a.handled == 3 and a.mean_handling_hours == 66.67 and a.mean_handling_work_hours == 14.67


def test_it_keeps_departments_apart_and_ignores_notified_dispatches(june):
    rows = by_key(evaluate(*JUNE, by="department"))
    b = rows["hw"]
    assert (b.dispatched, b.accept_counted, b.accepted_on_time, b.returned) == (2, 2, 2, 1)
    assert (b.due, b.suspended, b.closed_on_time, b.closed, b.verified, b.reworked) == (1, 0, 1, 1, 1, 0)
    assert (b.rated, b.satisfied, b.mean_handling_hours, b.mean_handling_work_hours) == (1, 1, 27.0, 10.5)
    assert b.rates["bounce_rate"] == 0.5 and b.rates["timely_acceptance_rate"] == 1.0
    scjg = rows["scjg"]
    assert (scjg.dispatched, scjg.due, scjg.rates["timely_acceptance_rate"]) == (0, 0, None)
    assert "zhzx" not in rows  # the command centre is not ranked


def test_it_counts_a_street_once_per_case_for_satisfaction(june):
    s = by_key(evaluate(*JUNE, by="street"))[TOWN]
    assert s.name == "测试镇"
    assert (s.dispatched, s.accept_counted, s.accepted_on_time, s.returned) == (8, 7, 5, 2)
    assert (s.due, s.suspended, s.closed_on_time, s.closed) == (6, 1, 3, 3)
    assert (s.verified, s.reworked, s.rated, s.satisfied) == (4, 1, 2, 1)
    assert s.rates["on_time_closure_rate"] == 0.6 and s.rates["closure_rate"] == 0.6
    assert s.mean_handling_hours == 56.75 and s.mean_handling_work_hours == 13.62


def test_a_suspension_that_ended_before_the_period_end_counts_normally(june):
    Suspension.objects.filter(status=SuspensionStatus.APPROVED).update(status=SuspensionStatus.ENDED,
                                                                      resumed_at=t(6, 19, 9))
    a = by_key(evaluate(*JUNE))["cg"]
    assert (a.due, a.suspended) == (5, 0) and a.rates["on_time_closure_rate"] == 0.4


def test_a_period_in_progress_judges_only_what_was_due_by_now(june):
    a = by_key(evaluate(*JUNE, now=t(6, 20, 9, 30)))["cg"]
    # a5 was dispatched at 09:00 with acceptance due at 10:00: not judged yet; a7 and a5's feedback neither.
    assert (a.accept_counted, a.accepted_on_time) == (3, 2)
    assert (a.due, a.suspended) == (4, 1)


def test_it_ranks_by_the_weighted_score(june, settings):
    rows = ranking(*JUNE)
    assert [(r.key, r.rank, r.score) for r in rows[:2]] == [("hw", 1, 97.5), ("cg", 2, 55.0)]
    assert all(r.rank is None and r.score is None for r in rows[2:])  # no activity: listed, not ranked
    settings.GRIDGOV_EVALUATION_WEIGHTS = {"bounce_rate": 1.0}
    rows = ranking(*JUNE)
    assert [(r.key, r.score) for r in rows[:2]] == [("cg", 83.33), ("hw", 50.0)]


def test_it_exports_csv_and_xlsx(june):
    rows = ranking(*JUNE)
    table = list(csv.reader(io.StringIO(to_csv(rows).decode("utf-8-sig"))))
    assert table[0][:5] == ["排名", "编码", "名称", "综合得分", "及时受理率"]
    assert table[1][:5] == ["1", "hw", "部门hw", "97.5", "100.00%"]
    wb = load_workbook(io.BytesIO(to_xlsx(rows)))
    ws = wb.active
    assert ws["A1"].value == "排名" and ws["B3"].value == "cg" and ws["E3"].value == 0.6
    assert ws["E3"].number_format == "0.00%"


def test_the_api_serves_json_csv_and_xlsx_to_the_command_centre_only(june):
    client = APIClient()
    client.force_authenticate(june.users["dispatcher"])
    r = client.get("/api/v1/evaluation/", {"period_start": JUNE[0], "period_end": JUNE[1], "by": "department"})
    assert r.status_code == 200
    assert r.json()["results"][0]["key"] == "hw" and r.json()["results"][1]["on_time_closure_rate"] == 0.5
    r = client.get("/api/v1/evaluation/", {"period_start": JUNE[0], "period_end": JUNE[1], "format": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert 'filename="evaluation-department-20250601-20250630.csv"' in r["Content-Disposition"]
    r = client.get("/api/v1/evaluation/", {"period_start": JUNE[0], "period_end": JUNE[1], "by": "street",
                                           "format": "xlsx"})
    assert r.status_code == 200 and load_workbook(io.BytesIO(r.content)).active["B2"].value == TOWN
    r = client.get("/api/v1/evaluation/", {"period_start": "2025-06-31", "period_end": JUNE[1]})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "period_start"
    r = client.get("/api/v1/evaluation/", {"period_start": JUNE[0], "period_end": JUNE[1], "by": "grid"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "by"
    worker = APIClient()
    worker.force_authenticate(june.users["cg"])
    assert worker.get("/api/v1/evaluation/", {"period_start": JUNE[0], "period_end": JUNE[1]}).status_code == 403


def test_ratings_once_per_source_after_verification(june):
    case = june.case()
    with pytest.raises(FieldError) as exc:
        do_rate_case(case, june.users["worker"], "reporter", "satisfied")
    assert (exc.value.status, exc.value.code) == (409, "not_handled")
    close_case(case, t(6, 28, 9))
    r = do_rate_case(case, june.users["worker"], "reporter", "basic", "处理及时")
    assert r.level == "basic"
    with pytest.raises(FieldError) as exc:
        do_rate_case(case, june.users["worker"], "reporter", "satisfied")
    assert exc.value.code == "already_rated"
    with pytest.raises(FieldError) as exc:
        do_rate_case(case, june.users["cg"], "verifier", "satisfied")
    assert exc.value.status == 403
    with pytest.raises(FieldError) as exc:
        do_rate_case(case, june.users["dispatcher"], "verifier", "great")
    assert exc.value.field == "level"
    api = APIClient()
    api.force_authenticate(june.users["dispatcher"])
    r = api.post("/api/v1/evaluation/ratings/", {"case": case.number, "source": "verifier", "level": "satisfied"},
                 format="json")
    assert r.status_code == 201 and Rating.objects.filter(case=case).count() == 2


def test_working_hours_are_not_guessed_for_a_period_older_than_the_calendar_table(june):
    a = by_key(evaluate(*JUNE, now=t(6, 30, 12).replace(year=2028)))["cg"]
    assert a.mean_handling_hours == 66.67 and a.mean_handling_work_hours is None
