import io

import pytest
from django.core.management import CommandError, call_command

from gridgov.accounts.models import Role
from gridgov.cases.actions import do_import_categories
from gridgov.cases.categories import SEED_CSV, export_csv, parse_csv, seed_categories
from gridgov.cases.models import Category, CategoryLevel
from gridgov.core.errors import FieldError
from tests.factories import make_user

pytestmark = pytest.mark.django_db

HEADER = ("code,name,parent_code,kind,default_urgency,response_limit,response_limit_unit,handling_limit,"
          "handling_limit_unit,warning_colour,duplicate_radius_m,duplicate_window_hours,keywords,is_active\n")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_seed_list_has_the_groups_of_the_domain(categories):
    groups = dict(Category.objects.filter(level=CategoryLevel.GROUP).values_list("name", "code"))
    for name in ["市容环境", "宣传广告", "施工管理", "街面秩序", "突发事件", "公用设施（部件）", "矛盾纠纷", "安全隐患",
                 "群众诉求及信访苗头", "民生服务"]:
        assert name in groups
    items = Category.objects.filter(level=CategoryLevel.ITEM)
    assert items.count() >= 50
    for item in items:
        assert item.code.startswith(item.parent.code)
        assert item.handling_limit and item.handling_limit_unit and item.response_limit and item.warning_colour
        assert item.duplicate_radius_m > 0 and item.duplicate_window_hours > 0


@pytest.mark.parametrize("name,response,handling", [
    ("井盖缺失", (60, "minutes"), (6, "hours")),
    ("暴露垃圾", (1, "work_hours"), (4, "work_hours")),
    ("违法建设（私搭乱建）", (4, "work_hours"), (20, "work_days")),
])
def test_the_time_limits_follow_the_city_rules_quoted_in_the_domain(categories, name, response, handling):
    c = Category.objects.get(name=name)
    assert (c.response_limit, c.response_limit_unit) == response
    assert (c.handling_limit, c.handling_limit_unit) == handling


def test_the_four_warning_colours_are_all_used(categories):
    used = set(Category.objects.exclude(warning_colour="").values_list("warning_colour", flat=True))
    assert used == {"blue", "yellow", "orange", "red"}
    assert Category.objects.get(name="政策咨询").warning_colour == "blue"
    assert Category.objects.get(name="投诉举报").warning_colour == "red"


def test_seeding_twice_changes_nothing(categories):
    assert seed_categories() == {"created": 0, "changed": 0, "unchanged": Category.objects.count()}


def test_export_then_import_changes_nothing(categories):
    text = export_csv()
    assert text.splitlines()[0] == HEADER.strip()
    assert do_import_categories(parse_csv(text)) == {"created": 0, "changed": 0, "unchanged": Category.objects.count()}
    assert export_csv() == text


def test_a_county_list_adds_and_changes_by_code(categories):
    data = HEADER + ("E01,市容环境,,event,,,,,,,,,,1\n"
                     "E0101,暴露垃圾,E01,event,urgent,30,minutes,2,hours,yellow,80,24,垃圾,1\n"
                     "E0199,乱堆杂物,E01,event,normal,1,work_hours,1,work_days,blue,50,24,杂物,1\n")
    summary = do_import_categories(parse_csv(data.encode("gbk")))  # GBK, as Excel saves it in China
    assert summary["created"] == 1 and summary["changed"] >= 1
    rubbish = Category.objects.get(code="E0101")
    assert (rubbish.default_urgency, rubbish.handling_limit, rubbish.handling_limit_unit) == ("urgent", 2, "hours")
    assert Category.objects.get(code="E0199").parent.code == "E01"
    assert Category.objects.filter(code="C0101").exists()  # not in the file: kept


@pytest.mark.parametrize("rows,line,column,code", [
    ("X1,组,,event,,,,,,,,,,1\nX101,项,X1,event,normal,4,fortnights,,,blue,,,,1\n", 3, "response_limit_unit",
     "invalid_choice"),
    ("X1,组,,event,,,,,,,,,,1\nX101,项,X1,event,normal,4,,,,blue,,,,1\n", 3, "response_limit", "incomplete_limit"),
    ("X1,组,,event,,,,,,,,,,1\nX101,项,X1,event,normal,0,hours,,,blue,,,,1\n", 3, "response_limit", "out_of_range"),
    ("X1,组,,event,,,,,,,,,,1\nX101,项,X1,event,normal,,,9999,work_days,blue,,,,1\n", 3, "handling_limit",
     "out_of_range"),
    ("X1,组,,event,,,,,,,,,,1\nY101,项,X1,event,normal,,,,,blue,,,,1\n", 3, "parent_code", "code_not_under_parent"),
    ("X101,项,X1,event,normal,,,,,blue,,,,1\n", 2, "parent_code", "unknown_parent"),
    ("X1,组,,event,,,,,,,,,,1\nX1,组,,event,,,,,,,,,,1\n", 3, "code", "duplicate_code"),
    ("X1,组,,event,,,,,,,,,,1\nX101,项,X1,event,normal,,,,,purple,,,,1\n", 3, "warning_colour", "invalid_choice"),
    ("X1,组,,event,,,,,,,,,,1\nX101,项,X1,event,asap,,,,,,,,,1\n", 3, "default_urgency", "invalid_choice"),
    ("X1,组,,event,,,,,,,,,,1\nX101,项,X1,event,,,,,,,,,,1\nX10101,细,X101,event,,,,,,,,,,1\n", 4, "parent_code",
     "too_deep"),
    ("X 1,组,,event,,,,,,,,,,1\n", 2, "code", "malformed_code"),
    ("X1,,,event,,,,,,,,,,1\n", 2, "name", "required"),
])
def test_a_broken_list_is_refused_naming_line_and_column_and_nothing_is_written(db, rows, line, column, code):
    with pytest.raises(FieldError) as err:
        do_import_categories(parse_csv(HEADER + rows))
    assert (err.value.field, err.value.code, err.value.extra["line"]) == (column, code, line)
    assert f"第 {line} 行" in err.value.message_zh and f"line {line}" in err.value.message_en
    assert not Category.objects.filter(code__startswith="X").exists()


