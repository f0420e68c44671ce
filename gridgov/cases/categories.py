"""Category lists as CSV: the seed list shipped in data/categories.csv, a county's own list imported
the same way, and export (exporting then importing changes nothing).

Columns (UTF-8, a BOM is fine; GBK is read too):
    code, name, parent_code, kind, default_urgency, response_limit, response_limit_unit,
    handling_limit, handling_limit_unit, warning_colour, duplicate_radius_m, duplicate_window_hours,
    keywords, is_active
A row without parent_code is a group (大类); a subcategory's code must start with its parent's.
"""
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from gridgov.core.errors import FieldError

from .models import Category, CategoryKind, CategoryLevel, TimeUnit, Urgency, WarningColour

SEED_CSV = Path(__file__).resolve().parent / "data" / "categories.csv"
COLUMNS = ["code", "name", "parent_code", "kind", "default_urgency", "response_limit", "response_limit_unit",
           "handling_limit", "handling_limit_unit", "warning_colour", "duplicate_radius_m",
           "duplicate_window_hours", "keywords", "is_active"]
REQUIRED_COLUMNS = {"code", "name", "parent_code"}
CODE_RE = re.compile(r"^[A-Za-z0-9]{1,20}$")
# Upper bounds so a typo (4000 working days) does not become a limit nobody notices.
MAX_LIMIT = {TimeUnit.MINUTES: 60 * 24 * 366, TimeUnit.HOURS: 24 * 366, TimeUnit.WORK_HOURS: 8 * 500,
             TimeUnit.WORK_DAYS: 500}


@dataclass
class CategoryRow:
    line: int
    code: str
    name: str
    parent_code: str
    kind: str
    default_urgency: str
    response_limit: int | None
    response_limit_unit: str
    handling_limit: int | None
    handling_limit_unit: str
    warning_colour: str
    duplicate_radius_m: int
    duplicate_window_hours: int
    keywords: str
    is_active: bool

    @property
    def level(self):
        return CategoryLevel.ITEM if self.parent_code else CategoryLevel.GROUP

    def model_values(self):
        return {"name": self.name, "level": self.level, "kind": self.kind, "default_urgency": self.default_urgency,
                "response_limit": self.response_limit, "response_limit_unit": self.response_limit_unit,
                "handling_limit": self.handling_limit, "handling_limit_unit": self.handling_limit_unit,
                "warning_colour": self.warning_colour, "duplicate_radius_m": self.duplicate_radius_m,
                "duplicate_window_hours": self.duplicate_window_hours, "keywords": self.keywords,
                "is_active": self.is_active, "sort_order": self.line}


def _err(line, column, code, zh, en):
    return FieldError(column, code, f"第 {line} 行 {column}：{zh}", f"line {line}, {column}: {en}", line=line)


def _choice(value, choices, line, column, default):
    if not value:
        return default
    if value in choices.values:
        return value
    by_label = {str(label): v for v, label in choices.choices}
    if value in by_label:
        return by_label[value]
    raise _err(line, column, "invalid_choice", f"{value!r} 无效，可选 {', '.join(choices.values)}",
               f"{value!r} is not one of {', '.join(choices.values)}")


def _int(value, line, column, default=None, minimum=1, maximum=10**6):
    if value in ("", None):
        return default
    try:
        number = int(value)
    except ValueError:
        raise _err(line, column, "not_integer", f"{value!r} 不是整数", f"{value!r} is not a whole number")
    if not minimum <= number <= maximum:
        raise _err(line, column, "out_of_range", f"{number} 应在 {minimum}–{maximum} 之间",
                   f"{number} must be between {minimum} and {maximum}")
    return number


def _limit(rec, line, prefix):
    amount_col, unit_col = f"{prefix}_limit", f"{prefix}_limit_unit"
    unit = _choice(rec.get(unit_col, ""), TimeUnit, line, unit_col, "")
    amount = _int(rec.get(amount_col, ""), line, amount_col, maximum=MAX_LIMIT[TimeUnit(unit)] if unit else 10**6)
    if (amount is None) != (not unit):
        raise _err(line, amount_col, "incomplete_limit", "时限数值和单位须同时填写或同时留空",
                   "the amount and unit of a time limit go together")
    return amount, unit


