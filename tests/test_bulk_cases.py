"""Bulk case creation (gridgov.cases.bulk) gives the same cases as a single report, refuses a bad batch
whole, and bulk dispatches (gridgov.dispatch.bulk) get the due times a single dispatch gets."""
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from gridgov.cases.bulk import BulkCase, do_bulk_create_cases
from gridgov.cases.models import NUMBER_ALPHABET, NUMBER_LENGTH, URGENCY_RANK, Case, CaseEvent, Category
from gridgov.departments.actions import do_create_department
from gridgov.departments.models import Kind
from gridgov.dispatch.actions import create_dispatches
from gridgov.dispatch.bulk import do_bulk_create_dispatches
from gridgov.dispatch.due import limits_for
from gridgov.dispatch.models import Dispatch
from gridgov.core.errors import FieldError
from gridgov.grids.locate import locate
from tests.factories import make_case

SHANGHAI = ZoneInfo("Asia/Shanghai")
# one point in each grid of the small county, and the urgency asked for (None: the category's default)
POINTS = [(119.005, 33.015, "E0101", None), (119.015, 33.015, "C0103", "urgent"),
          (119.005, 33.005, "S0101", "emergency"), (119.015, 33.005, "E0401", None)]
FIELDS = ("grid_id", "grid_code", "grid_name", "ancestors", "category_id", "urgency", "priority", "status",
          "input_datum", "input_lon", "input_lat", "repeat_count", "resolved_on_spot")


@pytest.fixture
def setup(county, categories, worker, media):
    return worker


def bulk_row(lon, lat, code, urgency, **kw):
    return BulkCase(client_uuid=uuid.uuid4(), lon=lon, lat=lat, category_id=Category.objects.get(code=code).pk,
                    urgency=urgency, channel="other", reported_at=datetime(2026, 11, 20, 9, tzinfo=SHANGHAI), **kw)


def is_case_number(number):
    return len(number) == NUMBER_LENGTH and set(number) <= set(NUMBER_ALPHABET)


def test_bulk_and_single_creation_give_the_same_grid_ancestors_priority_and_number_format(setup):
    single = [make_case(setup, lon, lat, category=code, **({"urgency": u} if u else {}))
              for lon, lat, code, u in POINTS]
    with transaction.atomic():
        result = do_bulk_create_cases(setup, [bulk_row(*p) for p in POINTS])
    assert result.created == len(POINTS) and result.outside == []
    bulk = list(Case.objects.exclude(pk__in=[c.pk for c in single]).order_by("id"))
    assert len(bulk) == len(POINTS)
    for one, many in zip(single, bulk):
        one.refresh_from_db()
        assert {f: getattr(many, f) for f in FIELDS} == {f: getattr(one, f) for f in FIELDS}
        assert is_case_number(one.number) and is_case_number(many.number)
        assert many.priority == URGENCY_RANK[many.urgency]
    assert [c.urgency for c in bulk] == ["normal", "urgent", "emergency", "normal"]
    # the audit trigger recorded each insert, attributed to the acting user
    events = CaseEvent.objects.filter(case_id__in=[c.pk for c in bulk], kind="created")
    assert {(e.actor_id, e.action) for e in events} == {(setup.pk, "do_bulk_create_cases")}
    assert events.count() == len(bulk)


@pytest.mark.parametrize("bad, field, code", [
    ({"category_id": 999_999}, "rows[2].category", "unknown_category"),
    ({"urgency": "soon"}, "rows[2].urgency", "invalid_choice"),
    ({"lon": 120.5, "lat": 30.1}, "rows[2].lon", "outside_grids"),
    ({"status": "closed"}, "rows[2].closed_at", "required"),
])
def test_a_bad_row_refuses_the_whole_batch_naming_the_row_and_the_field(setup, bad, field, code):
    rows = [bulk_row(*p) for p in POINTS]
    for name, value in bad.items():
        setattr(rows[2], name, value)
    before = Case.objects.count()
    with pytest.raises(FieldError) as exc:
        with transaction.atomic():
            do_bulk_create_cases(setup, rows)
    assert (exc.value.field, exc.value.code, exc.value.extra["row"]) == (field, code, 2)
    assert "第 2 行" in exc.value.message_zh
    assert Case.objects.count() == before


