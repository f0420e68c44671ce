"""Working calendar and deadline arithmetic, against the real chinese_calendar data (no mocks)."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.test import override_settings

from gridgov.accounts.models import Role
from gridgov.core.errors import FieldError
from gridgov.workcal.actions import do_set_calendar_day
from gridgov.workcal.calendar import WorkCalendar, calendar_coverage, is_workday, library_covers, parse_work_hours
from gridgov.workcal.deadlines import add_limit, working_minutes_between
from gridgov.workcal.limits import TimeLimit
from gridgov.workcal.models import CalendarDay

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()  # library + weekend fallback, default hours, no database


def sh(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=SH)


def due(start, amount, unit, cal=CAL):
    return add_limit(start, amount, unit, calendar=cal).astimezone(SH)


def first_uncovered_year():
    """The first year after 2025 the installed chinese_calendar has no data for (asked, not assumed)."""
    year = 2025
    while library_covers(year):
        year += 1
    return year


def weekday_in(year, month, weekday, nth=1):
    d = date(year, month, 1)
    while d.weekday() != weekday:
        d += timedelta(days=1)
    return d + timedelta(weeks=nth - 1)


# --- the calendar itself ---------------------------------------------------------------------------

def test_the_library_has_spring_festival_2025_as_the_brief_says():
    assert chinese_calendar.is_workday(date(2025, 1, 26))  # Sunday, 调休
    assert chinese_calendar.is_workday(date(2025, 2, 8))  # Saturday, 调休
    holiday = [date(2025, 1, 28) + timedelta(days=i) for i in range(8)]  # Jan 28 – Feb 4
    assert not any(CAL.is_workday(d) for d in holiday)
    assert CAL.is_workday(date(2025, 1, 26)) and CAL.is_workday(date(2025, 2, 8))
    assert CAL.is_workday(date(2025, 1, 27)) and CAL.is_workday(date(2025, 2, 5))
    assert CAL.holiday_name(date(2025, 1, 29)) == "Spring Festival"


def test_the_library_has_national_day_2025_as_the_brief_says():
    assert not any(CAL.is_workday(date(2025, 10, d)) for d in range(1, 9))  # Oct 1–8
    assert CAL.is_workday(date(2025, 9, 28))  # Sunday, 调休
    assert CAL.is_workday(date(2025, 10, 11))  # Saturday, 调休
    assert not CAL.is_workday(date(2025, 10, 12))  # plain Sunday


def test_a_year_the_library_lacks_is_detected_and_never_crashes():
    year = first_uncovered_year()
    with pytest.raises(NotImplementedError):  # what the library itself does
        chinese_calendar.is_workday(date(year, 6, 1))
    monday, saturday = weekday_in(year, 6, 0), weekday_in(year, 6, 5)
    assert CAL.is_workday(monday) and not CAL.is_workday(saturday)
    assert CAL.source(monday) == "fallback"
    assert CAL.holiday_name(monday) == ""


# --- work hours ------------------------------------------------------------------------------------

def test_friday_evening_work_hours_continue_on_monday():
    # 2025-03-07 is a Friday, 03-10 a working Monday: 30 min on Friday + 3 h 30 on Monday morning.
    assert due(sh(2025, 3, 7, 17, 0), 4, "work_hours") == sh(2025, 3, 10, 12, 0)


@override_settings(GRIDGOV_WORK_HOURS=[("08:00", "12:00"), ("14:00", "18:00")])
def test_the_brief_example_holds_with_eight_to_six_hours():
    cal = WorkCalendar(windows=parse_work_hours())
    # 1 h on Friday (17:00–18:00) + 3 h on Monday morning
    assert due(sh(2025, 3, 7, 17, 0), 4, "work_hours", cal) == sh(2025, 3, 10, 11, 0)


def test_work_hours_skip_lunch_and_stop_exactly_at_a_period_end():
    assert due(sh(2025, 3, 11, 11, 0), 2, "work_hours") == sh(2025, 3, 11, 14, 30)
    assert due(sh(2025, 3, 11, 11, 0), 1, "work_hours") == sh(2025, 3, 11, 12, 0)
    assert due(sh(2025, 3, 11, 12, 45), 1, "work_hours") == sh(2025, 3, 11, 14, 30)  # reported at lunch
    assert due(sh(2025, 3, 11, 13, 30), 4, "work_hours") == sh(2025, 3, 11, 17, 30)  # not next morning


def test_work_hours_reported_at_night_start_next_working_morning():
    assert due(sh(2025, 3, 11, 22, 0), 2, "work_hours") == sh(2025, 3, 12, 10, 30)
    assert due(sh(2025, 3, 12, 6, 0), 2, "work_hours") == sh(2025, 3, 12, 10, 30)
    assert due(sh(2025, 3, 8, 10, 0), 1, "work_hours") == sh(2025, 3, 10, 9, 30)  # Saturday
    # 16 working hours overnight: rest of today 1 h, tomorrow 7 h 30, then 7 h 30 on day three
    assert due(sh(2025, 3, 11, 16, 30), 16, "work_hours") == sh(2025, 3, 13, 17, 30)


def test_work_hours_across_spring_festival_2025():
    # Monday Jan 27 16:30: one hour that day, then Jan 28 – Feb 4 off, Wednesday Feb 5 from 08:30.
    assert due(sh(2025, 1, 27, 16, 30), 2, "work_hours") == sh(2025, 2, 5, 9, 30)
    # Friday Jan 24 17:00: Saturday off, but Sunday Jan 26 is a 调休 working day.
    assert due(sh(2025, 1, 24, 17, 0), 4, "work_hours") == sh(2025, 1, 26, 12, 0)


def test_a_make_up_saturday_counts_as_a_workday():
    assert due(sh(2025, 2, 7, 17, 0), 1, "work_hours") == sh(2025, 2, 8, 9, 0)  # Sat Feb 8 2025
    assert due(sh(2025, 10, 10, 15, 0), 1, "work_days") == sh(2025, 10, 11, 17, 30)  # Sat Oct 11 2025
    assert due(sh(2025, 2, 14, 17, 0), 1, "work_hours") == sh(2025, 2, 17, 9, 0)  # ordinary Saturday


def test_work_hours_across_national_day_2025():
    # Sep 30 16:00 + 8 h: 1 h 30 on Sep 30; Oct 1–8 off; Oct 9: 3 h 30 morning + 3 h afternoon.
    assert due(sh(2025, 9, 30, 16, 0), 8, "work_hours") == sh(2025, 10, 9, 16, 30)
    # Friday Sep 26 17:00 + 1 h: Saturday off, Sunday Sep 28 is a 调休 working day
    assert due(sh(2025, 9, 26, 17, 0), 1, "work_hours") == sh(2025, 9, 28, 9, 0)


# --- work days -------------------------------------------------------------------------------------

def test_work_days_start_counting_the_next_working_day_and_end_at_close():
    assert due(sh(2025, 3, 13, 10, 0), 1, "work_days") == sh(2025, 3, 14, 17, 30)  # Thu → Fri close
    assert due(sh(2025, 3, 13, 22, 0), 1, "work_days") == sh(2025, 3, 14, 17, 30)  # hour does not matter
    assert due(sh(2025, 3, 14, 10, 0), 1, "work_days") == sh(2025, 3, 17, 17, 30)  # Fri → Mon
    assert due(sh(2025, 3, 15, 10, 0), 1, "work_days") == sh(2025, 3, 17, 17, 30)  # Sat → Mon
    assert due(sh(2025, 3, 3, 9, 0), 20, "work_days") == sh(2025, 3, 31, 17, 30)  # four plain weeks


def test_work_days_across_spring_festival_and_national_day():
    assert due(sh(2025, 1, 27, 10, 0), 1, "work_days") == sh(2025, 2, 5, 17, 30)
    assert due(sh(2025, 1, 24, 10, 0), 2, "work_days") == sh(2025, 1, 27, 17, 30)  # Sun 26 is day 1
    assert due(sh(2025, 9, 29, 10, 0), 2, "work_days") == sh(2025, 10, 9, 17, 30)  # Sep 30, Oct 9


# --- wall clock, zones, bad input ------------------------------------------------------------------

def test_minutes_and_hours_are_wall_clock():
    assert due(sh(2025, 3, 8, 23, 30), 90, "minutes") == sh(2025, 3, 9, 1, 0)  # Saturday night
    assert due(sh(2025, 1, 28, 10, 0), 24, "hours") == sh(2025, 1, 29, 10, 0)  # during the holiday


def test_results_are_utc_whatever_zone_the_input_is_in():
    start_sh = sh(2025, 3, 7, 17, 0)
    result = add_limit(start_sh, 4, "work_hours", calendar=CAL)
    assert result.tzinfo is UTC
    assert result == datetime(2025, 3, 10, 4, 0, tzinfo=UTC)
    assert add_limit(start_sh.astimezone(UTC), 4, "work_hours", calendar=CAL) == result
    # 2025-03-07 20:00 UTC is Saturday 04:00 in Shanghai: counting starts Monday 08:30
    assert due(datetime(2025, 3, 7, 20, 0, tzinfo=UTC), 1, "work_hours") == sh(2025, 3, 10, 9, 30)


@pytest.mark.parametrize("amount,unit,field,code", [
    (4, "days", "unit", "invalid_unit"),
    (4, "", "unit", "invalid_unit"),
    (0, "work_hours", "amount", "not_positive"),
    (-3, "minutes", "amount", "not_positive"),
    (1.5, "hours", "amount", "not_integer"),
    ("4", "hours", "amount", "not_integer"),
    (True, "hours", "amount", "not_integer"),
    (10_000, "work_days", "amount", "too_large"),
])
def test_invalid_units_and_amounts_are_refused(amount, unit, field, code):
    with pytest.raises(FieldError) as err:
        add_limit(sh(2025, 3, 7, 9), amount, unit, calendar=CAL)
    assert (err.value.field, err.value.code) == (field, code)
    assert err.value.message_zh and err.value.message_en
    with pytest.raises(FieldError):
        TimeLimit(amount, unit)


def test_a_naive_start_is_refused():
    with pytest.raises(FieldError) as err:
        add_limit(datetime(2025, 3, 7, 9), 1, "hours", calendar=CAL)
    assert err.value.code == "naive_datetime"


def test_a_time_limit_displays_in_chinese_and_computes_its_due_time():
    limit = TimeLimit(4, "work_hours")
    assert str(limit) == "4 工作时"
    assert str(TimeLimit(30, "minutes")) == "30 分钟"
    assert TimeLimit.parse("20 工作日") == TimeLimit(20, "work_days")
    assert TimeLimit.parse("2 hours") == TimeLimit(2, "hours")
    assert TimeLimit.from_fields(None, "") is None
    assert limit.is_working_time and not TimeLimit(2, "hours").is_working_time
    assert limit.due(sh(2025, 3, 7, 17, 0), calendar=CAL).astimezone(SH) == sh(2025, 3, 10, 12, 0)
    with pytest.raises(FieldError):
        TimeLimit.parse("四 工作时")


# --- working minutes between -----------------------------------------------------------------------

def test_working_minutes_between_counts_only_working_time():
    assert working_minutes_between(sh(2025, 3, 11, 11, 0), sh(2025, 3, 11, 14, 0), CAL) == 60 + 30
    assert working_minutes_between(sh(2025, 3, 8, 0, 0), sh(2025, 3, 10, 0, 0), CAL) == 0  # weekend
    assert working_minutes_between(sh(2025, 1, 27, 17, 0), sh(2025, 2, 5, 9, 0), CAL) == 30 + 30
    assert working_minutes_between(sh(2025, 3, 11, 14, 0), sh(2025, 3, 11, 11, 0), CAL) == -90  # overdue
    assert working_minutes_between(sh(2025, 3, 3, 0, 0), sh(2025, 3, 10, 0, 0), CAL) == 5 * 7.5 * 60


def test_working_minutes_between_inverts_add_limit_through_2025():
    start = sh(2025, 1, 1, 0, 0)
    checked = 0
    while start < sh(2026, 1, 1):
        for hours in (1, 4, 9, 30):
            end = add_limit(start, hours, "work_hours", calendar=CAL)
            assert working_minutes_between(start, end, CAL) == hours * 60, (start, hours)
            local_end = end.astimezone(SH)
            assert CAL.is_workday(local_end.date()), (start, hours, local_end)
            checked += 1
        start += timedelta(hours=7, minutes=13)
    assert checked > 4000


# --- fallback years and admin overrides (database) -------------------------------------------------

@pytest.mark.django_db
def test_an_uncovered_year_falls_back_to_weekends_then_an_admin_override_wins():
    year = first_uncovered_year()
    cov = calendar_coverage(year)
    assert (cov.source, cov.needs_attention) == ("fallback", True)
    assert "周一至周五" in cov.message_zh
    friday = weekday_in(year, 6, 4, nth=2)
    monday = friday + timedelta(days=3)
    start = datetime.combine(friday, datetime.min.time(), tzinfo=SH).replace(hour=17)
    assert add_limit(start, 4, "work_hours").astimezone(SH) == datetime.combine(
        monday, datetime.min.time(), tzinfo=SH).replace(hour=12)
    assert is_workday(monday)

    do_set_calendar_day(monday, False, "端午节（管理员录入）")
    assert not is_workday(monday)
    assert add_limit(start, 4, "work_hours").astimezone(SH).date() == monday + timedelta(days=1)
    assert add_limit(start, 1, "work_days").astimezone(SH).date() == monday + timedelta(days=1)
    cov = calendar_coverage(year)
    assert (cov.source, cov.override_days, cov.needs_attention) == ("admin", 1, False)


@pytest.mark.django_db
def test_an_admin_override_beats_the_library_too():
    saturday = date(2025, 3, 8)
    assert not is_workday(saturday)
    do_set_calendar_day(saturday, True, "临时调休上班")
    assert is_workday(saturday)
    assert add_limit(sh(2025, 3, 7, 17, 0), 1, "work_hours").astimezone(SH) == sh(2025, 3, 8, 9, 0)
    cov = calendar_coverage(2025)
    assert (cov.source, cov.override_days) == ("library", 1)


@pytest.mark.django_db
def test_import_calendar_writes_every_row(tmp_path):
    year = first_uncovered_year()
    f = tmp_path / "holidays.csv"
    f.write_text(f"date,is_workday,note\n{year}-01-01,0,元旦\n{year}-02-06,1,春节调休上班\n{year}-10-01,休,国庆\n",
                 encoding="utf-8")
    call_command("import_calendar", str(f))
    assert dict(CalendarDay.objects.values_list("date", "is_workday")) == {
        date(year, 1, 1): False, date(year, 2, 6): True, date(year, 10, 1): False}
    f.write_text(f"{year}-01-01,1,改为上班\n", encoding="utf-8")  # no header; replaces
    call_command("import_calendar", str(f))
    assert CalendarDay.objects.get(date=date(year, 1, 1)).is_workday
    assert CalendarDay.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("bad_row", ["2031-02-30,0,不存在的日期", "2031-05-01,maybe,", "2031-01-01,0,重复",
                                     "2031-05-02", "2031-05-03,0," + "长" * 201])
def test_import_calendar_with_a_bad_row_writes_nothing(tmp_path, bad_row):
    f = tmp_path / "holidays.csv"
    f.write_text("date,is_workday,note\n2031-01-01,0,元旦\n2031-10-01,0,国庆\n" + bad_row + "\n", encoding="utf-8")
    with pytest.raises(CommandError) as err:
        call_command("import_calendar", str(f))
    assert "第 4 行" in str(err.value)
    assert CalendarDay.objects.count() == 0


def test_malformed_work_hours_are_refused_at_startup():
    for bad in ([], [("8:30", "12:00")], [("13:00", "12:00")], [("08:00", "12:00"), ("11:00", "13:00")]):
        with pytest.raises(FieldError):
            parse_work_hours(bad)
    with override_settings(GRIDGOV_WORK_HOURS=[("09:00", "08:00")]):
        assert "gridgov.E101" in [e.id for e in run_checks(tags=["gridgov"])]
    assert "gridgov.E101" not in [e.id for e in run_checks(tags=["gridgov"])]


@pytest.mark.django_db
def test_the_admin_list_warns_about_a_year_without_an_official_schedule(client):
    from django.utils import timezone

    from tests.factories import make_user

    admin_user = make_user("root", Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    do_set_calendar_day(date(2025, 3, 8), True, "临时调休上班")
    page = client.get("/admin/workcal/calendarday/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "临时调休上班" in body and "休息日（日历库）" in body  # what the library would have said
    this_year = timezone.localdate().year
    for year in (this_year, this_year + 1):
        assert (f"{year} 年尚无官方节假日安排" in body) == (not library_covers(year))
    assert client.get("/admin/workcal/calendarday/add/").status_code == 200
