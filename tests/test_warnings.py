"""Warnings: four colours from category / departments / diversion, near-overdue and overdue per stage from
the stored due times, counted in working time on the Chinese calendar, thresholds from settings."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from gridgov.alerts.warnings import annotate_case_warning, annotate_warning, warning_for, with_warnings
from gridgov.alerts.worktime import ensure_warning_tables
from gridgov.cases.models import Case, Category
from gridgov.departments.actions import do_create_department
from gridgov.departments.models import Kind
from gridgov.dispatch.actions import (do_accept, do_approve_suspension, do_feed_back, do_request_suspension,
                                      do_reroute, do_start, do_whistle)
from gridgov.dispatch.models import Dispatch, Role
from gridgov.workcal.deadlines import working_minutes_between
from gridgov.workcal.models import CalendarDay
from tests.dispatch_helpers import COUNTY, build_world, photo

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def world(county, categories, media):
    return build_world()


def whistled_at(world, moment, category="E0101"):
    return do_whistle(world.case(category=category), world.users["worker"], now=moment)


def levels(dispatch, now):
    d = annotate_warning(Dispatch.objects.filter(pk=dispatch.pk), now).get()
    return d.accept_level, d.feedback_level, d.warning_level


def sql_work_minutes(a, b):
    with connection.cursor() as cur:
        cur.execute("SELECT alerts_work_minutes_at(%s) - alerts_work_minutes_at(%s)", [b, a])
        return cur.fetchone()[0]


# --- working time in SQL ---------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [
    (at(2025, 5, 9, 17, 0), at(2025, 5, 12, 9, 0)),       # Friday evening → Monday morning
    (at(2025, 5, 9, 12, 30), at(2025, 5, 9, 14, 0)),      # across lunch
    (at(2025, 9, 26, 10, 0), at(2025, 10, 11, 9, 0)),     # National Day 2025 with 调休 Sunday 28 Sep, Saturday 11 Oct
    (at(2026, 2, 13, 16, 0), at(2026, 2, 24, 10, 0)),     # Spring Festival 2026, 调休 Saturday 14 Feb
    (at(2025, 5, 10, 3, 0), at(2025, 5, 10, 23, 0)),      # a Saturday: nothing
])
def test_it_counts_working_minutes_in_sql_like_the_workcal_library(db, a, b):
    ensure_warning_tables()
    assert sql_work_minutes(a, b) == pytest.approx(working_minutes_between(a, b))


def test_it_rebuilds_the_calendar_table_when_an_admin_adds_a_day_off(db):
    ensure_warning_tables()
    a, b = at(2025, 5, 12, 8, 0), at(2025, 5, 13, 8, 0)
    assert sql_work_minutes(a, b) == 450  # 08:30–12:00 + 13:30–17:30
    CalendarDay.objects.create(date=a.date(), is_workday=False, note="临时放假")
    assert ensure_warning_tables() is True
    assert sql_work_minutes(a, b) == 0
    assert ensure_warning_tables() is False  # nothing changed since


# --- near-overdue and overdue per stage ------------------------------------------------------------

def test_it_counts_near_overdue_in_working_time_not_over_the_weekend(world):
    # E0101 暴露垃圾: accept within 1 working hour, handle within 4. Whistled Friday 17:00:
    # accept due Monday 09:00, feedback due Monday 12:00 (30 minutes left on Friday).
    lead = next(d for d in whistled_at(world, at(2025, 5, 9, 17, 0)).dispatches if d.role == Role.LEAD)
    assert lead.accept_due == at(2025, 5, 12, 9, 0) and lead.feedback_due == at(2025, 5, 12, 12, 0)
    assert levels(lead, at(2025, 5, 10, 12, 0)) == ("ok", "ok", "ok")  # Saturday: 60 of 60 minutes left
    assert levels(lead, at(2025, 5, 12, 8, 44)) == ("ok", "ok", "ok")  # 16 working minutes left > 15
    assert levels(lead, at(2025, 5, 12, 8, 45)) == ("near", "ok", "near")  # last quarter of the hour
    assert levels(lead, at(2025, 5, 12, 9, 0)) == ("near", "ok", "near")  # due now, not past
    assert levels(lead, at(2025, 5, 12, 9, 1)) == ("overdue", "ok", "overdue")
    assert levels(lead, at(2025, 5, 12, 11, 0)) == ("overdue", "near", "overdue")  # 60 of 240 left
    assert levels(lead, at(2025, 5, 12, 12, 1)) == ("overdue", "overdue", "overdue")


def test_it_reads_the_near_fraction_and_floor_from_settings(world, settings):
    lead = next(d for d in whistled_at(world, at(2025, 5, 9, 17, 0)).dispatches if d.role == Role.LEAD)
    settings.GRIDGOV_WARNING_NEAR_FRACTION = 0.5
    assert levels(lead, at(2025, 5, 12, 8, 44))[0] == "near"  # 16 ≤ 30
    assert levels(lead, at(2025, 5, 9, 17, 29))[0] == "ok"  # 31 working minutes left
    assert levels(lead, at(2025, 5, 10, 12, 0))[0] == "near"  # 30 left all weekend: warned before it
    settings.GRIDGOV_WARNING_NEAR_FRACTION = 0.0
    settings.GRIDGOV_WARNING_NEAR_MIN_MINUTES = 45
    assert levels(lead, at(2025, 5, 9, 17, 20))[0] == "near"  # 10 + 30 = 40 ≤ 45
    assert levels(lead, at(2025, 5, 9, 17, 10))[0] == "ok"  # 20 + 30 = 50 > 45


def test_it_stops_counting_the_accept_stage_once_accepted_and_all_stages_while_suspended(world):
    result = whistled_at(world, at(2025, 5, 9, 17, 0))
    lead = next(d for d in result.dispatches if d.role == Role.LEAD)
    do_accept(lead, world.users["cg"])
    lead.refresh_from_db()
    assert levels(lead, at(2025, 5, 12, 9, 30)) == ("none", "ok", "ok")
    s = do_request_suspension(lead, world.users["cg"], "defer", "等待产权单位确认")
    do_approve_suspension(s, world.users["dispatcher"])
    lead.refresh_from_db()
    assert levels(lead, at(2025, 5, 12, 13, 0)) == ("none", "none", "none")


def test_it_stops_the_feedback_stage_once_fed_back(world):
    lead = next(d for d in whistled_at(world, at(2025, 5, 9, 17, 0)).dispatches if d.role == Role.LEAD)
    do_accept(lead, world.users["cg"])
    do_start(lead, world.users["cg"])
    do_feed_back(lead, world.users["cg"], "已清运完毕", [photo()])
    assert levels(lead, at(2025, 5, 12, 13, 0)) == ("none", "none", "none")


def test_a_notified_department_has_only_the_accept_stage(world):
    notified = next(d for d in whistled_at(world, at(2025, 5, 9, 17, 0)).dispatches if d.role == Role.NOTIFIED)
    assert notified.feedback_due is None
    assert levels(notified, at(2025, 5, 12, 13, 0)) == ("overdue", "none", "overdue")


# --- colours ---------------------------------------------------------------------------------------

def colour_of_case(case):
    return annotate_case_warning(Case.objects.filter(pk=case.pk)).get().warning_colour


def test_it_takes_the_category_colour_and_raises_it_for_several_departments(world):
    case = world.case(category="E0101")
    assert colour_of_case(case) == "blue"  # category colour, not yet dispatched
    do_whistle(case, world.users["worker"])  # lead 城管 + assist 公安
    assert colour_of_case(case) == "yellow"


def test_it_never_lowers_a_red_or_orange_category(world):
    assert colour_of_case(world.case(category="S0303")) == "red"  # 投诉举报
    assert colour_of_case(world.case(category="S0103")) == "orange"  # 劳动争议及欠薪


def test_it_turns_orange_when_diverted_to_courts_or_arbitration(world):
    court = do_create_department(name="劳动仲裁院", code="ldzc", kind=Kind.DIVERSION, jurisdiction=[COUNTY])
    Category.objects.filter(code="E0103").update(warning_colour="blue")
    case = world.case(category="E0103")  # no rule: triage
    do_whistle(case, world.users["worker"])
    assert colour_of_case(case) == "blue"
    do_reroute(case, world.users["dispatcher"], lead=court, legal_basis="《劳动争议调解仲裁法》第五条")
    assert colour_of_case(case) == "orange"


def test_the_colour_rules_are_configurable(world, settings):
    case = world.case(category="E0101")
    do_whistle(case, world.users["worker"])
    settings.GRIDGOV_WARNING_MULTI_DEPT_COLOUR = ""
    assert colour_of_case(case) == "blue"
    Category.objects.filter(code="E0101").update(warning_colour="")
    Category.objects.filter(code="E01").update(warning_colour="")
    settings.GRIDGOV_WARNING_DEFAULT_COLOUR = "yellow"
    assert colour_of_case(case) == "yellow"


# --- the functions other pages call ----------------------------------------------------------------

def test_warning_for_and_with_warnings_agree_with_the_annotation(world):
    lead = next(d for d in whistled_at(world, at(2025, 5, 9, 17, 0)).dispatches if d.role == Role.LEAD)
    now = at(2025, 5, 12, 11, 0)
    w = warning_for(lead, now)
    assert (w.colour, w.level, w.accept_level, w.feedback_level, w.due) == (
        "yellow", "overdue", "overdue", "near", lead.accept_due)
    assert w.stage == "accept" and str(w.level_label) == "已超期" and str(w.colour_meaning) == "多部门协同"
    listed = with_warnings(Dispatch.objects.filter(case=lead.case).order_by("id"), now)
    assert [d.warning.level for d in listed] == ["overdue", "overdue", "overdue"]
    annotated = annotate_warning(Dispatch.objects.filter(pk=lead.pk), now).get()
    assert warning_for(annotated, now) == w


def test_the_case_level_is_the_worst_of_its_dispatches_and_filters_in_sql(world):
    result = whistled_at(world, at(2025, 5, 9, 17, 0))
    other = whistled_at(world, at(2025, 5, 12, 10, 0))
    now = at(2025, 5, 12, 9, 30)
    rows = dict(annotate_case_warning(Case.objects.all(), now).values_list("pk", "warning_level"))
    assert rows[result.whistle.case_id] == "overdue"
    assert rows[other.whistle.case_id] == "ok"
    overdue = annotate_warning(Dispatch.objects.all(), now).filter(warning_level="overdue")
    assert set(overdue.values_list("case_id", flat=True)) == {result.whistle.case_id}
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM alerts_dispatch_warnings(%s) WHERE level = 'overdue'", [now])
        assert cur.fetchone()[0] == 3


def test_it_costs_one_query_to_annotate_a_queue(world, django_assert_max_num_queries):
    for hour in (9, 10, 11):
        whistled_at(world, at(2025, 5, 12, hour, 0))
    ensure_warning_tables()
    with django_assert_max_num_queries(2):  # the freshness check + the queue
        rows = list(annotate_warning(Dispatch.objects.all(), at(2025, 5, 12, 15, 0)).order_by("-warning_rank"))
    assert len(rows) == 9 and rows[0].warning_level == "overdue"


def test_a_dispatch_whistled_after_now_is_not_overdue(world):
    lead = next(d for d in whistled_at(world, at(2025, 5, 12, 10, 0)).dispatches if d.role == Role.LEAD)
    assert levels(lead, at(2025, 5, 12, 10, 0) - timedelta(hours=1)) == ("ok", "ok", "ok")


def test_the_raw_sql_functions_agree_with_the_annotations(world):
    court = do_create_department(name="法院诉讼服务中心", code="fy", kind=Kind.DIVERSION, jurisdiction=[COUNTY])
    whistled_at(world, at(2025, 5, 9, 17, 0))
    whistled_at(world, at(2025, 5, 12, 9, 0), category="S0303")
    triaged = world.case(category="E0103")
    do_whistle(triaged, world.users["worker"], now=at(2025, 5, 12, 9, 0))
    do_reroute(triaged, world.users["dispatcher"], lead=court, legal_basis="《民事诉讼法》", now=at(2025, 5, 12, 9, 5))
    world.case(category="S0103")  # not sent out
    for now in (at(2025, 5, 12, 8, 50), at(2025, 5, 12, 9, 30), at(2025, 5, 12, 11, 30), at(2025, 5, 13, 9, 0)):
        orm = {c.pk: (c.warning_colour, c.warning_level) for c in annotate_case_warning(Case.objects.all(), now)}
        with connection.cursor() as cur:
            cur.execute("SELECT case_id, colour, level FROM alerts_case_warnings(%s)", [now])
            raw = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
        assert raw == orm
        orm_d = {d.pk: (d.warning_colour, d.accept_level, d.feedback_level, d.warning_level)
                 for d in annotate_warning(Dispatch.objects.all(), now)}
        with connection.cursor() as cur:
            cur.execute("SELECT dispatch_id, colour, accept_level, feedback_level, level "
                        "FROM alerts_dispatch_warnings(%s)", [now])
            assert {r[0]: tuple(r[1:]) for r in cur.fetchall()} == orm_d
    assert {v[0] for v in orm.values()} == {"yellow", "red", "orange"}


def test_an_empty_calendar_table_reads_ok_never_a_false_near(world):
    lead = next(d for d in whistled_at(world, at(2025, 5, 9, 17, 0)).dispatches if d.role == Role.LEAD)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM alerts_workperiod")
        cur.execute("SELECT accept_level, feedback_level FROM alerts_dispatch_warnings(%s) WHERE dispatch_id = %s",
                    [at(2025, 5, 10, 12, 0), lead.pk])
        assert cur.fetchone() == ("ok", "ok")


def test_the_map_wall_view_shows_the_same_colours_and_overdue_as_the_alerts_functions(world):
    court = do_create_department(name="法院诉讼服务中心", code="fy", kind=Kind.DIVERSION, jurisdiction=[COUNTY])
    long_ago = whistled_at(world, at(2025, 5, 9, 17, 0))            # overdue today, lead + assist → yellow
    fresh = do_whistle(world.case(category="S0303"), world.users["worker"])  # red, not yet due
    diverted = world.case(category="E0103")
    do_whistle(diverted, world.users["worker"])
    do_reroute(diverted, world.users["dispatcher"], lead=court, legal_basis="《民事诉讼法》")
    world.case(category="S0103")                                    # not sent out
    with connection.cursor() as cur:
        cur.execute("SELECT case_id, colour, level FROM alerts_case_warnings(now())")
        alerts = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
        cur.execute("SELECT case_id, colour, overdue FROM maps_case_warning WHERE is_open")
        wall = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
    assert set(wall) == set(alerts)
    for case_id, (colour, overdue) in wall.items():
        assert overdue == (alerts[case_id][1] == "overdue")
        assert colour == ("overdue" if overdue else alerts[case_id][0])
    assert wall[long_ago.whistle.case_id] == ("overdue", True)
    assert wall[fresh.whistle.case_id] == ("red", False)
    assert wall[diverted.pk] == ("orange", False)
