"""Every write to the routing table: checked first, then one transaction, then a version row.

A rule is checked as a whole (check_rule) before anything is written: known, active category and
area; an active lead department whose jurisdiction covers the area; assists and notified distinct
from the lead and from each other; a legal basis for a diversion; valid limits; and no tie — another
active rule for the same category and the same area. The unique constraint routing_rule_no_tie is
the backstop for two administrators saving at the same moment.
"""
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from gridgov.cases.models import Category
from gridgov.departments.models import Department, Kind
from gridgov.departments.selectors import departments_covering
from gridgov.core.errors import FieldError
from gridgov.grids.models import GridUnit
from gridgov.workcal.limits import TimeLimit
from gridgov.workcal.models import LimitUnit

from .models import RoutingRule, RoutingRuleVersion

LEGAL_BASIS_MAX = 2000


@dataclass
class RuleInput:
    category: Category
    area: GridUnit
    lead: Department
    assists: list = field(default_factory=list)
    notified: list = field(default_factory=list)
    legal_basis: str = ""
    response_limit: TimeLimit | None = None
    handling_limit: TimeLimit | None = None
    note: str = ""
    is_active: bool = True


def _names(depts):
    return "、".join(d.name for d in depts)


def find_tie(category, area_code, instance=None):
    qs = RoutingRule.objects.filter(is_active=True, category=category, area_code=area_code)
    if instance is not None and instance.pk:
        qs = qs.exclude(pk=instance.pk)
    return qs.select_related("lead").first()


def tie_error(category, area, other):
    return FieldError("area", "ambiguous_rule",
                      f"与规则 #{other.pk}（{category.name} @ {area.name}，主办 {other.lead.name}）冲突：同一分类、同一区域"
                      f"只能有一条启用的规则。请修改那条规则，或先停用它",
                      f"ties with rule #{other.pk} ({category.code} @ {area.code}, lead {other.lead.code}): only one "
                      f"active rule per category and area; edit that rule or deactivate it first",
                      rule=other.pk)


def check_rule(inp, instance=None):
    """FieldError naming the field of the first problem; returns the input, cleaned."""
    if not isinstance(inp.category, Category) or not inp.category.pk:
        raise FieldError("category", "unknown_category", "分类不存在", "the category does not exist")
    if inp.is_active and not inp.category.is_active:
        raise FieldError("category", "inactive_category", f"分类 {inp.category.name} 已停用",
                         f"category {inp.category.code} is inactive")
    if not isinstance(inp.area, GridUnit) or not inp.area.pk:
        raise FieldError("area", "unknown_unit", "区域（网格单元）不存在", "the area (grid unit) does not exist")
    if inp.is_active and not inp.area.is_active:
        raise FieldError("area", "inactive_unit", f"区域 {inp.area.name} 已停用", f"area {inp.area.code} is inactive")
    if not isinstance(inp.lead, Department) or not inp.lead.pk:
        raise FieldError("lead", "unknown_department", "主办单位不存在", "the lead department does not exist")
    if inp.is_active and not inp.lead.is_active:
        raise FieldError("lead", "inactive_department", f"主办单位 {inp.lead.name} 已停用",
                         f"lead department {inp.lead.code} is inactive")
    if inp.is_active and not departments_covering(inp.area.code).filter(pk=inp.lead.pk).exists():
        raise FieldError("lead", "outside_jurisdiction",
                         f"主办单位 {inp.lead.name} 的管辖范围不包含 {inp.area.name}（{inp.area.code}）",
                         f"the jurisdiction of {inp.lead.code} does not cover {inp.area.code}")
    inp.assists = list(dict.fromkeys(inp.assists or []))
    inp.notified = list(dict.fromkeys(inp.notified or []))
    for name, zh, depts in (("assists", "协办单位", inp.assists), ("notified", "知会单位", inp.notified)):
        if inp.lead in depts:
            raise FieldError(name, "lead_repeated", f"主办单位 {inp.lead.name} 不能同时是{zh}",
                             f"the lead department cannot also be in {name}")
        inactive = [d for d in depts if not d.is_active]
        if inp.is_active and inactive:
            raise FieldError(name, "inactive_department", f"{zh}已停用：{_names(inactive)}",
                             f"inactive departments in {name}: {', '.join(d.code for d in inactive)}")
    both = [d for d in inp.assists if d in inp.notified]
    if both:
        raise FieldError("notified", "assist_repeated", f"{_names(both)} 已是协办单位，不能同时知会",
                         f"{', '.join(d.code for d in both)} already assist; they cannot also be notified")
    inp.legal_basis = (inp.legal_basis or "").strip()
    if len(inp.legal_basis) > LEGAL_BASIS_MAX:
        raise FieldError("legal_basis", "too_long", f"法律依据超过 {LEGAL_BASIS_MAX} 字",
                         f"legal basis longer than {LEGAL_BASIS_MAX} characters")
    if inp.lead.kind == Kind.DIVERSION and not inp.legal_basis:
        raise FieldError("legal_basis", "required",
                         f"导入诉讼、仲裁、复议渠道（{inp.lead.name}）的规则必须写明法律依据",
                         "a rule diverting to courts, arbitration or administrative review must state its legal basis")
    for name in ("response_limit", "handling_limit"):
        value = getattr(inp, name)
        if value is not None and not isinstance(value, TimeLimit):
            raise FieldError(name, "invalid_limit", "时限格式错误", "malformed time limit")
    inp.note = (inp.note or "").strip()[:255]
    if inp.is_active:
        other = find_tie(inp.category, inp.area.code, instance)
        if other is not None:
            raise tie_error(inp.category, inp.area, other)
    return inp


