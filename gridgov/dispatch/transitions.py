"""The dispatch state machine, enforced on the server.

    whistled ──accept──▶ accepted ──start──▶ in_progress ──feed_back──▶ fed_back ──verify✓──▶ verified ──close──▶ closed
        │                  │  ▲                  │                         │
        │                  │  └──────start───── rework ◀────verify✗───────┘
        └──return──▶ returned ◀──return──┘
                      └──reroute──▶ rerouted   (the command centre sends the case on; the bounce is counted)
    accepted / in_progress / rework ──suspend (approved)──▶ suspended ──resume──▶ the state it left

Who may do each step is checked in gridgov.dispatch.actions; here only whether the step is allowed
from the current state and role. apply() locks the dispatch row (SELECT … FOR UPDATE), so of two
people acting on one dispatch at once exactly one succeeds; the other, once the first commits, sees
the new state and gets a Conflict (HTTP 409) saying who did what and when. A client may also send
the version it last saw (compare-and-swap): any change since then is a Conflict too.
"""
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.timezone import localtime

from gridgov.core.errors import Conflict
from gridgov.core.errors import FieldError

from .models import Dispatch, DispatchEvent, Role, State


@dataclass(frozen=True)
class Transition:
    name: str
    label: str  # Chinese, for messages
    sources: frozenset
    target: str | None  # None: decided by the caller (resume → the state it left)
    roles: frozenset = frozenset(Role.values)


def _t(name, label, sources, target, roles=None):
    return Transition(name, label, frozenset(sources), target, frozenset(roles or Role.values))


HANDLERS = {Role.LEAD, Role.ASSIST}
SUSPENDABLE = {State.ACCEPTED, State.IN_PROGRESS, State.REWORK}
OPEN_FOR_CASE_CLOSE = {State.WHISTLED, State.ACCEPTED, State.IN_PROGRESS, State.FED_BACK, State.VERIFIED,
                       State.REWORK, State.SUSPENDED}

TRANSITIONS = {t.name: t for t in [
    _t("accept", "签收", {State.WHISTLED}, State.ACCEPTED),
    _t("start", "开始处置", {State.ACCEPTED, State.REWORK}, State.IN_PROGRESS, HANDLERS),
    _t("feed_back", "反馈", {State.IN_PROGRESS}, State.FED_BACK, HANDLERS),
    _t("verify_pass", "核查通过", {State.FED_BACK}, State.VERIFIED, HANDLERS),
    _t("verify_fail", "核查不通过（返工）", {State.FED_BACK}, State.REWORK, HANDLERS),
    _t("close", "结案", {State.VERIFIED}, State.CLOSED, {Role.LEAD}),
    # Assisting and notified departments are closed with the case, from wherever they are.
    _t("close_with_case", "随案结案", OPEN_FOR_CASE_CLOSE, State.CLOSED, {Role.ASSIST, Role.NOTIFIED}),
    _t("return", "退回", {State.WHISTLED, State.ACCEPTED}, State.RETURNED, HANDLERS),
    _t("reroute", "改派", {State.RETURNED}, State.REROUTED),
    _t("suspend", "缓办/挂账", SUSPENDABLE, State.SUSPENDED, HANDLERS),
    _t("resume", "恢复办理", {State.SUSPENDED}, None, HANDLERS),
]}


def allowed_actions(dispatch):
    """Names of the transitions allowed from the dispatch's current state and role (for clients)."""
    return [t.name for t in TRANSITIONS.values()
            if dispatch.state in t.sources and dispatch.role in t.roles and t.name != "close_with_case"]


def _last_event(dispatch):
    return DispatchEvent.objects.filter(dispatch=dispatch).select_related("actor").order_by("-at", "-id").first()


def _state_conflict(dispatch, transition):
    current = State(dispatch.state).label
    last = _last_event(dispatch)
    by = by_en = ""
    if last is not None and last.actor_id:
        who = last.actor.display_name or last.actor.get_username()
        what = TRANSITIONS[last.action].label if last.action in TRANSITIONS else last.action
        by = f"（{who} 已于 {localtime(last.at):%m-%d %H:%M} {what}）"
        by_en = f" ({last.action} by {last.actor.get_username()} at {last.at:%Y-%m-%d %H:%M} UTC)"
    return Conflict("state", "invalid_transition",
                    f"派遣单当前状态为「{current}」，不能{transition.label}{by}",
                    f"the dispatch is {dispatch.state}; '{transition.name}' is not allowed from that state{by_en}",
                    state=dispatch.state, version=dispatch.version)


def lock(dispatch):
    if not connection.in_atomic_block:
        raise RuntimeError("transitions must run inside transaction.atomic()")
    return Dispatch.objects.select_for_update(of=("self",)).select_related("case", "department").get(pk=dispatch.pk)


def check(dispatch, name, expected_version=None):
    """Raise unless `name` is allowed on this (locked, fresh) dispatch."""
    transition = TRANSITIONS[name]
    if expected_version is not None and int(expected_version) != dispatch.version:
        raise Conflict("version", "stale_version",
                       f"派遣单已被他人更新（您看到的是第 {expected_version} 版，当前第 {dispatch.version} 版，"
                       f"状态「{State(dispatch.state).label}」），请刷新后再操作",
                       f"the dispatch changed since you loaded it (version {expected_version}, now "
                       f"{dispatch.version}, state {dispatch.state}); reload and try again",
                       state=dispatch.state, version=dispatch.version)
    if dispatch.role not in transition.roles:
        raise FieldError("role", "not_for_role",
                         f"{Role(dispatch.role).label}单位不能{transition.label}",
                         f"a {dispatch.role} department cannot '{name}'")
    if dispatch.state not in transition.sources:
        raise _state_conflict(dispatch, transition)
    return transition


def apply(dispatch, name, actor, *, expected_version=None, note="", data=None, target=None, now=None, **fields):
    """Move a dispatch through transition `name`: lock, check, update, log. Returns the updated dispatch.

    fields: other columns to set with the state (timestamps, texts). target: the state for "resume".
    Must run inside the caller's transaction.atomic().
    """
    locked = lock(dispatch)
    transition = check(locked, name, expected_version)
    now = now or timezone.now()
    before = locked.state
    locked.state = target or transition.target
    locked.version += 1
    for key, value in fields.items():
        setattr(locked, key, value)
    locked.save(update_fields=["state", "version", "updated_at", *fields])
    log(locked.case, actor, name, dispatch=locked, from_state=before, to_state=locked.state, note=note,
        data=data, at=now)
    return locked


def log(case, actor, action, *, dispatch=None, from_state="", to_state="", note="", data=None, at=None):
    return DispatchEvent.objects.create(case=case, dispatch=dispatch, at=at or timezone.now(),
                                        actor=actor if getattr(actor, "pk", None) else None, action=action,
                                        from_state=from_state, to_state=to_state, note=note or "", data=data or {})
