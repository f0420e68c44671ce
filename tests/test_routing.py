"""Routing table: resolution (table-driven), ties, diversion, versions, CSV, demo table."""
import pytest
from django.db import IntegrityError, connection, transaction

from gridgov.accounts.models import Role
from gridgov.cases.models import Category
from gridgov.departments.actions import do_create_department
from gridgov.departments.models import Kind
from gridgov.dispatch import routing
from gridgov.dispatch.actions import do_whistle
from gridgov.dispatch.csv_io import do_import_rules, export_csv, parse_csv
from gridgov.dispatch.models import RoutingRule, RoutingRuleVersion, TriageItem, TriageReason
from gridgov.dispatch.rule_actions import RuleInput, do_deactivate_rule, do_save_rule, rule_input
from gridgov.core.errors import FieldError
from gridgov.grids.models import GridUnit
from gridgov.workcal.limits import TimeLimit
from tests.factories import make_case, make_user

pytestmark = pytest.mark.django_db

COUNTY, TOWN, NORTH, SOUTH = "320831", "320831101", "320831101001", "320831101002"
N1, N2, S1, S2 = NORTH + "001", NORTH + "002", SOUTH + "001", SOUTH + "002"


@pytest.fixture
def depts(county, categories):
    def dept(code, kind, area):
        return do_create_department(name=f"部门{code}", code=code, kind=kind, jurisdiction=[area])

    return {
        "hw": dept("hw", Kind.BUREAU, COUNTY), "cg": dept("cg", Kind.BUREAU, COUNTY),
        "gaj": dept("gaj", Kind.BUREAU, COUNTY), "scjg": dept("scjg", Kind.BUREAU, COUNTY),
        "town": dept("town", Kind.STREET, TOWN), "sq-n": dept("sq-n", Kind.SQUAD, NORTH),
        "sq-s": dept("sq-s", Kind.SQUAD, SOUTH), "court": dept("court", Kind.DIVERSION, COUNTY),
        "zhzx": dept("zhzx", Kind.COMMAND, COUNTY),
    }


def cat(code):
    return Category.objects.get(code=code)


def unit(code):
    return GridUnit.objects.get(code=code)


def save(depts, category, area, lead, assists=(), notified=(), legal_basis="", **kw):
    inp = RuleInput(category=cat(category), area=unit(area), lead=depts[lead], assists=[depts[a] for a in assists],
                    notified=[depts[n] for n in notified], legal_basis=legal_basis, **kw)
    return do_save_rule(None, inp)[0]


@pytest.fixture
def table(depts):
    save(depts, "E01", COUNTY, "hw")  # group, district-wide
    save(depts, "E0101", COUNTY, "cg")  # item, district-wide
    save(depts, "E0103", COUNTY, "cg", assists=["gaj"], notified=["scjg"])
    save(depts, "E0101", TOWN, "town")  # item, the street/town
    save(depts, "E0101", NORTH, "sq-n")  # item, one community
    save(depts, "E01", SOUTH, "sq-s")  # group, the other community
    return depts


@pytest.mark.parametrize("category, grid, lead, why", [
    ("E0101", N1, "sq-n", "community item rule beats town and county item rules"),
    ("E0101", N2, "sq-n", "the community rule covers every grid of the community"),
    ("E0101", S1, "sq-s", "community group rule beats the town item rule: area first"),
    ("E0102", N1, "hw", "only the county group rule matches a sibling item"),
    ("E0102", S2, "sq-s", "group rule of the community"),
    ("E0103", N1, "cg", "same area: the item rule beats the group rule"),
])
def test_it_resolves_the_most_specific_area_then_item_over_group(table, category, grid, lead, why):
    route = routing.resolve(cat(category), grid)
    assert route.matched, why
    assert route.lead.code == lead, why


def test_it_returns_every_candidate_best_first_for_the_preview(table):
    route = routing.resolve(cat("E0101"), N1)
    assert [(r.area_code, r.category.code) for r in route.candidates] == [
        (NORTH, "E0101"), (TOWN, "E0101"), (COUNTY, "E0101"), (COUNTY, "E01")]
    assert "区域最具体者优先" in routing.explain(route)


def test_it_carries_assists_and_notified_of_the_winning_rule(table):
    route = routing.resolve(cat("E0103"), N1)
    assert [d.code for d in route.assists] == ["gaj"]
    assert [d.code for d in route.notified] == ["scjg"]


def test_no_matching_rule_goes_to_triage_and_is_never_dropped(table):
    route = routing.resolve(cat("S0101"), N1)
    assert not route.matched and route.triage_reason == TriageReason.NO_RULE
    worker = make_user("w", Role.GRID_WORKER)
    unit(N1).workers.add(worker)
    case = make_case(worker, lon=119.005, lat=33.015, category="S0101")
    result = do_whistle(case, worker)
    assert result.dispatches == []
    item = TriageItem.objects.get(case=case)
    assert item.reason == TriageReason.NO_RULE and item.resolved_at is None


def test_an_inactive_rule_does_not_match(table):
    rule = RoutingRule.objects.get(category__code="E0101", area_code=NORTH)
    do_deactivate_rule(None, rule)
    assert routing.resolve(cat("E0101"), N1).lead.code == "town"