def _limit_text(limit):
    return f"{limit.amount} {LimitUnit(limit.unit).value}" if limit else None


def snapshot(rule):
    """The rule's content as stored in a version row (codes, not ids)."""
    return {"category": rule.category.code, "area": rule.area_code, "lead": rule.lead.code,
            "assists": sorted(d.code for d in rule.assists.all()),
            "notified": sorted(d.code for d in rule.notified.all()),
            "legal_basis": rule.legal_basis,
            "response_limit": _limit_text(TimeLimit.from_fields(rule.response_limit_amount, rule.response_limit_unit)),
            "handling_limit": _limit_text(TimeLimit.from_fields(rule.handling_limit_amount, rule.handling_limit_unit)),
            "note": rule.note, "is_active": rule.is_active}


def input_snapshot(inp):
    return {"category": inp.category.code, "area": inp.area.code, "lead": inp.lead.code,
            "assists": sorted(d.code for d in inp.assists), "notified": sorted(d.code for d in inp.notified),
            "legal_basis": inp.legal_basis, "response_limit": _limit_text(inp.response_limit),
            "handling_limit": _limit_text(inp.handling_limit), "note": inp.note, "is_active": bool(inp.is_active)}


@transaction.atomic
def do_save_rule(actor, inp: RuleInput, rule=None, change=None):
    """Create (rule=None) or change a rule and write a version row. Returns (rule, changed).

    Saving content identical to the stored rule writes nothing (no empty versions)."""
    inp = check_rule(inp, rule)
    creating = rule is None or not rule.pk
    if creating:
        rule = rule if rule is not None else RoutingRule()  # the admin passes its unsaved instance
        before = None
    else:
        rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
        before = snapshot(rule)
        if before == input_snapshot(inp):
            return rule, False
        rule.version += 1
    rule.category, rule.area, rule.area_code, rule.lead = inp.category, inp.area, inp.area.code, inp.lead
    rule.legal_basis, rule.note, rule.is_active = inp.legal_basis, inp.note, bool(inp.is_active)
    for prefix, limit in (("response", inp.response_limit), ("handling", inp.handling_limit)):
        setattr(rule, f"{prefix}_limit_amount", limit.amount if limit else None)
        setattr(rule, f"{prefix}_limit_unit", LimitUnit(limit.unit).value if limit else "")
    rule.updated_by = actor if getattr(actor, "pk", None) else None
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError as exc:
        other = find_tie(inp.category, inp.area.code, rule)
        if other is not None:  # a concurrent save won the race
            raise tie_error(inp.category, inp.area, other) from exc
        raise
    rule.assists.set(inp.assists)
    rule.notified.set(inp.notified)
    if change is None:
        change = "created" if creating else ("deactivated" if before["is_active"] and not rule.is_active
                                             else "updated")
    RoutingRuleVersion.objects.create(rule=rule, version=rule.version, change=change,
                                      actor=actor if getattr(actor, "pk", None) else None, snapshot=snapshot(rule))
    return rule, True


def rule_input(rule, **changes):
    """A RuleInput holding the rule's current content, with `changes` applied."""
    values = dict(category=rule.category, area=rule.area, lead=rule.lead, assists=list(rule.assists.all()),
                  notified=list(rule.notified.all()), legal_basis=rule.legal_basis,
                  response_limit=TimeLimit.from_fields(rule.response_limit_amount, rule.response_limit_unit),
                  handling_limit=TimeLimit.from_fields(rule.handling_limit_amount, rule.handling_limit_unit),
                  note=rule.note, is_active=rule.is_active)
    values.update(changes)
    return RuleInput(**values)


def do_deactivate_rule(actor, rule):
    return do_save_rule(actor, rule_input(rule, is_active=False), rule=rule)[0]
