"""Writes of the alerts app: near-overdue reminders, overdue escalation (督办), manual supervision.

do_send_alert is the one place an automatic alert is sent. In one transaction it
  1. takes a share lock on the dispatch row (a department acting on it at that moment waits, or has
     already committed and we see its new state),
  2. re-checks in SQL that the stage is still at that level (accepted meanwhile → nothing is sent),
  3. claims (dispatch, stage, kind) with INSERT … ON CONFLICT DO NOTHING on alerts_alertsent — a second
     worker doing the same waits on the unique index until the first commits, then inserts nothing,
  4. notifies (in-app rows + delivery rows through gridgov.dispatch.notify) and, for overdue, writes
     the Supervision (督办) record and a dispatch event for the case history.
A crash before commit rolls all of it back, claim included, so the next sweep sends it: exactly once.
"""
from django.db import connection, transaction
from django.utils import timezone
from django.utils.timezone import localtime

from gridgov.core.errors import Conflict
from gridgov.dispatch import access, transitions
from gridgov.dispatch.models import Dispatch, Role, State
from gridgov.dispatch.notify import notify
from gridgov.dispatch.selectors import command_targets
from gridgov.core.errors import FieldError

from .models import AlertKind, AlertSent, Stage, Supervision, SupervisionSource
from .warnings import accept_level_expr, feedback_level_expr

TEXT_MAX = 2000


def _fmt(moment):
    return f"{localtime(moment):%Y-%m-%d %H:%M}" if moment else "—"


def _claim(dispatch_id, stage, kind, due_at, now):
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO alerts_alertsent (dispatch_id, stage, kind, due_at, sent_at, recipients) "
            "VALUES (%s, %s, %s, %s, %s, 0) ON CONFLICT ON CONSTRAINT alerts_sent_once DO NOTHING RETURNING id",
            [dispatch_id, stage, kind, due_at, now])
        row = cur.fetchone()
    return row[0] if row else None


def _current_level(dispatch_id, stage, now):
    expr = accept_level_expr(now) if stage == Stage.ACCEPT else feedback_level_expr(now)
    return (Dispatch.objects.filter(pk=dispatch_id).annotate(level=expr).values_list("level", flat=True).first())


def _texts(d, stage, kind):
    case, dept = d.case, d.department
    what = case.category.name if case.category_id else "未分类"
    if stage == Stage.ACCEPT:
        due, step = d.accept_due, "签收"
    else:
        due, step = d.feedback_due, "办结反馈"
    if kind == AlertKind.NEAR:
        return due, (f"临近超期：案卷 {case.number}（{what}）须于 {_fmt(due)} 前{step}，请抓紧办理"), None
    to_dept = (f"督办：案卷 {case.number}（{what}）{step}已超期（期限 {_fmt(due)}），"
               f"指挥中心已督办，请立即办理并回复")
    to_command = f"超期督办：{dept.name} 办理的案卷 {case.number}（{what}）{step}已超期（期限 {_fmt(due)}）"
    return due, to_dept, to_command


def do_send_alert(dispatch_id, stage, kind, now=None):
    """Send one near-overdue reminder or overdue escalation, once ever. Returns the AlertSent or None
    (already sent, or the stage is no longer at that level)."""
    if stage not in Stage.values or kind not in AlertKind.values:
        raise FieldError("stage", "invalid_choice", f"环节 {stage!r} 或类型 {kind!r} 无效",
                         f"stage {stage!r} or kind {kind!r} is not valid")
    now = now or timezone.now()
    with transaction.atomic():
        d = (Dispatch.objects.select_for_update(of=("self",), no_key=True).select_related(
            "case", "case__category", "department").filter(pk=dispatch_id).first())
        if d is None or _current_level(dispatch_id, stage, now) != kind:
            return None
        due, to_dept, to_command = _texts(d, stage, kind)
        alert_id = _claim(d.pk, stage, kind, due, now)
        if alert_id is None:
            return None
        alert = AlertSent.objects.get(pk=alert_id)
        if kind == AlertKind.NEAR:
            rows = notify([d.department], "near_overdue", d.case, to_dept)
            transitions.log(d.case, None, "near_overdue_reminder", dispatch=d, at=now,
                            data={"stage": stage, "due": due.isoformat(), "recipients": len(rows)})
        else:
            supervision = Supervision.objects.create(
                case=d.case, dispatch=d, department=d.department, source=SupervisionSource.AUTO, stage=stage,
                due_at=due, message=to_dept, issued_at=now)
            rows = notify([d.department], "supervision", d.case, to_dept)
            rows += notify(command_targets(d.case), "overdue", d.case, to_command)
            transitions.log(d.case, None, "overdue_supervision", dispatch=d, at=now,
                            data={"stage": stage, "due": due.isoformat(), "supervision": supervision.pk})
            alert.supervision = supervision
        alert.recipients = len(rows)
        alert.save(update_fields=["recipients", "supervision"])
    return alert


