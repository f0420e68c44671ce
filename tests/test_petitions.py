"""Petition matters and the petitioner file (issue 12, first part): registration on the case loop, ID numbers,
the person's file by keyed hash, merging, acceptance and the statutory clocks, repeat candidates."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gridgov.accounts.models import Role
from gridgov.cases.models import Case, CaseEvent, Channel
from gridgov.core.errors import Conflict, FieldError, Forbidden
from gridgov.petitions import identity
from gridgov.petitions.actions import (PersonInput, PetitionInput, do_confirm_repeat, do_decide_acceptance,
                                       do_extend_handling, do_merge_petitioners, do_register_petition)
from gridgov.petitions.models import Decision, PetitionLevel, PetitionMatter, PetitionParty, Petitioner
from gridgov.petitions.selectors import petitioner_file, repeat_candidates
from gridgov.workcal.deadlines import add_statutory_days
from tests.factories import make_user

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
IN_N1 = (119.005, 33.015)  # 北村一网格
ID_A = "11010519491231002X"  # the GB 11643 standard's own example
ID_B = "320831199001011234"


def valid_id(first17):
    return first17 + identity.check_digit(first17)


@pytest.fixture
def staff(county, categories):
    return make_user("xfstaff", Role.DISPATCHER, display_name="信访接待员")


def petition(people=None, **over):
    data = dict(lon=IN_N1[0], lat=IN_N1[1], category="S0103", description="某建筑公司拖欠农民工工资三个月未发放",
                channel=Channel.VISIT, nature="complain",
                people=people if people is not None else [PersonInput("王大力", id_number=ID_A, phone="13912345678")])
    data.update(over)
    return PetitionInput(**data)


def test_it_checks_the_id_number_check_digit():
    assert identity.normalise_id(ID_A) == ID_A
    assert identity.normalise_id(ID_A.lower()) == ID_A
    with pytest.raises(FieldError) as bad:
        identity.normalise_id(ID_A[:-1] + "3")
    assert (bad.value.field, bad.value.code) == ("id_number", "bad_check_digit")
    with pytest.raises(FieldError) as short:
        identity.normalise_id("1101051949123100")
    assert short.value.code == "invalid_format"


def test_it_registers_a_walk_in_petition_as_a_located_case_with_its_file(staff):
    received = datetime(2026, 9, 28, 10, 0, tzinfo=SH)
    matter = do_register_petition(staff, petition(received_at=received))
    case = Case.objects.get(pk=matter.pk)
    assert case.grid_code == "320831101001001" and case.channel == Channel.VISIT
    assert case.category.code == "S0103" and case.contact_name == "王大力"
    person = Petitioner.objects.get()
    assert person.id_masked == "110105********002X" and person.phone_masked == "139****5678"
    assert ID_A not in str(Petitioner.objects.values().get()) and "13912345678" not in str(
        Petitioner.objects.values().get())  # no clear number stored anywhere in the row
    # 15 days from 28 Sep: 13 Oct 2026 is a working day after the National Day holiday.
    assert matter.notice_due == datetime(2026, 10, 14, 0, 0, tzinfo=SH)
    assert CaseEvent.objects.filter(case_id=case.pk, kind="created", actor=staff).exists()


def test_a_bad_id_number_refuses_the_registration_and_writes_nothing(staff):
    with pytest.raises(FieldError) as bad:
        do_register_petition(staff, petition(people=[PersonInput("王大力", id_number=ID_A[:-1] + "1")]))
    assert bad.value.field == "people[0].id_number"
    assert not Case.objects.exists() and not Petitioner.objects.exists()


def test_a_failure_after_the_case_is_written_leaves_nothing(staff):
    same = PersonInput("王大力", id_number=ID_A)
    with pytest.raises(FieldError) as twice:
        do_register_petition(staff, petition(people=[same, PersonInput("王大力", id_number=ID_A, role="member")],
                                             head_count=2))
    assert twice.value.code == "same_person_twice"
    assert not Case.objects.exists() and not PetitionMatter.objects.exists() and not Petitioner.objects.exists()


@pytest.mark.parametrize("over, field", [
    (dict(nature="shout"), "nature"),
    (dict(channel=Channel.GRID_PATROL), "channel"),
    (dict(level_reached=9), "level_reached"),
    (dict(level_reached=PetitionLevel.CITY), "assigned_by"),
    (dict(people=[]), "people"),
    (dict(people=[PersonInput("无号码")]), "people[0].id_number"),
    (dict(description="  "), "description"),
    (dict(lon=150.0), "lon"),
])
def test_bad_input_names_the_field_and_writes_nothing(staff, over, field):
    with pytest.raises(FieldError) as bad:
        do_register_petition(staff, petition(**over))
    assert bad.value.field == field
    assert not Case.objects.exists()


def test_a_grid_worker_cannot_register_petitions(county, categories):
    with pytest.raises(Forbidden):
        do_register_petition(make_user("gw"), petition())


def test_the_same_person_by_id_or_phone_keeps_one_file(staff):
    first = do_register_petition(staff, petition())
    second = do_register_petition(staff, petition(people=[PersonInput("王大力", phone="139 1234 5678")],
                                                  description="工资仍未发放，再次反映"))
    third = do_register_petition(staff, petition(people=[PersonInput("王大力", id_number=ID_A, phone="13800000000")]))
    assert Petitioner.objects.count() == 1
    person, matters = petitioner_file(Petitioner.objects.get())
    assert [m.pk for m in matters] == [first.pk, second.pk, third.pk]
    assert person.phone_masked == "138****0000"  # the newest phone


def test_a_person_recorded_twice_is_merged_never_duplicated(staff):
    a = do_register_petition(staff, petition(people=[PersonInput("李梅", phone="13700000001")]))
    b = do_register_petition(staff, petition(people=[PersonInput("李梅", id_number=ID_B[:17] + identity.check_digit(
        ID_B[:17]))]))
    one, two = Petitioner.objects.order_by("id")
    kept = do_merge_petitioners(staff, one, two)
    person, matters = petitioner_file(two)  # the merged file leads to the kept one
    assert person.pk == kept.pk and {m.pk for m in matters} == {a.pk, b.pk}
    assert kept.id_masked and kept.phone_masked
    again = do_register_petition(staff, petition(people=[PersonInput("李梅", id_number=kept_id(b))]))
    assert PetitionParty.objects.get(matter=again).petitioner_id == kept.pk
    with pytest.raises(Conflict):
        do_merge_petitioners(staff, kept, Petitioner.objects.get(pk=two.pk))


def kept_id(matter):
    first17 = ID_B[:17]
    return first17 + identity.check_digit(first17)


def test_group_petitions_count_people_and_representatives(staff):
    reps = [PersonInput("张一", id_number=valid_id("32083119700101001"), role="representative"),
            PersonInput("张二", id_number=valid_id("32083119700101002"), role="representative")]
    matter = do_register_petition(staff, petition(people=reps, head_count=30))
    assert matter.head_count == 30 and matter.is_group
    with pytest.raises(FieldError) as fewer:
        do_register_petition(staff, petition(people=reps, head_count=1))
    assert fewer.value.field == "head_count"


def test_skipping_a_level_is_read_from_the_levels(staff):
    matter = do_register_petition(staff, petition(level_reached=PetitionLevel.PROVINCE, assigned_by="省信访局"))
    assert matter.skips_level and matter.assigned_by == "省信访局"
    assert not do_register_petition(staff, petition()).skips_level


def test_statutory_days_skip_the_day_of_receipt_and_a_holiday_end():
    # received Tue 22 Sep 2026; 8 days end on 30 Sep (a working day) at 24:00
    assert add_statutory_days(datetime(2026, 9, 22, 23, 0, tzinfo=SH), 8) == datetime(2026, 10, 1, tzinfo=SH)
    # 9 days would end on 1 Oct, National Day: the period runs to the first working day after the holiday
    due = add_statutory_days(datetime(2026, 9, 22, 9, 0, tzinfo=SH), 9)
    assert due.astimezone(SH).date() > datetime(2026, 10, 7).date()
    with pytest.raises(FieldError):
        add_statutory_days(datetime(2026, 9, 22, 9, 0), 9)  # naive


def test_acceptance_starts_the_handling_clock_and_a_refusal_needs_its_basis(staff):
    matter = do_register_petition(staff, petition())
    with pytest.raises(FieldError) as basis:
        do_decide_acceptance(staff, matter, Decision.DIVERTED, reason="属劳动仲裁受理范围")
    assert basis.value.field == "legal_basis"
    decided_at = datetime(2026, 3, 2, 9, 0, tzinfo=SH)
    accepted = do_decide_acceptance(staff, matter, Decision.ACCEPTED, now=decided_at)
    assert accepted.handling_due == add_statutory_days(decided_at, 60)
    with pytest.raises(Conflict):
        do_decide_acceptance(staff, matter, Decision.REJECTED, reason="x", legal_basis="y")
    extended = do_extend_handling(staff, accepted, 20, approved_by="县信访局局长")
    assert extended.handling_due == add_statutory_days(accepted.handling_due, 20)
    with pytest.raises(FieldError) as too_long:
        do_extend_handling(staff, extended, 11, approved_by="县信访局局长")
    assert too_long.value.field == "days"


def test_repeat_candidates_put_the_same_persons_similar_matter_first(staff):
    first = do_register_petition(staff, petition(description="某建筑公司拖欠农民工工资三个月未发放"))
    other = do_register_petition(staff, petition(people=[PersonInput("路人", phone="13600000009")],
                                                 category="S0101", description="楼上邻居夜间噪音扰民"))
    again = do_register_petition(staff, petition(description="建筑公司拖欠工资仍未发放，再次上访"))
    found = repeat_candidates(again)
    assert found[0]["case_id"] == first.pk and found[0]["same_person"] and found[0]["same_category"]
    assert other.pk not in [c["case_id"] for c in found]
    confirmed = do_confirm_repeat(staff, again, first)
    assert confirmed.repeat_of_id == first.pk
    third = do_register_petition(staff, petition(description="第三次反映拖欠工资"))
    assert do_confirm_repeat(staff, third, again).repeat_of_id == first.pk  # counted on the first matter
    with pytest.raises(FieldError):
        do_confirm_repeat(staff, first, third)  # cycle


def test_petition_measures_on_a_constructed_set_have_the_known_answers(staff):
    import time_machine

    from gridgov.evaluation.actions import do_rate_case
    from gridgov.evaluation.petition_metrics import petition_figures

    def at(day, **over):
        with time_machine.travel(datetime(2026, 3, day, 10, 0, tzinfo=SH), tick=False):
            return do_register_petition(staff, petition(**over))

    def accept(matter, day):
        return do_decide_acceptance(staff, matter, Decision.ACCEPTED, now=datetime(2026, 3, day, 11, tzinfo=SH))

    def close(matter, day):
        Case.objects.filter(pk=matter.pk).update(status="closed", closed_at=datetime(2026, 3, day, 16, tzinfo=SH))

    p1, p2, p4 = at(2), at(3, people=[PersonInput("乙", phone="13500000002")]), at(4)
    for m in (p1, p2, p4):
        accept(m, 5)
    close(p1, 10), close(p2, 10)
    p3 = at(12, people=[PersonInput("乙", phone="13500000002")])  # 乙 comes back on the same matter
    do_confirm_repeat(staff, p3, p2)
    p5 = at(13, level_reached=PetitionLevel.PROVINCE, assigned_by="省信访局")
    do_decide_acceptance(staff, p5, Decision.REJECTED, reason="已经诉讼程序处理", legal_basis="《信访工作条例》")
    do_rate_case(Case.objects.get(pk=p1.pk), staff, "reporter", "satisfied")
    do_rate_case(Case.objects.get(pk=p2.pk), staff, "reporter", "dissatisfied")
    with time_machine.travel(datetime(2026, 4, 2, 10, 0, tzinfo=SH), tick=False):
        do_register_petition(staff, petition())  # April: outside the period

    [unit] = petition_figures("2026-03-01", "2026-03-31", now=datetime(2026, 4, 5, tzinfo=SH))
    assert unit.key == "320831101" and unit.petitions == 5
    # first petitions accepted: p1, p2, p4; only p1 is closed and not repeated
    assert (unit.first_accepted, unit.first_resolved, unit.repeats, unit.skipped) == (3, 1, 1, 1)
    assert unit.rates == {"first_time_resolution_rate": 0.3333, "repeat_rate": 0.2, "skip_level_rate": 0.2,
                          "satisfaction_rate": 0.5}
    # seen on 11 March, p2 was not yet repeated: two of three resolved; p3-p5 not yet received
    [early] = petition_figures("2026-03-01", "2026-03-31", now=datetime(2026, 3, 11, tzinfo=SH))
    assert (early.petitions, early.first_resolved, early.rates["repeat_rate"]) == (3, 2, 0.0)
    assert petition_figures("2025-01-01", "2025-01-31") == []


def test_the_demo_seed_gives_repeats_groups_skipped_levels_and_all_decisions(county, categories):
    from django.core.management import call_command

    from gridgov.evaluation.petition_metrics import petition_figures

    call_command("seed_petitions", matters=60, days=90, stdout=open("/dev/null", "w"))
    assert PetitionMatter.objects.count() == 60
    assert set(PetitionMatter.objects.values_list("decision", flat=True)) >= {"accepted", "rejected", "diverted"}
    assert PetitionMatter.objects.filter(repeat_of__isnull=False).exists()
    assert PetitionMatter.objects.filter(head_count__gte=5).exists()
    today = datetime.now(SH).date()
    [unit] = petition_figures(today.replace(year=today.year - 1), today)
    assert unit.petitions == 60 and unit.repeats > 0 and unit.skipped > 0
    assert unit.rates["first_time_resolution_rate"] is not None
    call_command("seed_petitions", if_empty=True, stdout=open("/dev/null", "w"))
    assert PetitionMatter.objects.count() == 60  # idempotent


def test_review_and_re_review_run_on_their_own_clocks(staff):
    from gridgov.petitions.actions import do_decide_review, do_reply, do_request_review

    matter = do_register_petition(staff, petition())
    with pytest.raises(Conflict):
        do_reply(staff, matter, "答复")  # not accepted yet
    do_decide_acceptance(staff, matter, Decision.ACCEPTED, now=datetime(2026, 8, 3, 9, tzinfo=SH))
    with pytest.raises(Conflict) as no_reply:
        do_request_review(staff, matter, "review", "不服")
    assert no_reply.value.code == "no_reply"
    replied = datetime(2026, 9, 1, 10, tzinfo=SH)
    do_reply(staff, matter, "经调查，公司已承诺于9月底前结清工资。", now=replied)
    # 30 days from 1 Sep end on 1 Oct, a holiday: the window runs to the end of 8 Oct 2026
    with pytest.raises(FieldError) as late:
        do_request_review(staff, matter, "review", "不服", requested_at=datetime(2026, 10, 9, 9, tzinfo=SH))
    assert (late.value.field, late.value.code) == ("requested_at", "out_of_time")
    with pytest.raises(Conflict):
        do_request_review(staff, matter, "re_review", "不服", requested_at=datetime(2026, 10, 8, 9, tzinfo=SH))
    review = do_request_review(staff, matter, "review", "公司未履行承诺", requested_at=datetime(2026, 10, 8, 9, tzinfo=SH))
    assert review.decision_due == add_statutory_days(datetime(2026, 10, 8, 9, tzinfo=SH), 30)
    with pytest.raises(FieldError) as blank:
        do_decide_review(staff, review, "upheld", "")
    assert blank.value.field == "opinion"
    do_decide_review(staff, review, "upheld", "维持原处理意见", now=datetime(2026, 10, 20, 9, tzinfo=SH))
    second = do_request_review(staff, matter, "re_review", "仍不服", requested_at=datetime(2026, 11, 2, 9, tzinfo=SH))
    assert second.kind == "re_review"
    with pytest.raises(Conflict):
        do_request_review(staff, matter, "re_review", "再次", requested_at=datetime(2026, 11, 3, 9, tzinfo=SH))
