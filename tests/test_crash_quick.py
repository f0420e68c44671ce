"""Quick version of the crash proof (issue 7 item 2; the full run is bench/verify/20-crash.sh): during a
small load, kill -9 gunicorn (master and workers) and the background worker, restart them; the clients
retry with the same client UUIDs. Then: every case answered 201 is present with all its photos, no UUID has
two cases, and the deadlines that passed while everything was down were escalated once, after the restart.
Plus the checker itself: it must notice a lost case, a lost photo file and a missing alert."""
import json
import sys
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from tests.factories import make_case, make_photo, make_user
from tests.load_helpers import ROOT, run_harness

sys.path.insert(0, str(ROOT / "bench/load"))


def test_it_loses_nothing_and_alerts_once_across_a_kill_9(tmp_path):
    result, proc = run_harness(tmp_path, "--duration", "24", "--crash-at", "7", "--down", "8")
    detail = proc.stdout[-3000:]
    assert result["failed_checks"] == [], detail
    cases, alerts = result["cases"], result["alerts"]
    assert result["crash"]["killed_pids"] >= 5  # gunicorn master + 3 workers + the procrastinate worker
    assert cases["answered_201"] >= 5 and cases["missing"] == 0 and cases["duplicates"] == 0, detail
    assert cases["unsent"] == 0 and cases["refused"] == 0, detail
    assert alerts["timed_escalated_once"] == alerts["timed_dispatches"] == 4, detail
    assert alerts["overdue_fell_due_while_down"] >= 4 and alerts["first_sent_after_restart_s"] >= 0, detail
    assert result["ok"], detail


def _ledger(path, *records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_it_reports_a_lost_case_and_a_lost_photo_file(db, county, categories, media, tmp_path):
    from checks import check_cases

    worker = make_user("w1")
    case = make_case(worker, photos=[make_photo(name="a.jpg")])
    ok = _ledger(tmp_path / "ok.jsonl", {"t": "new", "uuid": str(case.client_uuid), "photos": 1},
                 {"t": "case", "uuid": str(case.client_uuid), "status": 201, "number": case.number, "photos": 1,
                  "attempt": 1})
    summary, failed = check_cases(ok, tmp_path)
    assert failed == [] and summary["answered_201"] == 1 and summary["photos_checked"] == 1

    lost = _ledger(tmp_path / "lost.jsonl", {"t": "new", "uuid": "9b1c1f53-5a0e-4c57-b3a4-7d0c6a3f1e01", "photos": 1},
                   {"t": "case", "uuid": "9b1c1f53-5a0e-4c57-b3a4-7d0c6a3f1e01", "status": 201, "number": "X1",
                    "photos": 1, "attempt": 2})
    _summary, failed = check_cases(lost, tmp_path)
    assert any("not in the database" in f for f in failed)

    photo = case.photos.get()
    Path(photo.thumbnail.path).unlink()
    _summary, failed = check_cases(ok, tmp_path)
    assert any("photo files missing" in f for f in failed)


def test_it_reports_an_alert_that_fell_due_and_was_never_sent(db, county, categories, media):
    from checks import check_alerts

    from gridgov.departments.models import Department
    from gridgov.dispatch.models import Dispatch, Role, State

    worker = make_user("w1")
    case = make_case(worker)
    dept = Department.objects.create(code="d1", name="测试局", kind="bureau")
    now = timezone.now()
    Dispatch.objects.create(case=case, department=dept, role=Role.LEAD, state=State.WHISTLED,
                            dispatched_at=now - timedelta(hours=2), accept_due=now - timedelta(hours=1),
                            response_limit_amount=60, response_limit_unit="minutes")
    _out, failed = check_alerts(now, None, [])
    assert any("never sent" in f for f in failed)
