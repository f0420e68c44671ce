"""Writes to the working calendar (admin overrides). Atomic; bad input writes nothing."""
import csv
import io
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from gridgov.core.errors import FieldError

from .models import CalendarDay

TRUE_WORDS = {"1", "true", "yes", "y", "t", "是", "班", "上班", "工作日"}
FALSE_WORDS = {"0", "false", "no", "n", "f", "否", "休", "休息", "放假", "节假日"}
NOTE_MAX = CalendarDay._meta.get_field("note").max_length


@dataclass
class DayInput:
    date: date
    is_workday: bool
    note: str = ""


def _parse_bool(value):
    v = (value or "").strip().lower()
    if v in TRUE_WORDS:
        return True
    if v in FALSE_WORDS:
        return False
    return None


def _check_day(day):
    if not isinstance(day.date, date):
        raise FieldError("date", "invalid_date", "日期无效", "invalid date")
    if not isinstance(day.is_workday, bool):
        raise FieldError("is_workday", "invalid_bool", "是否工作日应为是/否", "is_workday must be true or false")
    if len(day.note or "") > NOTE_MAX:
        raise FieldError("note", "too_long", f"说明超过 {NOTE_MAX} 字", f"note longer than {NOTE_MAX} characters")


def parse_calendar_csv(text):
    """CSV text (date,is_workday,note; optional header row) → [DayInput].

    Every row is checked; if any is bad, FieldError lists all of them in extra["rows"] (line
    number, field, message), so an administrator can fix the file in one go.
    """
    problems, days, seen = [], [], {}
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for lineno, row in enumerate(reader, start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if lineno == 1 and cells[0].lower() in ("date", "日期"):
            continue
        if len(cells) < 2 or len(cells) > 3:
            problems.append((lineno, "row", "应为 3 列：日期,是否工作日,说明", "expected 3 columns: date,is_workday,note"))
            continue
        raw_date, raw_flag, note = cells[0], cells[1], cells[2] if len(cells) == 3 else ""
        try:
            day = date.fromisoformat(raw_date)
        except ValueError:
            problems.append((lineno, "date", f"日期 {raw_date!r} 无效，应为 YYYY-MM-DD",
                             f"date {raw_date!r} is not a valid YYYY-MM-DD date"))
            continue
        flag = _parse_bool(raw_flag)
        if flag is None:
            problems.append((lineno, "is_workday", f"是否工作日 {raw_flag!r} 无法识别（1/0、true/false、班/休）",
                             f"is_workday {raw_flag!r} not understood (1/0, true/false)"))
            continue
        if len(note) > NOTE_MAX:
            problems.append((lineno, "note", f"说明超过 {NOTE_MAX} 字", f"note longer than {NOTE_MAX} characters"))
            continue
        if day in seen:
            problems.append((lineno, "date", f"日期 {day} 与第 {seen[day]} 行重复",
                             f"date {day} repeats line {seen[day]}"))
            continue
        seen[day] = lineno
        days.append(DayInput(day, flag, note))
    if problems:
        first = problems[0]
        raise FieldError(
            first[1], "invalid_rows",
            f"文件有 {len(problems)} 行错误，未导入任何数据；第 {first[0]} 行：{first[2]}",
            f"{len(problems)} bad rows, nothing imported; line {first[0]}: {first[3]}",
            rows=[{"line": n, "field": f, "message": zh, "message_en": en} for n, f, zh, en in problems],
        )
    if not days:
        raise FieldError("file", "empty", "文件中没有日期行", "the file has no date rows")
    return days


@transaction.atomic
def do_import_calendar(days):
    """Create or replace CalendarDay rows for these dates (all or nothing). Returns (created, updated)."""
    for d in days:
        _check_day(d)
    existing = set(CalendarDay.objects.filter(date__in=[d.date for d in days]).values_list("date", flat=True))
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=d.date, is_workday=d.is_workday, note=d.note) for d in days],
        update_conflicts=True, unique_fields=["date"], update_fields=["is_workday", "note", "updated_at"],
    )
    return len(days) - len(existing), len(existing)


@transaction.atomic
def do_set_calendar_day(day, is_workday, note=""):
    d = DayInput(day, is_workday, note or "")
    _check_day(d)
    obj, _created = CalendarDay.objects.update_or_create(date=day, defaults={"is_workday": is_workday, "note": d.note})
    return obj


@transaction.atomic
def do_delete_calendar_day(day):
    """Remove an override: the library (or the weekend fallback) answers for that date again."""
    return CalendarDay.objects.filter(date=day).delete()[0]
