"""12345 hotline import: good and broken rows, idempotent re-import, error report, GBK CSV, XLSX."""
import csv
import io
import uuid

import pytest
from django.core.management import call_command

from geodata.datums import from_wgs84
from gridgov.accounts.models import Role
from gridgov.cases.models import Case, CaseEvent, Channel
from gridgov.core.errors import FieldError
from gridgov.hotline.actions import do_import_hotline
from gridgov.hotline.importer import TICKET_NAMESPACE
from gridgov.hotline.models import BatchStatus, HotlineTicket
from tests.factories import build_small_county, make_user

HEAD = ["工单号", "来电时间", "诉求内容", "来电号码", "经度", "纬度", "坐标系", "地址", "村社区"]
GCJ = from_wgs84(119.015, 33.005, "gcj02")  # inside 南村二网格 in WGS-84
ROWS = [
    ["T1", "2026-11-20 08:30:00", "北村路边的井盖不见了，晚上很危险", "13812345678", "119.005", "33.015", "", "", ""],
    ["T2", "2026-11-20 09:00", "村里有人在田里烧秸秆，浓烟很大", "13900001111", "", "", "", "", "南村"],
    ["T3", "2026/11/20 10:00", "楼下垃圾桶满了好几天没人清运", "", "", "", "", "测试镇北村村委会旁边", ""],
    ["T4", "2026-11-20 10:00", "路灯坏了", "", "abc", "33.01", "", "", ""],
    ["T5", "2026-11-20 10:00", "路灯坏了", "", "120.5", "30.1", "", "", ""],
    ["T6", "2026-11-20 10:00", "路灯坏了", "", "", "", "", "", "东村"],
    ["T7", "2026-11-20 10:00", "", "", "119.005", "33.015", "", "", ""],
    ["T1", "2026-11-20 11:00", "重复的工单", "", "119.005", "33.015", "", "", ""],
    ["T9", "2026-11-20 10:00", "路灯坏了", "", "119.005", "33.015", "utm", "", ""],
    ["T10", "昨天下午", "路灯坏了", "", "119.005", "33.015", "", "", ""],
    ["T11", "2026-11-20 12:00", "工地晚上施工噪音太大睡不着", "021-5555 6666", f"{GCJ[0]:.7f}", f"{GCJ[1]:.7f}",
     "gcj02", "", ""],
]
BROKEN = {"T4", "T5", "T6", "T7", "T9", "T10"}


def csv_bytes(rows, encoding="utf-8"):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEAD)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


@pytest.fixture
def dispatcher(db):
    return make_user("disp1", Role.DISPATCHER)


@pytest.fixture
def setup(county, categories, dispatcher, media):
    return dispatcher


def report_rows(batch):
    with batch.error_report.open("rb") as f:
        return list(csv.reader(io.StringIO(f.read().decode("utf-8-sig"))))


def test_it_imports_good_rows_and_reports_broken_ones(setup):
    batch = do_import_hotline(setup, "tickets.csv", csv_bytes(ROWS))
    assert batch.status == BatchStatus.DONE
    assert (batch.total_rows, batch.created_count, batch.error_count) == (11, 4, 7)
    assert batch.processed_rows == 11
    cases = {t.ticket_no: t.case for t in HotlineTicket.objects.select_related("case")}
    assert set(cases) == {"T1", "T2", "T3", "T11"}
    t1 = cases["T1"]
    assert t1.channel == Channel.HOTLINE and t1.grid_code == "320831101001001" and t1.grid_name == "北村一网格"
    assert [a["code"] for a in t1.ancestors] == ["320831", "320831101", "320831101001"]
    assert t1.contact_phone == "13812345678"
    assert t1.client_uuid == uuid.uuid5(TICKET_NAMESPACE, "T1")
    assert t1.reported_at.isoformat() == "2026-11-20T00:30:00+00:00"  # 08:30 Beijing time
    assert t1.category is not None
    # located by name: the village's unit, flagged for a human to check
    assert cases["T2"].grid_code == "320831101002" and cases["T3"].grid_code == "320831101001"
    assert any(f["code"] == "located_by_name" for f in cases["T2"].flags)
    # GCJ-02 converted before locating
    assert cases["T11"].grid_code == "320831101002002" and cases["T11"].input_datum == "gcj02"
    # the audit trigger fired for each insert, naming the importer
    events = CaseEvent.objects.filter(case_id__in=[c.pk for c in cases.values()], kind="created")
    assert events.count() == 4 and {e.actor_id for e in events} == {setup.pk}
    assert {e.action for e in events} == {"import_hotline"}


