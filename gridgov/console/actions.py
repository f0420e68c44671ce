"""Writes the console needs that the dispatch module does not offer (yet).

do_supervise: the command centre's supervision notice (督办) on a dispatch that is late or about to be:
an event in the dispatch's history (the department cannot say it was not told) and a notice to the
department's responders. It does not change the dispatch's state.

NOTE: the background jobs of issue 4 item 7 send automatic 督办 on overdue dispatches; this is the
manual notice a dispatcher sends from the command-centre page. Both land in the same history.
"""
from django.db import transaction
from django.utils import timezone
from django.utils.timezone import localtime

from gridgov.cases.actions import Conflict
from gridgov.dispatch import access, transitions
from gridgov.dispatch.models import State
from gridgov.dispatch.notify import notify
from gridgov.errors import FieldError

SUPERVISABLE = {State.WHISTLED, State.ACCEPTED, State.IN_PROGRESS, State.REWORK}
NOTE_MAX = 2000


def do_supervise(dispatch, user, note="", now=None):
    """督办: tell the department to act on this dispatch now; logged as a 'supervise' event."""
    access.require_command(user, "督办", "send supervision notices")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise FieldError("note", "too_long", f"督办意见超过 {NOTE_MAX} 字", f"note is longer than {NOTE_MAX} characters")
    now = now or timezone.now()
    with transaction.atomic():
        locked = transitions.lock(dispatch)
        if locked.state not in SUPERVISABLE:
            raise Conflict("state", "not_open",
                           f"派遣单当前为「{State(locked.state).label}」，无需督办（可能已被他人处理，请刷新）",
                           f"the dispatch is {locked.state}; there is nothing to supervise (reload the page)",
                           state=locked.state, version=locked.version)
        due = locked.next_due
        late_min = int((now - due).total_seconds() // 60) if due and due < now else 0
        transitions.log(locked.case, user, "supervise", dispatch=locked, note=note, at=now, data={
            "state": locked.state, "due": due.isoformat() if due else None, "overdue_minutes": late_min})
        when = f"{localtime(due):%m-%d %H:%M}" if due else "—"
        stage = "签收" if locked.state == State.WHISTLED else "办结反馈"
        late = f"已超期 {late_min // 60} 小时 {late_min % 60} 分" if late_min else f"期限 {when}"
        notify([locked.department], "supervised", locked.case,
               f"督办：案卷 {locked.case.number}（{stage}{late}），请立即办理" + (f"。{note}" if note else ""))
    return locked
