"""What the load and crash proofs check after the run, against the database and the media on disk.

Cases (from the clients' ledger):
- every report answered 201 (or 200: a retry the server recognised) is in the database exactly once,
  with the number it was answered with and as many report photos as were sent, each with its display,
  thumbnail and private original file on disk;
- no client UUID has more than one case; no report was left unsent or refused;
- every feedback answered 200 left the dispatch fed back with an after-photo on the case.
Alerts (the background sweep, after a sweep that started after the load's end):
- nothing that was due by then is unsent (a near-overdue reminder overtaken by the overdue escalation
  is not missing: by design only the escalation goes out then);
- each (dispatch, stage, kind) sent once: one AlertSent, one history event, one 督办 per overdue, and
  per recipient exactly one notice per alert — counted on the notification rows, not on the claims;
- with a crash: the deadlines that passed while everything was down (the timed dispatches) were each
  escalated once, after the restart.
"""
import json
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path


def wait_for_sweep(after, timeout=150):
    """Wait until an alerts.sweep job that started after `after` has succeeded; returns its start."""
    from django.db import connection

    deadline = time.time() + timeout
    while time.time() < deadline:
        with connection.cursor() as cur:
            cur.execute("""SELECT min(e.at) FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id
                           WHERE j.task_name = 'alerts.sweep' AND j.status = 'succeeded' AND e.type = 'started'
                             AND e.at > %s""", [after])
            (started,) = cur.fetchone()
        if started:
            return started
        time.sleep(2)
    raise RuntimeError(f"no alert sweep started after {after:%H:%M:%S} and finished within {timeout} s")


def read_ledger(path):
    answered, refused, unsent, new, feedback = {}, [], [], {}, []
    for line in Path(path).read_text().splitlines():
        rec = json.loads(line)
        t = rec["t"]
        if t == "new":
            new[rec["uuid"]] = rec
        elif t == "case":
            answered.setdefault(rec["uuid"], []).append(rec)
        elif t == "refused":
            refused.append(rec)
        elif t == "unsent":
            unsent.append(rec)
        elif t == "feedback":
            feedback.append(rec)
    return new, answered, refused, unsent, feedback


def check_cases(ledger_path, media_root):
    from django.conf import settings

    from gridgov.cases.conf import private_media_root
    from gridgov.cases.models import Case, CasePhoto

    failed = []
    new, answered, refused, unsent, feedback = read_ledger(ledger_path)
    media, private = Path(settings.MEDIA_ROOT), Path(private_media_root())
    cases = {str(c.client_uuid): c for c in Case.objects.filter(client_uuid__in=list(new))}
    per_uuid = Counter(str(u) for u in Case.objects.filter(client_uuid__in=list(new)).values_list("client_uuid",
                                                                                                   flat=True))
    dupes = [u for u, n in per_uuid.items() if n > 1]
    if dupes:
        failed.append(f"{len(dupes)} client UUIDs with more than one case, e.g. {dupes[:3]}")
    photos = defaultdict(list)
    for p in CasePhoto.objects.filter(case__client_uuid__in=list(new), kind="report"):
        photos[p.case_id].append(p)
    created_201 = answered_200 = missing = wrong_photos = missing_files = 0
    for uuid_, recs in answered.items():
        statuses = {r["status"] for r in recs}
        created_201 += 201 in statuses
        answered_200 += 201 not in statuses
        case = cases.get(uuid_)
        if case is None or any(r["number"] != case.number for r in recs):
            missing += 1
            continue
        sent = recs[0]["photos"]
        got = photos.get(case.pk, [])
        if len(got) != sent:
            wrong_photos += 1
        for p in got:
            for root, f in ((media, p.image), (media, p.thumbnail), (private, p.original)):
                if not f.name or not (root / f.name).is_file():
                    missing_files += 1
    if missing:
        failed.append(f"{missing} cases answered 200/201 are not in the database (or under another number)")
    if wrong_photos:
        failed.append(f"{wrong_photos} answered cases do not have every photo that was sent")
    if missing_files:
        failed.append(f"{missing_files} photo files missing on disk")
    if refused:
        failed.append(f"{len(refused)} reports refused (4xx), e.g. {refused[0].get('body')}")
    if unsent:
        failed.append(f"{len(unsent)} reports never answered after every retry")
    committed_unanswered = len(set(cases) - set(answered))
    fb_bad = _check_feedback(feedback)
    if fb_bad:
        failed.append(f"{fb_bad} feedbacks answered 200 without a fed-back dispatch and an after-photo")
    retried = sum(1 for recs in answered.values() if recs[0]["attempt"] > 1)
    orphans = _orphan_files(media, private)
    in_flight = len(set(new) - set(answered) - {r["uuid"] for r in refused + unsent})
    return {"reports": len(new), "in_flight_at_stop": in_flight, "answered_201": created_201,
            "answered_200_retry_only": answered_200,
            "answered_after_retry": retried, "in_db": len(cases), "committed_but_unanswered": committed_unanswered,
            "duplicates": len(dupes), "missing": missing, "wrong_photo_count": wrong_photos,
            "missing_files": missing_files, "photos_checked": sum(len(v) for v in photos.values()),
            "refused": len(refused), "unsent": len(unsent), "feedbacks": len(feedback),
            "orphan_files": orphans}, failed