def test_an_inactive_or_group_category_refuses_the_batch(setup):
    rows = [bulk_row(*p) for p in POINTS]
    rows[1].category_id = Category.objects.get(code="E01").pk
    with pytest.raises(FieldError) as exc, transaction.atomic():
        do_bulk_create_cases(setup, rows)
    assert (exc.value.field, exc.value.code) == ("rows[1].category", "not_a_subcategory")
    Category.objects.filter(code="C0103").update(is_active=False)
    with pytest.raises(FieldError) as exc, transaction.atomic():
        do_bulk_create_cases(setup, [bulk_row(*p) for p in POINTS])
    assert (exc.value.field, exc.value.code) == ("rows[1].category", "inactive_category")
    assert not Case.objects.exists()


def test_outside_points_can_be_skipped_and_are_named(setup):
    rows = [bulk_row(*p) for p in POINTS] + [bulk_row(120.5, 30.1, "E0101", None)]
    with transaction.atomic():
        result = do_bulk_create_cases(setup, rows, outside="skip")
    assert (result.created, result.outside) == (4, [4])


@pytest.mark.parametrize("local", [datetime(2026, 11, 20, 16, 50), datetime(2026, 11, 21, 10, 0),
                                   datetime(2026, 11, 19, 11, 59)])
def test_bulk_dispatches_get_the_due_times_of_a_single_dispatch(setup, local):
    dept = do_create_department(name="城管局", code="cg", kind=Kind.BUREAU, jurisdiction=["320831"])
    start = local.replace(tzinfo=SHANGHAI)
    def made():
        return [make_case(setup, lon, lat, category=code, **({"urgency": u} if u else {})) for lon, lat, code, u in POINTS]

    alone, cases = made(), made()  # the same reports twice: one lead dispatch per case
    with transaction.atomic():
        single = [create_dispatches(c, setup, start, lead=dept)[0] for c in alone]
    with transaction.atomic():
        written = do_bulk_create_dispatches((
            "INSERT INTO dispatch_bulk_stage (idx, case_id, department_id, role, state, dispatched_at)"
            " SELECT id, id, %s, 'lead', 'whistled', %s FROM cases_case WHERE id = ANY(%s)",
            [dept.pk, start, [c.pk for c in cases]]))
    assert written == len(cases)
    bulk = {d.case_id: d for d in Dispatch.objects.filter(case__in=cases)}
    due = ("accept_due", "feedback_due", "response_limit_amount", "response_limit_unit", "handling_limit_amount",
           "handling_limit_unit")
    for one, c in zip(single, cases):
        assert {f: getattr(bulk[c.pk], f) for f in due} == {f: getattr(one, f) for f in due}
        assert one.accept_due is not None and one.feedback_due is not None
    for c in cases:  # and every one is the rule's answer for its category and urgency
        accept, feedback = limits_for(c.category, c.urgency).due_times(start)
        assert (bulk[c.pk].accept_due, bulk[c.pk].feedback_due) == (accept, feedback)


def test_the_synthetic_load_is_numbered_located_and_due_like_single_cases(setup):
    from maps.actions import do_seed_synthetic_cases

    do_create_department(name="城管局", code="cg", kind=Kind.BUREAU, jurisdiction=["320831"])
    out = do_seed_synthetic_cases(400, days=60, seed=3)
    cases = list(Case.objects.select_related("category"))
    assert out["cases"] == len(cases) > 300
    chains = {}
    for c in cases:
        assert is_case_number(c.number) and c.priority == URGENCY_RANK[c.urgency]
        if c.grid_id not in chains:
            located = locate(c.point.x, c.point.y)
            chains[c.grid_id] = (located.grid_id, [{"code": a.code, "name": a.name, "level": a.level}
                                                   for a in located.ancestors])
        assert chains[c.grid_id] == (c.grid_id, c.ancestors)
    dispatches = list(Dispatch.objects.select_related("case__category"))
    assert out["dispatches"] == len(dispatches) > 0
    for d in dispatches:
        assert (d.accept_due, d.feedback_due) == limits_for(d.case.category, d.case.urgency).due_times(d.dispatched_at)
