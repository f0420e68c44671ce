"""The routing table as CSV (依法分类处理清单): import and export. Exporting then importing changes nothing.

Columns (UTF-8, a BOM is fine; GBK is read too):
    category, area, lead, assists, notified, legal_basis, response_limit, response_limit_unit,
    handling_limit, handling_limit_unit, note, is_active
- category: a category code (a group's code covers all its subcategories);
- area: a grid-unit code at any level (6 digits = the county, 9 = a street/town, ...);
- lead / assists / notified: department codes; several separated by ";" (also "；", "|" or "、");
- limits: amount + unit (minutes, hours, work_hours, work_days or 分钟/小时/工作时/工作日), both or neither;
- is_active: 1/0 (default 1).

A row updates the active rule for its (category, area) if there is one, else creates a rule. Rules
not in the file are left alone. Every row is parsed and checked (codes exist, jurisdiction, ties
within the file, diversion needs a legal basis, ...) before anything is written; the first problem
is raised naming its line and column, and nothing is written.
"""
import csv
import io
import re

from django.db import transaction

from gridgov.cases.models import Category
from gridgov.departments.models import Department
from gridgov.core.errors import FieldError
from gridgov.grids.models import GridUnit
from gridgov.workcal.limits import TimeLimit
from gridgov.workcal.models import LimitUnit

from .models import RoutingRule
from .rule_actions import RuleInput, check_rule, do_save_rule

COLUMNS = ["category", "area", "lead", "assists", "notified", "legal_basis", "response_limit",
           "response_limit_unit", "handling_limit", "handling_limit_unit", "note", "is_active"]
REQUIRED_COLUMNS = {"category", "area", "lead"}
SEPARATORS = re.compile(r"[;；|、]")
FIELD_OF = {"category": "category", "area": "area", "lead": "lead", "assists": "assists", "notified": "notified",
            "legal_basis": "legal_basis", "response_limit": "response_limit", "handling_limit": "handling_limit"}


def _err(line, column, code, zh, en):
    return FieldError(column, code, f"第 {line} 行 {column}：{zh}", f"line {line}, {column}: {en}", line=line)


def _decode(data):
    if isinstance(data, str):
        return data
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FieldError("file", "bad_encoding", "文件编码无法识别：请保存为 UTF-8 或 GBK",
                     "unreadable file encoding: save as UTF-8 or GBK")


def _limit(rec, line, prefix):
    amount_col, unit_col = f"{prefix}_limit", f"{prefix}_limit_unit"
    amount, unit = rec.get(amount_col, ""), rec.get(unit_col, "")
    if not amount and not unit:
        return None
    if not amount or not unit:
        raise _err(line, amount_col, "incomplete_limit", "时限数值和单位须同时填写或同时留空",
                   "the amount and unit of a time limit go together")
    by_label = {str(label): value for value, label in LimitUnit.choices}
    unit = by_label.get(unit, unit)
    if not amount.isdigit():
        raise _err(line, amount_col, "not_integer", f"{amount!r} 不是正整数", f"{amount!r} is not a whole number")
    try:
        return TimeLimit(int(amount), unit)
    except FieldError as exc:
        column = unit_col if exc.field == "unit" else amount_col
        raise _err(line, column, exc.code, exc.message_zh, exc.message_en)


class _Lookup:
    """Codes → objects, each table read once."""

    def __init__(self):
        self.categories = {c.code: c for c in Category.objects.all()}
        self.units = {u.code: u for u in GridUnit.objects.all().only("id", "code", "name", "is_active", "level")}
        self.departments = {d.code: d for d in Department.objects.all()}
        self.rules = {(r.category_id, r.area_code): r for r in RoutingRule.objects.filter(is_active=True)}

    def one(self, table, code, line, column, zh):
        found = getattr(self, table).get(code)
        if found is None:
            raise _err(line, column, "unknown_code", f"{zh} {code!r} 不存在", f"{code!r} does not exist")
        return found

    def many(self, value, line, column):
        codes = [c.strip() for c in SEPARATORS.split(value or "") if c.strip()]
        return [self.one("departments", c, line, column, "部门") for c in codes]


def parse_csv(data):
    """bytes or str → [(line, RuleInput, existing rule or None)], every row checked; nothing written."""
    reader = csv.DictReader(io.StringIO(_decode(data)))
    missing = REQUIRED_COLUMNS - set(reader.fieldnames or [])
    if missing:
        raise FieldError("file", "missing_columns", f"缺少列：{', '.join(sorted(missing))}",
                         f"missing columns: {', '.join(sorted(missing))}")
    look = _Lookup()
    rows, seen = [], {}
    for line, rec in enumerate(reader, start=2):
        rec = {k: (v or "").strip() for k, v in rec.items() if k}
        if not any(rec.values()):
            continue
        for column in REQUIRED_COLUMNS:
            if not rec.get(column):
                raise _err(line, column, "required", "不能为空", "is required")
        category = look.one("categories", rec["category"], line, "category", "分类")
        area = look.one("units", rec["area"], line, "area", "网格单元")
        key = (category.pk, area.code)
        active = rec.get("is_active", "1").lower() not in ("0", "false", "no", "否")
        if active and key in seen:
            raise _err(line, "area", "ambiguous_rule", f"与第 {seen[key]} 行分类、区域相同（规则冲突）",
                       f"same category and area as line {seen[key]} (a tie)")
        if active:
            seen[key] = line
        inp = RuleInput(category=category, area=area, lead=look.one("departments", rec["lead"], line, "lead", "部门"),
                        assists=look.many(rec.get("assists"), line, "assists"),
                        notified=look.many(rec.get("notified"), line, "notified"),
                        legal_basis=rec.get("legal_basis", ""), note=rec.get("note", ""), is_active=active,
                        response_limit=_limit(rec, line, "response"), handling_limit=_limit(rec, line, "handling"))
        existing = look.rules.get(key)
        try:
            check_rule(inp, existing)
        except FieldError as exc:
            raise _err(line, FIELD_OF.get(exc.field, exc.field), exc.code, exc.message_zh, exc.message_en)
        rows.append((line, inp, existing))
    return rows


@transaction.atomic
def do_import_rules(rows, actor=None):
    """Write parsed rows (parse_csv) in one transaction. Returns {"created", "changed", "unchanged"}."""
    summary = {"created": 0, "changed": 0, "unchanged": 0}
    for _line, inp, existing in rows:
        _rule, changed = do_save_rule(actor, inp, rule=existing, change="created" if existing is None else "imported")
        key = "unchanged" if not changed else ("created" if existing is None else "changed")
        summary[key] += 1
    return summary


def _limit_cells(amount, unit):
    return [amount or "", unit or ""]


def export_csv(queryset=None):
    """Rules as CSV text (UTF-8): active rules unless a queryset says otherwise."""
    queryset = RoutingRule.objects.filter(is_active=True) if queryset is None else queryset
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    rules = (queryset.select_related("category", "lead").prefetch_related("assists", "notified")
             .order_by("category__code", "area_code", "id"))
    for r in rules:
        writer.writerow([r.category.code, r.area_code, r.lead.code,
                         ";".join(sorted(d.code for d in r.assists.all())),
                         ";".join(sorted(d.code for d in r.notified.all())), r.legal_basis,
                         *_limit_cells(r.response_limit_amount, r.response_limit_unit),
                         *_limit_cells(r.handling_limit_amount, r.handling_limit_unit), r.note, int(r.is_active)])
    return out.getvalue()