def _orphan_files(media, private):
    """Files on disk that no photo row names: written by a request killed before its commit (harmless,
    removed by `manage.py prune_case_files`); counted, not a failure."""
    from gridgov.cases.models import CasePhoto

    named = set()
    for image, thumb, original in CasePhoto.objects.values_list("image", "thumbnail", "original"):
        named.update({str(media / image), str(media / thumb), str(private / original)})
    on_disk = {str(p) for root in (media, private) if root.exists() for p in root.rglob("*") if p.is_file()}
    return len(on_disk - named)


def _check_feedback(feedback):
    from gridgov.cases.models import CasePhoto
    from gridgov.dispatch.models import Dispatch

    ids = [r["dispatch"] for r in feedback]
    done = dict(Dispatch.objects.filter(pk__in=ids).values_list("pk", "case_id"))
    states = dict(Dispatch.objects.filter(pk__in=ids).values_list("pk", "state"))
    with_after = set(CasePhoto.objects.filter(case_id__in=set(done.values()), kind="after")
                     .values_list("case_id", flat=True))
    return sum(1 for i in ids if states.get(i) in (None, "whistled", "accepted", "in_progress")
               or done.get(i) not in with_after)


ALERT_SQL = {
    # per alert, the notices it should have written: (case, department reached, kind) × members
    "notices": """
        WITH expected AS (
            SELECT d.case_id, d.department_id AS dept_id,
                   CASE a.kind WHEN 'near' THEN 'near_overdue' ELSE 'supervision' END AS kind, count(*) AS n
            FROM alerts_alertsent a JOIN dispatch_dispatch d ON d.id = a.dispatch_id GROUP BY 1, 2, 3
        ), got AS (
            SELECT case_id, department_id AS dept_id, kind, recipient_id, count(*) AS n
            FROM dispatch_notification WHERE kind IN ('near_overdue', 'supervision') GROUP BY 1, 2, 3, 4
        )
        SELECT count(*) FILTER (WHERE got.n <> expected.n), count(*) FILTER (WHERE got.n = expected.n),
               count(*) FILTER (WHERE expected.n IS NULL),
               count(*) FILTER (WHERE got.n IS NULL AND EXISTS (
                   SELECT 1 FROM departments_membership m JOIN accounts_user u ON u.id = m.user_id
                   WHERE m.department_id = dept_id AND u.is_active))
        FROM got FULL JOIN expected USING (case_id, dept_id, kind)""",
    "command": """
        WITH expected AS (SELECT d.case_id, count(*) AS n FROM alerts_alertsent a
                          JOIN dispatch_dispatch d ON d.id = a.dispatch_id WHERE a.kind = 'overdue' GROUP BY 1),
             got AS (SELECT case_id, recipient_id, count(*) AS n FROM dispatch_notification WHERE kind = 'overdue'
                     GROUP BY 1, 2)
        SELECT count(*) FILTER (WHERE got.n IS DISTINCT FROM expected.n) FROM got FULL JOIN expected USING (case_id)""",
    "events": """
        SELECT count(*) FROM (SELECT dispatch_id, action, data->>'stage' FROM dispatch_dispatchevent
                              WHERE action IN ('near_overdue_reminder', 'overdue_supervision')
                              GROUP BY 1, 2, 3 HAVING count(*) > 1) x""",
    "events_vs_claims": """
        SELECT (SELECT count(*) FROM dispatch_dispatchevent
                WHERE action IN ('near_overdue_reminder', 'overdue_supervision')),
               (SELECT count(*) FROM alerts_alertsent)""",
    "supervisions": """
        SELECT (SELECT count(*) FROM (SELECT dispatch_id, stage FROM alerts_supervision WHERE source = 'auto'
                                      GROUP BY 1, 2 HAVING count(*) > 1) x),
               (SELECT count(*) FROM alerts_supervision WHERE source = 'auto'),
               (SELECT count(*) FROM alerts_alertsent WHERE kind = 'overdue')""",
    "stuck_jobs": "SELECT task_name, count(*) FROM procrastinate_jobs WHERE status = 'doing' GROUP BY 1",
}