def _decode(data):
    if isinstance(data, str):
        return data
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FieldError("file", "bad_encoding", "文件编码无法识别：请保存为 UTF-8 或 GBK", "unreadable file encoding: save as UTF-8 or GBK")


def parse_csv(data):
    """bytes or str → [CategoryRow]; raises FieldError naming the line and column of the first problem."""
    reader = csv.DictReader(io.StringIO(_decode(data)))
    header = set(reader.fieldnames or [])
    missing = REQUIRED_COLUMNS - header
    if missing:
        raise FieldError("file", "missing_columns", f"缺少列：{', '.join(sorted(missing))}",
                         f"missing columns: {', '.join(sorted(missing))}")
    rows, codes = [], {}
    for line, rec in enumerate(reader, start=2):
        rec = {k: (v or "").strip() for k, v in rec.items() if k}
        code, name, parent = rec["code"], rec["name"], rec["parent_code"]
        if not CODE_RE.match(code):
            raise _err(line, "code", "malformed_code", f"编码 {code!r} 应为 1–20 位字母或数字",
                       f"code {code!r} must be 1-20 letters or digits")
        if code in codes:
            raise _err(line, "code", "duplicate_code", f"编码 {code} 与第 {codes[code]} 行重复",
                       f"code {code} repeats line {codes[code]}")
        codes[code] = line
        if not name:
            raise _err(line, "name", "required", "名称不能为空", "name is required")
        if parent and not code.startswith(parent):
            raise _err(line, "parent_code", "code_not_under_parent", f"小类编码 {code} 应以大类编码 {parent} 开头",
                       f"subcategory code {code} must start with its group's code {parent}")
        response = _limit(rec, line, "response")
        handling = _limit(rec, line, "handling")
        rows.append(CategoryRow(
            line=line, code=code, name=name, parent_code=parent,
            kind=_choice(rec.get("kind", ""), CategoryKind, line, "kind", CategoryKind.EVENT),
            default_urgency=_choice(rec.get("default_urgency", ""), Urgency, line, "default_urgency", Urgency.NORMAL),
            response_limit=response[0], response_limit_unit=response[1],
            handling_limit=handling[0], handling_limit_unit=handling[1],
            warning_colour=_choice(rec.get("warning_colour", ""), WarningColour, line, "warning_colour", ""),
            duplicate_radius_m=_int(rec.get("duplicate_radius_m", ""), line, "duplicate_radius_m", 100, 1, 10_000),
            duplicate_window_hours=_int(rec.get("duplicate_window_hours", ""), line, "duplicate_window_hours", 72, 1,
                                        24 * 366),
            keywords=rec.get("keywords", "")[:255],
            is_active=rec.get("is_active", "1").lower() not in ("0", "false", "no", "否"),
        ))
    by_code = {r.code: r for r in rows}
    stored = set(Category.objects.filter(level=CategoryLevel.GROUP).values_list("code", flat=True))
    for r in rows:
        if not r.parent_code:
            continue
        parent = by_code.get(r.parent_code)
        if parent is None and r.parent_code not in stored:
            raise _err(r.line, "parent_code", "unknown_parent", f"大类 {r.parent_code} 既不在文件中也不在系统中",
                       f"group {r.parent_code} is neither in the file nor stored")
        if parent is not None and parent.parent_code:
            raise _err(r.line, "parent_code", "too_deep", f"{r.parent_code} 是小类，分类只有两级",
                       f"{r.parent_code} is a subcategory; the tree has two levels")
    return rows


def export_csv(queryset=None):
    """All categories as CSV text (UTF-8), groups followed by their subcategories."""
    queryset = Category.objects.all() if queryset is None else queryset
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in queryset.select_related("parent").order_by("sort_order", "code"):
        writer.writerow([c.code, c.name, c.parent.code if c.parent_id else "", c.kind,
                         c.default_urgency if c.parent_id else "",
                         c.response_limit or "", c.response_limit_unit, c.handling_limit or "", c.handling_limit_unit,
                         c.warning_colour, c.duplicate_radius_m if c.parent_id else "",
                         c.duplicate_window_hours if c.parent_id else "", c.keywords, int(c.is_active)])
    return out.getvalue()


def seed_categories(actor=None):
    from .actions import do_import_categories

    return do_import_categories(parse_csv(SEED_CSV.read_bytes()), actor=actor)