def test_a_tie_is_refused_when_the_rule_is_saved(table):
    with pytest.raises(FieldError) as exc:
        save(table, "E0101", TOWN, "cg")
    assert exc.value.field == "area" and exc.value.code == "ambiguous_rule"
    assert RoutingRule.objects.filter(category__code="E0101", area_code=TOWN).count() == 1


def test_the_database_refuses_a_tie_as_a_backstop(table):
    existing = RoutingRule.objects.get(category__code="E0101", area_code=TOWN)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoutingRule.objects.create(category=existing.category, area=existing.area, area_code=TOWN, lead=table["cg"])


def test_a_deactivated_rule_is_no_tie(table):
    old = RoutingRule.objects.get(category__code="E0101", area_code=TOWN)
    do_deactivate_rule(None, old)
    new = save(table, "E0101", TOWN, "cg")
    assert routing.resolve(cat("E0101"), S1).rule != new  # south: community group rule still wins
    assert routing.resolve(cat("E0101"), S1).lead.code == "sq-s"


def test_a_lead_outside_the_area_is_refused(depts):
    with pytest.raises(FieldError) as exc:
        save(depts, "E0101", SOUTH, "sq-n")
    assert exc.value.field == "lead" and exc.value.code == "outside_jurisdiction"


def test_the_lead_cannot_also_assist_and_nobody_both_assists_and_is_notified(depts):
    with pytest.raises(FieldError) as exc:
        save(depts, "E0101", COUNTY, "cg", assists=["cg"])
    assert exc.value.field == "assists"
    with pytest.raises(FieldError) as exc:
        save(depts, "E0101", COUNTY, "cg", assists=["gaj"], notified=["gaj"])
    assert exc.value.field == "notified"


def test_a_diversion_needs_its_legal_basis_and_shows_it(depts):
    with pytest.raises(FieldError) as exc:
        save(depts, "S0108", COUNTY, "court")
    assert exc.value.field == "legal_basis" and exc.value.code == "required"
    save(depts, "S0108", COUNTY, "court", legal_basis="《中华人民共和国行政诉讼法》第十二条")
    route = routing.resolve(cat("S0108"), S2)
    assert route.is_diversion and route.legal_basis.startswith("《中华人民共和国行政诉讼法》")
    assert "法律依据" in routing.explain(route)


def test_a_diversion_dispatch_keeps_the_legal_basis(depts):
    save(depts, "S0108", COUNTY, "court", legal_basis="《行政诉讼法》")
    worker = make_user("w", Role.GRID_WORKER)
    unit(N1).workers.add(worker)
    result = do_whistle(make_case(worker, category="S0108"), worker)
    [d] = result.dispatches
    assert d.department.code == "court" and d.legal_basis == "《行政诉讼法》"


def test_every_change_writes_a_version_and_history_cannot_be_rewritten(depts):
    rule = save(depts, "E0101", COUNTY, "cg")
    rule, changed = do_save_rule(None, rule_input(rule, lead=depts["hw"], handling_limit=TimeLimit(2, "work_days")),
                                 rule=rule)
    assert changed and rule.version == 2
    _same, changed = do_save_rule(None, rule_input(rule), rule=rule)
    assert not changed  # identical content: no new version
    versions = list(RoutingRuleVersion.objects.filter(rule=rule).order_by("version"))
    assert [(v.version, v.change, v.snapshot["lead"]) for v in versions] == [(1, "created", "cg"), (2, "updated", "hw")]
    assert versions[1].snapshot["handling_limit"] == "2 work_days"
    with pytest.raises(Exception), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("UPDATE dispatch_routingruleversion SET change = 'x' WHERE id = %s", [versions[0].pk])


def test_csv_export_then_import_changes_nothing(table):
    text = export_csv()
    assert text.splitlines()[0].startswith("category,area,lead,assists,notified,legal_basis")
    before = RoutingRuleVersion.objects.count()
    summary = do_import_rules(parse_csv(text.encode("utf-8-sig")))
    assert summary == {"created": 0, "changed": 0, "unchanged": 6}
    assert RoutingRuleVersion.objects.count() == before


def test_csv_import_creates_updates_and_reads_chinese_units(depts):
    data = ("category,area,lead,assists,notified,legal_basis,response_limit,response_limit_unit,handling_limit,"
            "handling_limit_unit,note,is_active\n"
            f"E0401,{COUNTY},cg,scjg；gaj,,,1,工作时,4,work_hours,占道经营,1\n"
            f"S0101,{TOWN},town,,,,,,,,,1\n")
    assert do_import_rules(parse_csv(data.encode("gb18030"))) == {"created": 2, "changed": 0, "unchanged": 0}
    rule = RoutingRule.objects.get(category__code="E0401")
    assert sorted(d.code for d in rule.assists.all()) == ["gaj", "scjg"]
    assert (rule.response_limit_amount, rule.response_limit_unit) == (1, "work_hours")
    again = data.replace("town,,,,,,,,,1", "town,,scjg,,,,,,,1")
    assert do_import_rules(parse_csv(again)) == {"created": 0, "changed": 1, "unchanged": 1}


