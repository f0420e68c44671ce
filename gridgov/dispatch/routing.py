"""Routing resolution: which rule of the routing table (依法分类处理清单) applies to a case.

A rule matches a case when
- its category is the case's subcategory or that subcategory's group (大类), and
- its area is the case's grid or one of its ancestors: the rule's area code is a prefix of the
  case's grid code (codes are hierarchical, see gridgov.grids.models).

Among the matching active rules:
1. the most specific area wins (longest area code: grid 15 > community 12 > street/town 9 > county 6);
2. on the same area, a rule for the subcategory wins over a rule for its group.
Area comes first on purpose: a town that writes its own rule for a whole group (e.g. every 矛盾纠纷
to its own office) takes those cases in that town, whatever the county-wide rules say. A county that
wants a county-wide subcategory rule to hold everywhere must not write a town rule for its group.

Two active rules with the same category and the same area would be a tie: refused when a rule is
saved (check_rule) and by the unique constraint routing_rule_no_tie.

No matching rule (or a winning rule whose lead department is inactive): the case goes to the
command centre's triage queue (gridgov.dispatch.actions) — never dropped.

A rule whose lead is a diversion channel (courts, arbitration, administrative review — Department
kind "diversion") routes the matter there (诉访分离); such a rule must state its legal basis, which
the preview and the dispatch show.
"""
from dataclasses import dataclass, field

from django.db.models import F, IntegerField
from django.db.models.functions import Length

from gridgov.cases.models import CategoryLevel
from gridgov.departments.models import Kind
from gridgov.core.errors import FieldError
from gridgov.grids.models import ancestor_codes, level_for_code

from .models import RoutingRule, TriageReason


@dataclass
class Route:
    rule: RoutingRule | None
    lead: object = None
    assists: list = field(default_factory=list)
    notified: list = field(default_factory=list)
    legal_basis: str = ""
    triage_reason: str = ""  # set when the case must go to triage
    candidates: list = field(default_factory=list)  # every matching rule, best first

    @property
    def is_diversion(self):
        return self.lead is not None and self.lead.kind == Kind.DIVERSION

    @property
    def matched(self):
        return self.rule is not None and not self.triage_reason


def grid_prefixes(grid_code):
    if level_for_code(grid_code) is None:
        raise FieldError("grid_code", "malformed_code", f"网格编码 {grid_code!r} 格式错误",
                         f"grid code {grid_code!r} is malformed")
    return ancestor_codes(grid_code) + [grid_code]


def categories_for(category):
    """The category and its group, as ids (a rule for either matches)."""
    ids = [category.pk]
    if category.level == CategoryLevel.ITEM and category.parent_id:
        ids.append(category.parent_id)
    return ids


def matching_rules(category, grid_code):
    """Active rules matching a case of this category in this grid, best first (see module docstring)."""
    return (RoutingRule.objects.filter(is_active=True, category_id__in=categories_for(category),
                                       area_code__in=grid_prefixes(grid_code))
            .select_related("category", "area", "lead")
            .prefetch_related("assists", "notified")
            .annotate(area_len=Length("area_code", output_field=IntegerField()),
                      category_level=F("category__level"))
            .order_by("-area_len", "-category_level", "id"))


def resolve(category, grid_code):
    """The Route for a case of `category` located in `grid_code`."""
    if category is None:
        return Route(rule=None, triage_reason=TriageReason.NO_RULE)
    candidates = list(matching_rules(category, grid_code))
    if not candidates:
        return Route(rule=None, triage_reason=TriageReason.NO_RULE)
    rule = candidates[0]
    route = Route(rule=rule, lead=rule.lead, legal_basis=rule.legal_basis, candidates=candidates,
                  assists=[d for d in rule.assists.all() if d.is_active],
                  notified=[d for d in rule.notified.all() if d.is_active])
    if not rule.lead.is_active:
        route.triage_reason = TriageReason.INACTIVE_LEAD
    return route


def explain(route):
    """Why this route, in Chinese, for the preview and the dispatch record."""
    if route.rule is None:
        return "没有匹配的派遣规则：进入指挥中心待分拨队列"
    r = route.rule
    scope = "本分类" if r.category.level == CategoryLevel.ITEM else f"大类「{r.category.name}」"
    text = f"规则 #{r.pk}（{scope}，区域 {r.area.name} {r.area_code}）：区域最具体者优先"
    if route.triage_reason == TriageReason.INACTIVE_LEAD:
        text += f"；但主办单位「{r.lead.name}」已停用，进入待分拨队列"
    if route.is_diversion:
        text += f"；诉访分离，导入「{r.lead.name}」，法律依据：{r.legal_basis}"
    return text
