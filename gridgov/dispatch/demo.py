"""A demo routing table for the demo county, over the demo departments
(gridgov.departments.demo.seed_demo_departments) and the shipped categories. Idempotent: running it
again changes nothing and writes no new versions.

It follows the typical routing of docs/domain.md: events to the locality/regulator, facilities to their
owner (先属主后属地: 井盖 → the water company as owner; a county whose covers belong to several owners
splits the subcategory per owner or lets the command centre re-route), disputes to the town's 司法所,
cross-department disputes to the 综治中心, and 征地拆迁 decisions diverted to administrative review
(诉访分离) with their legal basis. 火情 (E0506) and 投诉举报 (S0303) have no rule on purpose: they show
the triage queue.
"""
from django.conf import settings
from django.db import transaction

from gridgov.cases.models import Category
from gridgov.departments.models import Department
from gridgov.grids.models import GridUnit, Level
from gridgov.workcal.limits import TimeLimit

from .models import RoutingRule
from .rule_actions import RuleInput, do_save_rule

EXPROPRIATION_BASIS = ("《国有土地上房屋征收与补偿条例》第十四条、第二十六条：被征收人对房屋征收决定、补偿决定不服的，"
                       "可以依法申请行政复议，也可以依法提起行政诉讼；《中华人民共和国行政复议法》")
ILLEGAL_BUILDING_BASIS = "《中华人民共和国城乡规划法》第六十四条（未取得建设工程规划许可证进行建设的，责令停止建设、限期改正或拆除）"
LABOUR_BASIS = "《保障农民工工资支付条例》；劳动争议可依《中华人民共和国劳动争议调解仲裁法》申请仲裁"
MEDIATION_BASIS = "《中华人民共和国人民调解法》"

# (category, lead, assists, notified, legal basis, response limit, handling limit) — area: the county.
COUNTY_RULES = [
    ("E01", "srhw", [], [], "", None, None),
    ("E0106", "sthj", [], [], "", None, None),
    ("E0107", "ylc", [], [], "", None, None),
    ("E02", "cgj", [], [], "", None, None),
    ("E03", "cgj", [], [], "", None, None),
    ("E0301", "cgj", [], ["zrzy"], ILLEGAL_BUILDING_BASIS, "4 work_hours", "20 work_days"),
    ("E0303", "zjj", [], ["sthj"], "", None, None),
    ("E04", "cgj", [], [], "", None, None),
    ("E0401", "cgj", ["scjg", "gaj"], [], "", None, None),
    ("E0403", "gaj", [], [], "", None, None),
    ("E0501", "zjj", [], ["gaj"], "", None, None),
    ("E0502", "water", [], [], "", None, None),
    ("E0503", "gas", ["gaj"], [], "", None, None),
    ("E0504", "zjj", [], [], "", None, None),
    ("E0505", "zjj", [], [], "", None, None),
    ("E0507", "ylc", [], [], "", None, None),
    ("C0101", "water", [], ["cgj"], "", None, None),
    ("C0102", "water", [], ["cgj"], "", None, None),
    ("C0103", "cgj", [], [], "", None, None),
    ("C0104", "srhw", [], [], "", None, None),
    ("C0105", "water", [], [], "", None, None),
    ("C0106", "power", ["telecom"], [], "", None, None),
    ("C0107", "zjj", [], [], "", None, None),
    ("C0108", "gaj", [], [], "", None, None),
    ("S01", "zfw", [], [], "", None, None),
    ("S0103", "rsj", [], ["arbitration"], LABOUR_BASIS, None, None),
    ("S0105", "zjj", [], [], "", None, None),
    ("S0106", "wjw", [], [], "", None, None),
    ("S0107", "scjg", [], [], "", None, None),
    ("S0108", "review", ["zjj"], [], EXPROPRIATION_BASIS, None, None),
    ("S0202", "gas", [], [], "", None, None),
    ("S0203", "zjj", [], [], "", None, None),
    ("S0204", "gaj", [], [], "", None, None),
    ("S0205", "scjg", [], [], "", None, None),
    ("S0301", "zfw", [], [], "", None, None),
    ("S0302", "zfw", ["gaj"], [], "", None, None),
    ("S0404", "rsj", [], [], "", None, None),
]
# Per town (area: the town): lead is "sfs" (its 司法所) or "town" (its office); assists are county codes.
TOWN_RULES = [
    ("S0101", "sfs", [], MEDIATION_BASIS),
    ("S0102", "sfs", [], MEDIATION_BASIS),
    ("S0104", "town", ["zrzy"], "《中华人民共和国农村土地承包法》第五十五条"),
    ("S0201", "town", [], ""),
    ("S0206", "town", [], ""),
    ("S0207", "town", [], ""),
    ("S0304", "town", [], ""),
    ("S0401", "town", [], ""),
    ("S0402", "town", [], ""),
    ("S0403", "town", [], ""),
    ("S0405", "town", [], ""),
    ("S0406", "town", [], ""),
    ("C0109", "town", [], ""),
]


def _limit(text):
    return TimeLimit.parse(text) if text else None


def _save(actor, summary, category, area, lead, assists, notified, basis, response=None, handling=None):
    inp = RuleInput(category=category, area=area, lead=lead, assists=assists, notified=notified, legal_basis=basis,
                    response_limit=_limit(response), handling_limit=_limit(handling), note="演示数据")
    existing = RoutingRule.objects.filter(category=category, area_code=area.code, is_active=True).first()
    _rule, changed = do_save_rule(actor, inp, rule=existing)
    summary["created" if changed and existing is None else "changed" if changed else "unchanged"] += 1


@transaction.atomic
def seed_demo_routing(county_code=None, actor=None):
    """Create or refresh the demo rules. Returns {"created", "changed", "unchanged", "skipped": [...]}.

    Needs the county grid unit and the demo departments; rules naming a category or department that
    does not exist are skipped and listed."""
    county_code = county_code or settings.GRIDGOV_COUNTY_CODE
    summary = {"created": 0, "changed": 0, "unchanged": 0, "skipped": []}
    county = GridUnit.objects.filter(code=county_code).first()
    if county is None:
        summary["skipped"].append(f"county {county_code} missing")
        return summary
    categories = {c.code: c for c in Category.objects.filter(is_active=True)}
    depts = {d.code: d for d in Department.objects.filter(is_active=True)}

    def missing_codes(category, departments):
        return ([category] if category not in categories else []) + [c for c in departments if c not in depts]

    for cat, lead, assists, notified, basis, response, handling in COUNTY_RULES:
        missing = missing_codes(cat, [lead, *assists, *notified])
        if missing:
            summary["skipped"].append(f"{cat}: {', '.join(missing)} missing")
            continue
        _save(actor, summary, categories[cat], county, depts[lead], [depts[c] for c in assists],
              [depts[c] for c in notified], basis, response, handling)
    towns = GridUnit.objects.filter(level=Level.STREET, code__startswith=county_code, is_active=True).order_by("code")
    for town in towns:
        for cat, lead_kind, assists, basis in TOWN_RULES:
            lead_code = f"{lead_kind if lead_kind == 'town' else 'sfs'}-{town.code}"
            missing = missing_codes(cat, [lead_code, *assists])
            if missing:
                summary["skipped"].append(f"{cat} @ {town.code}: {', '.join(missing)} missing")
                continue
            _save(actor, summary, categories[cat], town, depts[lead_code], [depts[c] for c in assists], [], basis)
    return summary