def test_a_file_without_the_needed_columns_is_refused(db):
    with pytest.raises(FieldError) as err:
        parse_csv("编码,名称\nA,b\n")
    assert err.value.code == "missing_columns" and "code" in err.value.message_en


def test_labels_are_accepted_for_units_and_choices(db):
    rows = parse_csv(HEADER + "X1,组,,社会治理,,,,,,,,,,1\nX101,项,X1,社会治理,紧急,2,工作日,,,红色（投诉举报）,,,,1\n")
    assert (rows[1].kind, rows[1].default_urgency, rows[1].response_limit_unit, rows[1].warning_colour) == (
        "social", "urgent", "work_days", "red")


def test_the_commands_import_export_and_dry_run(db, tmp_path):
    Category.objects.filter(parent__isnull=False).delete()  # children first: parent is PROTECT
    Category.objects.all().delete()
    call_command("seed_categories", stdout=io.StringIO())
    n = Category.objects.count()
    out = tmp_path / "cats.csv"
    call_command("export_categories", "-o", str(out), stdout=io.StringIO())
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    extra = tmp_path / "extra.csv"
    extra.write_text(HEADER + "Z1,新大类,,event,,,,,,,,,,1\n", encoding="utf-8")
    call_command("import_categories", str(extra), "--dry-run", stdout=io.StringIO())
    assert Category.objects.count() == n
    call_command("import_categories", str(extra), stdout=io.StringIO())
    assert Category.objects.count() == n + 1
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "Z101,项,Q1,event,,,,,,,,,,1\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Q1"):
        call_command("import_categories", str(bad), stdout=io.StringIO())
    assert SEED_CSV.read_text(encoding="utf-8").count("\n") > n - 5


def test_the_admin_imports_and_exports_csv(client, categories):
    admin = make_user("boss", Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    r = client.get("/admin/cases/category/export-csv/")
    assert r.status_code == 200 and "井盖缺失" in r.content.decode("utf-8-sig")
    upload = io.BytesIO((HEADER + "E0198,沿街晾晒,E01,event,normal,1,work_hours,4,work_hours,blue,50,24,晾晒,1\n")
                        .encode())
    upload.name = "county.csv"
    r = client.post("/admin/cases/category/import-csv/", {"file": upload})
    assert r.status_code == 302
    assert Category.objects.get(code="E0198").parent.code == "E01"
    assert client.get("/admin/cases/category/").status_code == 200


def test_the_admin_case_pages_render_and_edits_are_audited(client, county, categories):
    from gridgov.cases.models import CaseEvent
    from tests.factories import make_case

    admin = make_user("boss", Role.ADMIN, is_staff=True, is_superuser=True)
    case = make_case(admin, contact_phone="13800001111")
    client.force_login(admin)
    assert client.get("/admin/cases/case/").status_code == 200
    page = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200
    form = {"category": Category.objects.get(code="E0103").pk, "description": "管理员修改", "urgency": "urgent",
            "status": "reported", "address": "", "contact_name": "", "contact_phone": "13800001111",
            "photos-TOTAL_FORMS": "0", "photos-INITIAL_FORMS": "0"}
    r = client.post(f"/admin/cases/case/{case.pk}/change/", form)
    assert r.status_code == 302, r.content.decode()[:2000]
    last = CaseEvent.objects.filter(case_id=case.pk).order_by("id").last()
    assert last.actor_id == admin.pk and last.after["description"] == "管理员修改"
    assert client.get("/admin/cases/caseevent/").status_code == 200


def test_a_category_change_is_seen_at_once_in_this_process(api, county, categories):
    import uuid

    from gridgov.cases.selectors import category_by_code

    assert category_by_code("E0101").is_active
    rubbish = Category.objects.get(code="E0101")
    rubbish.is_active = False
    rubbish.save()
    r = api.post("/api/v1/cases/", {"client_uuid": str(uuid.uuid4()), "lon": 119.005, "lat": 33.015,
                                    "category": "E0101", "channel": "other"}, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "inactive_category"
    Category.objects.create(code="E0197", name="新小类", level=CategoryLevel.ITEM, parent=rubbish.parent)
    assert category_by_code("E0197").name == "新小类"
