"""Demo departments for the demo county (320831 金湖县 by default). Idempotent: running it again
brings the demo departments back to this state and creates nothing twice.

County-wide departments cover the county grid unit (if it exists); each town-level grid unit that
exists gets its street/town office, a 城管中队 under that office and a 司法所 under the 司法局, all
covering that unit. Phone numbers are left blank: no invented numbers.
"""
from django.conf import settings
from django.db import transaction

from gridgov.grids.models import GridUnit, Level

from .actions import do_create_department, do_set_jurisdiction, do_update_department
from .models import Department, Kind

# (code, name, kind, parent code) — parents listed before their children.
COUNTY_DEPARTMENTS = [
    ("zhzx", "{county}网格化社会治理指挥中心", Kind.COMMAND, None),
    ("zfw", "{county}委政法委（综治中心）", Kind.BUREAU, None),
    ("cgj", "{county}城市管理综合行政执法局", Kind.BUREAU, None),
    ("srhw", "{county}市容环境卫生管理处", Kind.BUREAU, "cgj"),
    ("zjj", "{county}住房和城乡建设局", Kind.BUREAU, None),
    ("ylc", "{county}园林绿化管理处", Kind.BUREAU, "zjj"),
    ("sthj", "{county}生态环境局", Kind.BUREAU, None),
    ("rsj", "{county}人力资源和社会保障局", Kind.BUREAU, None),
    ("wjw", "{county}卫生健康委员会", Kind.BUREAU, None),
    ("zrzy", "{county}自然资源和规划局", Kind.BUREAU, None),
    ("scjg", "{county}市场监督管理局", Kind.BUREAU, None),
    ("gaj", "{county}公安局", Kind.BUREAU, None),
    ("sfj", "{county}司法局", Kind.BUREAU, None),
    ("water", "{county}自来水公司", Kind.UTILITY, None),
    ("power", "国网{county}供电公司", Kind.UTILITY, None),
    ("gas", "{county}燃气公司", Kind.UTILITY, None),
    ("telecom", "中国电信{county}分公司", Kind.UTILITY, None),
    ("court", "{county}人民法院（诉讼渠道）", Kind.DIVERSION, None),
    ("arbitration", "{county}劳动人事争议仲裁委员会（仲裁渠道）", Kind.DIVERSION, None),
    ("review", "{county}人民政府行政复议办公室（行政复议渠道）", Kind.DIVERSION, None),
]


def office_name(town_name):
    if town_name.endswith("街道"):
        return town_name + "办事处"
    if town_name.endswith(("镇", "乡")):
        return town_name + "人民政府"
    return town_name + "办事处"


def _ensure(code, name, kind, parent, units):
    dept = Department.objects.filter(code=code).first()
    if dept is None:
        return do_create_department(name=name, code=code, kind=kind, parent=parent, jurisdiction=units), True
    do_update_department(dept, name=name, kind=kind, parent=parent, is_active=True)
    do_set_jurisdiction(dept, units)
    return dept, False


@transaction.atomic
def seed_demo_departments(county_code=None):
    """Create or refresh the demo departments. Returns {"created": n, "existing": n}."""
    county_code = county_code or settings.GRIDGOV_COUNTY_CODE
    county = GridUnit.objects.filter(code=county_code).first()
    county_name = county.name if county else "金湖县"
    county_units = [county] if county else []
    created = existing = 0
    by_code = {}

    def ensure(code, name, kind, parent, units):
        nonlocal created, existing
        dept, is_new = _ensure(code, name, kind, parent, units)
        created += is_new
        existing += not is_new
        by_code[code] = dept
        return dept

    for code, name, kind, parent in COUNTY_DEPARTMENTS:
        ensure(code, name.format(county=county_name), kind, by_code.get(parent), county_units)

    towns = GridUnit.objects.filter(level=Level.STREET, code__startswith=county_code, is_active=True).order_by("code")
    for town in towns:
        office = ensure(f"town-{town.code}", office_name(town.name), Kind.STREET, None, [town])
        ensure(f"cgzd-{town.code}", f"{town.name}城管中队", Kind.SQUAD, office, [town])
        ensure(f"sfs-{town.code}", f"{town.name}司法所", Kind.SQUAD, by_code["sfj"], [town])
    return {"created": created, "existing": existing}
