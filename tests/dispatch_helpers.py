"""A small world for dispatch tests: the small county, the shipped categories, a few departments with
responders, a grid worker, a dispatcher and a monitor, and one routing rule for 暴露垃圾 (E0101)."""
from dataclasses import dataclass

from gridgov.accounts.models import Role
from gridgov.cases.models import Category
from gridgov.departments.actions import do_add_responder, do_create_department
from gridgov.departments.models import Kind
from gridgov.dispatch.rule_actions import RuleInput, do_save_rule
from gridgov.grids.models import GridUnit
from gridgov.accounts.models import User
from tests.factories import make_case, make_photo


def make_user(username, role, **kw):
    """A user without a password (hashing costs 0.4 s each; API tests force-authenticate)."""
    user = User(username=username, role=role, **kw)
    user.set_unusable_password()
    user.save()
    return user

COUNTY, TOWN, NORTH, SOUTH = "320831", "320831101", "320831101001", "320831101002"
N1 = NORTH + "001"
N1_POINT = (119.005, 33.015)


@dataclass
class World:
    depts: dict
    users: dict

    def case(self, category="E0101", **kw):
        return make_case(self.users["worker"], *N1_POINT, category=category, **kw)


def build_world():
    def dept(code, kind, area):
        return do_create_department(name=f"部门{code}", code=code, kind=kind, jurisdiction=[area])

    depts = {"cg": dept("cg", Kind.BUREAU, COUNTY), "gaj": dept("gaj", Kind.BUREAU, COUNTY),
             "scjg": dept("scjg", Kind.BUREAU, COUNTY), "hw": dept("hw", Kind.BUREAU, COUNTY),
             "town": dept("town", Kind.STREET, TOWN), "zhzx": dept("zhzx", Kind.COMMAND, COUNTY)}
    users = {
        "worker": make_user("wg", Role.GRID_WORKER, display_name="张网格"),
        "other_worker": make_user("wg2", Role.GRID_WORKER),
        "cg": make_user("cg1", Role.RESPONDER, display_name="城管甲"),
        "cg2": make_user("cg2", Role.RESPONDER, display_name="城管乙"),
        "gaj": make_user("gaj1", Role.RESPONDER),
        "scjg": make_user("scjg1", Role.RESPONDER),
        "hw": make_user("hw1", Role.RESPONDER),
        "town": make_user("town1", Role.RESPONDER),
        "dispatcher": make_user("dd", Role.DISPATCHER),
        "monitor": make_user("jk", Role.MONITOR),
    }
    GridUnit.objects.get(code=N1).workers.add(users["worker"])
    GridUnit.objects.get(code=SOUTH + "002").workers.add(users["other_worker"])
    for code in ("cg", "gaj", "scjg", "hw", "town"):
        do_add_responder(depts[code], users[code])
    do_add_responder(depts["cg"], users["cg2"])
    do_add_responder(depts["zhzx"], users["dispatcher"])
    do_save_rule(None, RuleInput(category=Category.objects.get(code="E0101"),
                                 area=GridUnit.objects.get(code=COUNTY), lead=depts["cg"], assists=[depts["gaj"]],
                                 notified=[depts["scjg"]]))
    return World(depts, users)


def photo():
    return make_photo(lonlat=N1_POINT)