def _text(value, name, zh, minimum=2):
    value = (value or "").strip()
    if len(value) < minimum:
        raise FieldError(name, "required", f"请填写{zh}（至少 {minimum} 个字）",
                         f"{name} is required (at least {minimum} characters)")
    if len(value) > TEXT_MAX:
        raise FieldError(name, "too_long", f"{zh}超过 {TEXT_MAX} 字", f"{name} is longer than {TEXT_MAX} characters")
    return value


# A 督办 presses a department to act on work it still holds; a finished or returned dispatch has none.
SUPERVISABLE = {State.WHISTLED, State.ACCEPTED, State.IN_PROGRESS, State.REWORK}


def _supervision_text(d, message, now):
    """The notice the department reads: what is late (or due when), and the centre's words if any."""
    due = d.next_due
    late_min = int((now - due).total_seconds() // 60) if due and due < now else 0
    stage = "签收" if d.state == State.WHISTLED else "办结反馈"
    when = f"已超期 {late_min // 60} 小时 {late_min % 60} 分" if late_min else f"期限 {_fmt(due)}"
    text = f"督办：案卷 {d.case.number}（{stage}{when}），请立即办理" + (f"。{message}" if message else "")
    return text, due, late_min


def do_issue_supervision(dispatch, user, message="", now=None):
    """督办 by hand: the command centre presses the department about a dispatch it still holds.

    The one manual 督办 path (the console's command page calls it): a Supervision row the department
    answers, a 'supervision' event in the case history, and a notice to the department's responders.
    The message is optional; the notice always says what is late."""
    access.require_command(user, "督办", "issue supervision notices")
    message = (message or "").strip()
    if len(message) > TEXT_MAX:
        raise FieldError("message", "too_long", f"督办内容超过 {TEXT_MAX} 字",
                         f"the message is longer than {TEXT_MAX} characters")
    now = now or timezone.now()
    with transaction.atomic():
        d = transitions.lock(dispatch)
        if d.role == Role.NOTIFIED:
            raise FieldError("dispatch", "not_handling", "知会单位不办理案卷，不能督办",
                             "a notified department does not handle the case; it cannot be supervised")
        if d.state not in SUPERVISABLE:
            raise Conflict("state", "not_open",
                           f"派遣单当前为「{State(d.state).label}」，无需督办（可能已被他人处理，请刷新）",
                           f"the dispatch is {d.state}; there is nothing to supervise (reload the page)",
                           state=d.state, version=d.version)
        text, due, late_min = _supervision_text(d, message, now)
        supervision = Supervision.objects.create(
            case=d.case, dispatch=d, department=d.department, source=SupervisionSource.MANUAL,
            message=message or text, issued_at=now, issued_by=user, due_at=due)
        transitions.log(d.case, user, "supervision", dispatch=d, note=message, at=now, data={
            "supervision": supervision.pk, "state": d.state, "due": due.isoformat() if due else None,
            "overdue_minutes": late_min})
        notify([d.department], "supervision", d.case, text)
    return supervision


def do_acknowledge_supervision(supervision, user, response):
    """The department answers a 督办 notice (once)."""
    response = _text(response, "response", "回复")
    now = timezone.now()
    with transaction.atomic():
        s = Supervision.objects.select_for_update().select_related("dispatch", "case", "department").get(
            pk=supervision.pk)
        access.require_member(user, s.dispatch)
        if s.acknowledged_at is not None:
            raise Conflict("supervision", "already_acknowledged", f"该督办单已于 {_fmt(s.acknowledged_at)} 回复",
                           f"this notice was answered at {s.acknowledged_at:%Y-%m-%d %H:%M} UTC")
        s.acknowledged_at, s.acknowledged_by, s.response = now, user, response
        s.save(update_fields=["acknowledged_at", "acknowledged_by", "response"])
        transitions.log(s.case, user, "supervision_answered", dispatch=s.dispatch, note=response, at=now,
                        data={"supervision": s.pk})
        notify(command_targets(s.case), "supervision", s.case,
               f"{s.department.name} 已回复案卷 {s.case.number} 的督办：{response}")
    return s