def check_alerts(sweep_started, crash, timed_ids):
    from django.db import connection

    from gridgov.alerts.jobs import due_alerts
    from gridgov.alerts.models import AlertSent

    failed = []
    sent = set(AlertSent.objects.values_list("dispatch_id", "stage", "kind"))
    missing = [w for w in due_alerts(sweep_started) if not (w[2] == "near" and (w[0], w[1], "overdue") in sent)]
    if missing:
        failed.append(f"{len(missing)} alerts due by {sweep_started:%H:%M:%S} never sent, e.g. {missing[:3]}")
    q = {}
    with connection.cursor() as cur:
        for name, sql in ALERT_SQL.items():
            cur.execute(sql)
            q[name] = cur.fetchall()
    bad_notices, good_notices, unexpected, unnoticed = q["notices"][0]
    if bad_notices or unexpected or unnoticed:
        failed.append(f"notices per recipient differ from the alerts sent: {bad_notices} wrong counts, "
                      f"{unexpected} without an alert, {unnoticed} alerts whose department heard nothing")
    if q["command"][0][0]:
        failed.append(f"{q['command'][0][0]} command-centre escalation counts differ from the alerts sent")
    if q["events"][0][0]:
        failed.append(f"{q['events'][0][0]} (dispatch, stage) with a repeated alert event")
    events, claims = q["events_vs_claims"][0]
    if events != claims:
        failed.append(f"{events} alert events for {claims} alerts sent")
    dup_sup, sups, overdue = q["supervisions"][0]
    if dup_sup or sups != overdue:
        failed.append(f"督办: {dup_sup} repeated, {sups} automatic for {overdue} overdue alerts")
    by_kind = Counter(k for _d, _s, k in sent)
    out = {"sent": dict(by_kind), "notice_groups_checked": good_notices, "supervisions": sups,
           "missing": len(missing), "stuck_jobs_after_run": dict(q["stuck_jobs"])}
    if crash:
        killed, restarted = crash["killed_at"], crash["restarted_at"]
        fell_due_down = list(AlertSent.objects.filter(kind="overdue", due_at__gte=killed, due_at__lt=restarted))
        timed_sent = AlertSent.objects.filter(dispatch_id__in=timed_ids, stage="accept", kind="overdue")
        late = [a for a in fell_due_down if a.sent_at < restarted]
        out.update({"overdue_fell_due_while_down": len(fell_due_down),
                    "timed_dispatches": len(timed_ids), "timed_escalated_once": timed_sent.count(),
                    "first_sent_after_restart_s": min(((a.sent_at - restarted).total_seconds() for a in fell_due_down),
                                                      default=None)})
        if timed_ids and timed_sent.count() != len(timed_ids):
            failed.append(f"{len(timed_ids) - timed_sent.count()} of {len(timed_ids)} deadlines that passed while "
                          "down were not escalated after the restart")
        if late:
            failed.append(f"{len(late)} escalations claim to be sent while everything was down")
        if not fell_due_down:
            failed.append("no deadline fell due while down: the crash proof proved nothing about alerts")
    return out, failed


def run_checks(ledger_path, users, crash, sweep_started, run_dir):
    cases, failed = check_cases(ledger_path, run_dir)
    alerts, failed_alerts = check_alerts(sweep_started, crash, users.get("timed") or [])
    return {"cases": cases, "alerts": alerts, "sweep_checked_at": sweep_started.astimezone(UTC).isoformat(),
            "failed_checks": failed + failed_alerts, "checked_at": datetime.now(UTC).isoformat()}