def test_it_writes_the_failed_rows_with_reasons_in_both_languages(setup):
    batch = do_import_hotline(setup, "tickets.csv", csv_bytes(ROWS))
    rows = report_rows(batch)
    assert rows[0] == ["行号 line", *HEAD, "原因", "reason"]
    by_ticket = {r[1]: r for r in rows[1:]}
    assert set(by_ticket) == BROKEN | {"T1"}
    assert by_ticket["T1"][0] == "9"  # the duplicate, on line 9
    assert "重复" in by_ticket["T1"][-2] and "twice" in by_ticket["T1"][-1]
    assert "坐标" in by_ticket["T4"][-2] and "not a number" in by_ticket["T4"][-1]
    assert "不在任何网格" in by_ticket["T5"][-2] and "outside every grid" in by_ticket["T5"][-1]
    assert "东村" in by_ticket["T6"][-2] and "unknown village" in by_ticket["T6"][-1]
    assert "为空" in by_ticket["T7"][-2] and "empty" in by_ticket["T7"][-1]
    assert "utm" in by_ticket["T9"][-2] and "unknown datum" in by_ticket["T9"][-1]
    assert "昨天下午" in by_ticket["T10"][-2] and "bad call time" in by_ticket["T10"][-1]
    assert by_ticket["T4"][HEAD.index("经度") + 1] == "abc"  # the row as it was


def test_it_skips_tickets_already_imported(setup):
    do_import_hotline(setup, "tickets.csv", csv_bytes(ROWS))
    again = do_import_hotline(setup, "tickets.csv", csv_bytes(ROWS + [
        ["T12", "2026-11-21 08:00", "小区门口有人乱倒垃圾", "", "119.015", "33.015", "", "", ""]]))
    assert (again.created_count, again.skipped_count, again.error_count) == (1, 4, 7)
    assert Case.objects.count() == 5 and HotlineTicket.objects.count() == 5


def test_it_reads_gbk_csv(setup):
    batch = do_import_hotline(setup, "gbk.csv", csv_bytes(ROWS[:3], encoding="gbk"))
    assert batch.created_count == 3
    assert HotlineTicket.objects.get(ticket_no="T2").case.description == "村里有人在田里烧秸秆，浓烟很大"


def test_it_reads_xlsx_with_numeric_ticket_numbers_and_datetimes(setup):
    from datetime import datetime

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["工单号", "来电时间", "诉求内容", "来电号码", "经度", "纬度"])
    ws.append([20261120000001, datetime(2026, 11, 20, 8, 30), "路灯不亮好几天了", "13812345678", 119.015, 33.015])
    ws.append([20261120000002, datetime(2026, 11, 20, 9, 30), "", "", 119.015, 33.015])
    buf = io.BytesIO()
    wb.save(buf)
    batch = do_import_hotline(setup, "tickets.xlsx", buf.getvalue())
    assert (batch.created_count, batch.error_count) == (1, 1)
    case = HotlineTicket.objects.get(ticket_no="20261120000001").case
    assert case.grid_code == "320831101001002"


def test_it_refuses_an_ambiguous_village_name(setup):
    build_small_county(county="320832", x0=119.1)  # another 北村, in another 测试镇
    batch = do_import_hotline(setup, "t.csv", csv_bytes([
        ["A1", "2026-11-20 08:30", "垃圾没人清", "", "", "", "", "", "北村"]]))
    assert batch.created_count == 0
    assert "不唯一" in report_rows(batch)[1][-2]


def test_it_writes_nothing_on_a_dry_run(setup):
    batch = do_import_hotline(setup, "tickets.csv", csv_bytes(ROWS), dry_run=True)
    assert (batch.created_count, batch.error_count) == (4, 7)
    assert Case.objects.count() == 0 and HotlineTicket.objects.count() == 0


def test_it_refuses_a_file_without_the_required_columns(setup):
    with pytest.raises(FieldError) as exc:
        do_import_hotline(setup, "t.csv", "工单号,电话\nT1,123\n".encode())
    assert exc.value.code == "missing_columns"


def test_it_refuses_a_grid_worker(county, worker, media):
    with pytest.raises(FieldError) as exc:
        do_import_hotline(worker, "t.csv", csv_bytes(ROWS))
    assert exc.value.status == 403


def test_it_prints_progress_from_the_command(setup, tmp_path, capsys):
    path = tmp_path / "tickets.csv"
    path.write_bytes(csv_bytes(ROWS))
    call_command("import_hotline", str(path), "--user", "disp1")
    out = capsys.readouterr().out
    assert "11/11 (100%)" in out and "新建 4" in out and "错误 7" in out