@pytest.mark.parametrize("bad_row, column, code", [
    (f"E0101,{COUNTY},nobody,,,,,,,,,1", "lead", "unknown_code"),
    (f"E0101,999999,cg,,,,,,,,,1", "area", "unknown_code"),
    (f"E0101,{COUNTY},cg,,,,4,,,,,1", "response_limit", "incomplete_limit"),
    (f"E0101,{COUNTY},cg,,,,4,fortnights,,,,1", "response_limit_unit", "invalid_unit"),
    (f"E0102,{COUNTY},hw,,,,,,,,,1", "area", "ambiguous_rule"),  # repeats line 2
    (f"S0108,{COUNTY},court,,,,,,,,,1", "legal_basis", "required"),
])
def test_a_bad_csv_row_is_named_and_nothing_is_written(depts, bad_row, column, code):
    data = ("category,area,lead,assists,notified,legal_basis,response_limit,response_limit_unit,handling_limit,"
            "handling_limit_unit,note,is_active\n"
            f"E0102,{COUNTY},hw,,,,,,,,,1\n" + bad_row + "\n")
    with pytest.raises(FieldError) as exc:
        do_import_rules(parse_csv(data))
    assert (exc.value.field, exc.value.code, exc.value.extra["line"]) == (column, code, 3)
    assert RoutingRule.objects.count() == 0


def test_the_demo_table_follows_the_typical_routing_and_is_idempotent(county, categories):
    from gridgov.departments.demo import seed_demo_departments
    from gridgov.dispatch.demo import seed_demo_routing

    seed_demo_departments(COUNTY)
    first = seed_demo_routing(COUNTY)
    assert first["created"] > 30 and first["skipped"] == []
    again = seed_demo_routing(COUNTY)
    assert again["created"] == again["changed"] == 0 and again["unchanged"] == first["created"]
    expect = {"E0301": "cgj", "E0101": "srhw", "C0101": "water", "E0106": "sthj", "S0103": "rsj", "S0106": "wjw",
              "S0107": "scjg", "S0105": "zjj", "S0101": f"sfs-{TOWN}", "S0104": f"town-{TOWN}", "S0108": "review"}
    for code, lead in expect.items():
        assert routing.resolve(cat(code), N1).lead.code == lead, code
    occupy = routing.resolve(cat("E0401"), N1)
    assert sorted(d.code for d in occupy.assists) == ["gaj", "scjg"]
    assert routing.resolve(cat("S0108"), N1).is_diversion
    assert not routing.resolve(cat("E0506"), N1).matched  # 火情: triage on purpose


# --- admin -----------------------------------------------------------------------------------------

@pytest.fixture
def admin_client(client, db):
    from tests.dispatch_helpers import make_user as make_fast_user

    user = make_fast_user("root", Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def _form(depts, category, area, lead, **extra):
    data = {"category": cat(category).pk, "area": unit(area).pk, "lead": depts[lead].pk, "legal_basis": "",
            "response_limit_amount": "", "response_limit_unit": "", "handling_limit_amount": "",
            "handling_limit_unit": "", "note": "", "is_active": "on",
            "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0"}
    data.update(extra)
    return data


def test_the_admin_saves_a_versioned_rule_and_refuses_a_tie(admin_client, depts):
    r = admin_client.post("/admin/dispatch/routingrule/add/",
                          _form(depts, "E0101", TOWN, "town", assists=[depts["cg"].pk], handling_limit_amount="2",
                                handling_limit_unit="work_days"))
    assert r.status_code == 302, r.content.decode()[:2000]
    rule = RoutingRule.objects.get()
    assert rule.area_code == TOWN and [d.code for d in rule.assists.all()] == ["cg"]
    assert [v.snapshot["handling_limit"] for v in rule.versions.all()] == ["2 work_days"]
    r = admin_client.post("/admin/dispatch/routingrule/add/", _form(depts, "E0101", TOWN, "cg"))
    assert r.status_code == 200 and "同一分类、同一区域" in r.content.decode()
    assert RoutingRule.objects.count() == 1
    r = admin_client.post(f"/admin/dispatch/routingrule/{rule.pk}/change/",
                          _form(depts, "E0101", TOWN, "town", note="改备注"))
    assert r.status_code == 302
    assert list(RoutingRuleVersion.objects.filter(rule=rule).values_list("version", flat=True).order_by("version")) == [
        1, 2]


def test_the_admin_imports_and_exports_csv(admin_client, depts):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = f"category,area,lead\nE0101,{COUNTY},cg\n".encode()
    r = admin_client.post("/admin/dispatch/routingrule/import-csv/",
                          {"file": SimpleUploadedFile("r.csv", data, content_type="text/csv")})
    assert r.status_code == 302 and RoutingRule.objects.count() == 1
    exported = admin_client.get("/admin/dispatch/routingrule/export-csv/").content.decode("utf-8-sig")
    assert f"E0101,{COUNTY},cg" in exported
    assert admin_client.get("/admin/dispatch/dispatch/").status_code == 200
