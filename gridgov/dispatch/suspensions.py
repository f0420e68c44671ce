"""缓办/挂账: a department asks to pause a dispatch, with a reason; the command centre approves or not;
the department (or the command centre) resumes it later. While suspended the dispatch is not counted
late; on resume its handling due time gets back the time that was left (gridgov.dispatch.due)."""
from django.db import transaction
from django.utils import timezone

from gridgov.core.errors import Conflict
from gridgov.core.errors import FieldError

from . import access, contracts, transitions
from .contracts import REASON_MIN
from .due import resume_due
from .models import Suspension, SuspensionKind, SuspensionStatus
from .notify import notify
from .selectors import command_targets

def _reason(value, field, required=None):
    """A declared text field (gridgov.dispatch.contracts): stripped, at least min_length when required, cut
    to max_length."""
    required = field.required if required is None else required
    value = (value or "").strip()
    if required and len(value) < (field.min_length or REASON_MIN):
        minimum = field.min_length or REASON_MIN
        raise FieldError(field.name, "required", f"请填写{field.zh}（至少 {minimum} 个字）",
                         f"{field.name} is required (at least {minimum} characters)")
    return value[:field.max_length]


def withdraw_pending(dispatch, actor, note):
    """A pending request ends unanswered when the dispatch leaves the department (return)."""
    return Suspension.objects.filter(dispatch=dispatch, status=SuspensionStatus.PENDING).update(
        status=SuspensionStatus.REJECTED, decided_by=actor, decided_at=timezone.now(), decision_note=note)


def do_request_suspension(dispatch, user, kind, reason):
    access.require_member(user, dispatch)
    if kind not in contracts.SUSPEND["kind"].values:
        raise FieldError("kind", "invalid_choice", f"类型 {kind!r} 无效，可选 defer（缓办）、hang（挂账）",
                         f"kind {kind!r} is not one of defer, hang")
    reason = _reason(reason, contracts.SUSPEND["reason"])
    now = timezone.now()
    with transaction.atomic():
        locked = transitions.lock(dispatch)
        transitions.check(locked, "suspend")
        if Suspension.objects.filter(dispatch=locked, status__in=[SuspensionStatus.PENDING,
                                                                   SuspensionStatus.APPROVED]).exists():
            raise Conflict("dispatch", "suspension_exists", "该派遣单已有待审批或生效的缓办/挂账申请",
                           "this dispatch already has a pending or approved suspension")
        suspension = Suspension.objects.create(dispatch=locked, kind=kind, reason=reason, requested_by=user,
                                               requested_at=now)
        transitions.log(locked.case, user, "suspension_requested", dispatch=locked, note=reason, at=now,
                        data={"kind": kind, "suspension": suspension.pk})
        notify(command_targets(locked.case), "suspension_requested", locked.case,
               f"{locked.department.name} 申请{SuspensionKind(kind).label}案卷 {locked.case.number}：{reason}")
    return suspension


def do_approve_suspension(suspension, user, approved=True, note=""):
    """The command centre decides. Approved: the dispatch is suspended; not approved: a reason is required."""
    access.require_command(user, "审批缓办/挂账", "decide on suspensions")
    note = _reason(note, contracts.DECIDE["note"], required=not approved)
    now = timezone.now()
    with transaction.atomic():
        s = Suspension.objects.select_for_update().get(pk=suspension.pk)
        if s.status != SuspensionStatus.PENDING:
            raise Conflict("suspension", "already_decided",
                           f"该申请已{SuspensionStatus(s.status).label}", f"this request is already {s.status}",
                           status=s.status)
        locked = transitions.lock(s.dispatch)
        if approved:
            transitions.apply(locked, "suspend", user, note=note or s.reason, now=now, suspended_from=locked.state,
                              data={"kind": s.kind, "suspension": s.pk})
        else:
            transitions.log(locked.case, user, "suspension_rejected", dispatch=locked, note=note, at=now,
                            data={"suspension": s.pk})
        s.status = SuspensionStatus.APPROVED if approved else SuspensionStatus.REJECTED
        s.decided_by, s.decided_at, s.decision_note = user, now, note
        s.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        verdict = "已批准" if approved else f"未批准：{note}"
        notify([locked.department], "suspension_decided", locked.case,
               f"案卷 {locked.case.number} 的{SuspensionKind(s.kind).label}申请{verdict}")
    return s


def do_resume(dispatch, user, note=""):
    """Back to the state it was suspended from; the handling due time gets back the time that was left."""
    if not access.is_command(user):
        access.require_member(user, dispatch)
    note = _reason(note, contracts.RESUME["note"])
    now = timezone.now()
    with transaction.atomic():
        locked = transitions.lock(dispatch)
        transitions.check(locked, "resume")
        s = Suspension.objects.select_for_update().get(dispatch=locked, status=SuspensionStatus.APPROVED)
        new_due = resume_due(locked.feedback_due, s.decided_at, now, locked.handling_limit_unit)
        done = transitions.apply(locked, "resume", user, note=note, now=now, target=locked.suspended_from,
                                 suspended_from="", feedback_due=new_due,
                                 data={"suspension": s.pk, "feedback_due_before": locked.feedback_due.isoformat()
                                       if locked.feedback_due else None,
                                       "feedback_due": new_due.isoformat() if new_due else None})
        s.status, s.resumed_at, s.resumed_by = SuspensionStatus.ENDED, now, user
        s.save(update_fields=["status", "resumed_at", "resumed_by"])
    return done