@pytest.mark.django_db(transaction=True)
def test_it_uploads_from_the_admin_and_the_worker_imports_it(setup, client):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from procrastinate.contrib.django import app

    from gridgov.hotline.models import HotlineBatch

    with connection.cursor() as cur:  # procrastinate's tables outlive transactional tests
        cur.execute("TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers CASCADE")
    admin_user = make_user("boss", Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    assert client.get("/admin/hotline/hotlinebatch/upload/").status_code == 200
    r = client.post("/admin/hotline/hotlinebatch/upload/", {
        "file": SimpleUploadedFile("tickets.csv", csv_bytes(ROWS)), "datum": "wgs84"})
    assert r.status_code == 302
    batch = HotlineBatch.objects.get()
    assert client.get(f"/admin/hotline/hotlinebatch/{batch.pk}/status/").json()["status"] == "pending"
    with app.replace_connector(app.connector.get_worker_connector()):
        app.run_worker(queues=["imports"], wait=False, install_signal_handlers=False, listen_notify=False)
    status = client.get(f"/admin/hotline/hotlinebatch/{batch.pk}/status/").json()
    assert status == {**status, "status": "done", "processed": 11, "percent": 100, "created": 4, "errors": 7}
    page = client.get(f"/admin/hotline/hotlinebatch/{batch.pk}/change/")
    assert page.status_code == 200 and "下载错误行" in page.content.decode()
    errors = client.get(f"/admin/hotline/hotlinebatch/{batch.pk}/errors/")
    assert "unknown village" in b"".join(errors.streaming_content).decode("utf-8-sig")
    # the same job run again (a retry after a crash) finds the batch finished and writes nothing
    from gridgov.hotline.tasks import run_batch
    assert run_batch(batch_id=batch.pk, user_id=admin_user.pk)["skipped"] is True
    assert Case.objects.count() == 4
    with connection.cursor() as cur:
        cur.execute("SELECT status FROM procrastinate_jobs WHERE task_name = 'hotline.run_batch'")
        assert [s for (s,) in cur.fetchall()] == ["succeeded"]
        cur.execute("TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers CASCADE")


@pytest.mark.django_db(transaction=True)
def test_a_batch_whose_worker_died_is_put_back_in_the_queue_and_finished(setup):
    import asyncio

    from django.db import connection
    from procrastinate.contrib.django import app

    from gridgov.hotline.actions import do_create_batch
    from gridgov.hotline.tasks import run_batch
    from gridgov.ops.tasks import retry_stalled_jobs

    with connection.cursor() as cur:
        cur.execute("TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers, "
                    "procrastinate_workers CASCADE")
    batch = do_create_batch(setup, "tickets.csv", csv_bytes(ROWS))
    job_id = run_batch.defer(batch_id=batch.pk, user_id=setup.pk)
    with connection.cursor() as cur:  # a worker took it, then was killed: no heartbeat for 10 minutes
        cur.execute("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '10 minutes') "
                    "RETURNING id")
        worker_id = cur.fetchone()[0]
        cur.execute("UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s WHERE id = %s", [worker_id, job_id])

    async def sweep():
        async with app.open_async():
            return await retry_stalled_jobs(timestamp=0)

    with app.replace_connector(app.connector.get_worker_connector()):
        assert asyncio.run(sweep()) == {"retried": [job_id]}
    with app.replace_connector(app.connector.get_worker_connector()):
        app.run_worker(queues=["imports"], wait=False, install_signal_handlers=False, listen_notify=False)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and Case.objects.count() == 4
    with connection.cursor() as cur:
        cur.execute("SELECT status FROM procrastinate_jobs WHERE id = %s", [job_id])
        assert cur.fetchone()[0] == "succeeded"
        cur.execute("TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_periodic_defers, "
                    "procrastinate_workers CASCADE")


def test_a_large_file_is_classified_in_a_second_process_with_the_same_answers(setup, monkeypatch):
    from gridgov.hotline import importer

    in_thread = do_import_hotline(setup, "tickets.csv", csv_bytes(ROWS))
    monkeypatch.setattr(importer, "PROCESS_ABOVE", 0)  # 11 rows count as large: the spawned process runs
    pools, real = [], importer.ProcessPoolExecutor
    monkeypatch.setattr(importer, "ProcessPoolExecutor", lambda *a, **kw: pools.append(kw) or real(*a, **kw))
    again = [["P" + row[0], *row[1:]] for row in ROWS]
    in_process = do_import_hotline(setup, "tickets-p.csv", csv_bytes(again))
    assert len(pools) == 1 and pools[0]["mp_context"].get_start_method() == "spawn"
    assert (in_process.created_count, in_process.error_count) == (in_thread.created_count, 7) == (4, 7)
    category = {t.ticket_no: t.case.category.code for t in HotlineTicket.objects.select_related("case__category")}
    assert sorted(category[t] for t in category if t.startswith("P")) == \
        sorted(category[t] for t in category if not t.startswith("P"))
    assert all(category["P" + t] == category[t] for t in category if not t.startswith("P"))


def test_it_flags_low_confidence_categories_for_confirmation(setup, settings):
    settings.GRIDGOV_CLASSIFY_CONFIRM_BELOW = 1.01  # every suggestion is below: all to be confirmed
    batch = do_import_hotline(setup, "tickets.csv", csv_bytes(ROWS))
    assert batch.unconfirmed_count == 4
    for case in Case.objects.all():
        flag = next(f for f in case.flags if f["code"] == "category_unconfirmed")
        assert len(flag["suggestions"]) == 3 and case.category.code == flag["suggestions"][0][0]
    settings.GRIDGOV_CLASSIFY_CONFIRM_BELOW = 0.0
    batch = do_import_hotline(setup, "more.csv", csv_bytes([
        ["N1", "2026-11-21 08:00", "小区门口的井盖被偷了，晚上黑乎乎的很危险", "", "119.015", "33.015", "", "", ""]]))
    assert batch.unconfirmed_count == 0
    case = HotlineTicket.objects.get(ticket_no="N1").case
    assert case.category.code == "C0101" and not [f for f in case.flags if f["code"] == "category_unconfirmed"]
