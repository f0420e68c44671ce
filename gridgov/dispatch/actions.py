"""Every write to whistles, dispatches, triage and suspensions (the routing table: rule_actions).

Each do_* runs in one transaction, checks who is acting (gridgov.dispatch.access), moves dispatches
only through gridgov.dispatch.transitions (row lock + state check + event row), and tells people
through gridgov.dispatch.notify. Case-level changes (status whistled/closed, after-photos) go
through the cases audit trail with the actor set (audit_context).
"""
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.timezone import localtime

from gridgov.core.audit import audit_context
from gridgov.core.errors import Conflict
from gridgov.cases.models import Case, Status
from gridgov.departments.models import Department, Kind
from gridgov.departments.selectors import departments_covering
from gridgov.core.errors import FieldError

from . import access, contracts, photos as feedback_photos, routing, transitions
from .due import limits_for
from .models import (LEVEL_ORDER, RELEASED_STATES, Dispatch, Role, State, TriageItem, TriageReason, Whistle,
                     WhistleLevel, WhistleSource)
from .notify import notify
from .selectors import command_targets, grid_workers
from .suspensions import withdraw_pending


@dataclass
class WhistleResult:
    whistle: Whistle
    route: routing.Route
    dispatches: list = field(default_factory=list)
    triage: TriageItem | None = None


def _text(value, field, required=None):
    """The text of a declared request field (gridgov.dispatch.contracts): stripped, within its limits."""
    name, zh = field.name, field.zh
    required = field.required if required is None else required
    minimum, maximum = field.min_length or 1, field.max_length
    value = (value or "").strip()
    if required and len(value) < minimum:
        if not value:
            raise FieldError(name, "required", f"请填写{zh}", f"{name} is required")
        raise FieldError(name, "too_short", f"{zh}至少 {minimum} 个字", f"{name} needs at least {minimum} characters")
    if len(value) > maximum:
        raise FieldError(name, "too_long", f"{zh}超过 {maximum} 字", f"{name} is longer than {maximum} characters")
    return value


def _fmt(moment):
    return f"{localtime(moment):%Y-%m-%d %H:%M}" if moment else "—"


def _lock_case(case):
    return Case.objects.select_for_update(of=("self",)).select_related("category").get(pk=case.pk)


def _holding(case):
    return Dispatch.objects.filter(case=case).exclude(state__in=RELEASED_STATES)


# --- whistle / file / dispatch ---------------------------------------------------------------------

def create_dispatches(case, actor, now, *, lead=None, assists=(), notified=(), rule=None, legal_basis="",
                      bounce_count=0, rerouted_from=None):
    """Dispatch rows for the case (inside the caller's transaction). Due times from the rule's limits or
    the category's, scaled for the case's urgency (gridgov.dispatch.due), stored as UTC instants."""
    limits = limits_for(case.category, case.urgency, rule)
    accept_due, feedback_due = limits.due_times(now)
    held = set(_holding(case).values_list("department_id", flat=True))
    seen, made = set(), []
    for role, depts in ((Role.LEAD, [lead] if lead else []), (Role.ASSIST, assists), (Role.NOTIFIED, notified)):
        for dept in depts:
            if dept.pk in seen or dept.pk in held:
                continue
            seen.add(dept.pk)
            handles = role != Role.NOTIFIED
            d = Dispatch.objects.create(
                case=case, department=dept, role=role, state=State.WHISTLED, rule=rule,
                rule_version=rule.version if rule else None, legal_basis=legal_basis, dispatched_at=now,
                dispatched_by=actor, accept_due=accept_due, feedback_due=feedback_due if handles else None,
                response_limit_amount=limits.response.amount if limits.response else None,
                response_limit_unit=limits.response.unit.value if limits.response else "",
                handling_limit_amount=limits.handling.amount if limits.handling and handles else None,
                handling_limit_unit=limits.handling.unit.value if limits.handling and handles else "",
                bounce_count=bounce_count, rerouted_from=rerouted_from)
            transitions.log(case, actor, "dispatch", dispatch=d, to_state=State.WHISTLED, at=now, data={
                "department": dept.code, "role": role, "rule": rule.pk if rule else None,
                "rule_version": d.rule_version, "accept_due": accept_due.isoformat() if accept_due else None,
                "feedback_due": d.feedback_due.isoformat() if d.feedback_due else None,
                "limits": {"response": str(limits.response or ""), "handling": str(limits.handling or ""),
                           "urgency_steps": limits.steps, "source": limits.source}})
            what = case.category.name if case.category else "未分类"
            notify([dept], "dispatched", case,
                   f"新{Role(role).label}案卷 {case.number}（{what}）：请于 {_fmt(accept_due)} 前签收")
            made.append(d)
    return made


def _send_out(case, actor, level, source, note, now):
    if level not in contracts.WHISTLE["level"].values:
        raise FieldError("level", "invalid_choice", f"吹哨级别 {level!r} 无效，可选 {', '.join(WhistleLevel.values)}",
                         f"level {level!r} is not one of {', '.join(WhistleLevel.values)}")
    note = _text(note, contracts.WHISTLE["note"])
    now = now or timezone.now()
    action = "do_whistle" if source == WhistleSource.GRID else "do_file_case_by_command_centre"
    with transaction.atomic(), audit_context(actor, action):
        case = _lock_case(case)
        if Whistle.objects.filter(case=case).exists() or case.status == Status.WHISTLED:
            raise Conflict("case", "already_whistled", f"案卷 {case.number} 已吹哨派遣，不能重复吹哨",
                           f"case {case.number} has already been sent out")
        if case.status != Status.REPORTED:
            raise FieldError("case", "not_open", f"案卷 {case.number} 已{case.get_status_display()}，不能吹哨",
                             f"case {case.number} is {case.status}; it cannot be sent out")
        whistle = Whistle.objects.create(case=case, level=level, source=source, whistled_by=actor, whistled_at=now,
                                         note=note)
        case.status = Status.WHISTLED
        case.save(update_fields=["status", "updated_at"])
        route = routing.resolve(case.category, case.grid_code)
        transitions.log(case, actor, "whistle", at=now, note=note, data={
            "level": level, "source": source, "rule": route.rule.pk if route.rule else None,
            "explain": routing.explain(route)})
        result = WhistleResult(whistle=whistle, route=route)
        if route.matched:
            result.dispatches = create_dispatches(case, actor, now, lead=route.lead, assists=route.assists,
                                                  notified=route.notified, rule=route.rule,
                                                  legal_basis=route.legal_basis)
        else:
            result.triage = TriageItem.objects.create(case=case, reason=route.triage_reason,
                                                      note=routing.explain(route), created_at=now)
            notify(command_targets(case), "triage", case,
                   f"案卷 {case.number} 无匹配派遣规则，待指挥中心分拨")
    return result


def do_whistle(case, user, level=WhistleLevel.ROUTINE, note="", now=None):
    """A grid worker blows the whistle (吹哨): the case goes to the departments the routing table names,
    or to the command centre's triage queue if no rule matches."""
    access.require_whistler(user, case)
    source = WhistleSource.GRID if access.is_grid_worker_of(user, case) else WhistleSource.COMMAND
    return _send_out(case, user, level, source, note, now)


def do_file_case_by_command_centre(case, user, level=WhistleLevel.ROUTINE, note="", now=None):
    """The command centre files a reported case (立案) and dispatches it the same way."""
    access.require_command(user, "立案派遣", "file cases")
    return _send_out(case, user, level, WhistleSource.COMMAND, note, now)


# --- the department's steps ------------------------------------------------------------------------

def do_accept(dispatch, user, expected_version=None):
    """签收/报到. Of two people accepting at once, one succeeds and the other gets a Conflict (409)."""
    access.require_member(user, dispatch)
    now = timezone.now()
    with transaction.atomic():
        done = transitions.apply(dispatch, "accept", user, expected_version=expected_version, now=now,
                                 accepted_at=now, accepted_by=user)
        if done.role == Role.LEAD:
            notify([done.case.reporter], "accepted", done.case,
                   f"案卷 {done.case.number} 已由 {done.department.name} 签收报到")
    return done


def do_start(dispatch, user, expected_version=None, note=""):
    """开始处置 (also after a failed verification: rework → in progress)."""
    access.require_member(user, dispatch)
    note = _text(note, contracts.START["note"])
    now = timezone.now()
    with transaction.atomic():
        locked = transitions.lock(dispatch)
        fields = {} if locked.started_at else {"started_at": now}
        return transitions.apply(locked, "start", user, expected_version=expected_version, note=note, now=now,
                                 **fields)


def do_feed_back(dispatch, user, text, photos=(), expected_version=None):
    """反馈: the result in words and after-photos; the grid's workers are asked to verify (核查)."""
    access.require_member(user, dispatch)
    text = _text(text, contracts.FEEDBACK["text"])
    now = timezone.now()
    processed = feedback_photos.prepare(photos, dispatch.case, now)  # refused before anything is written
    written = []
    try:
        with transaction.atomic(), audit_context(user, "do_feed_back"):
            done = transitions.apply(dispatch, "feed_back", user, expected_version=expected_version, note=text,
                                     now=now, data={"photo_flags": [f for p in processed for f in p.flags]},
                                     fed_back_at=now, feedback_text=text)
            stored = feedback_photos.store(done.case, processed, written)
            done.feedback_photos.add(*stored)
            notify(grid_workers(done.case) or command_targets(done.case), "fed_back", done.case,
                   f"案卷 {done.case.number}：{done.department.name} 已反馈处置结果，请现场核查")
    except BaseException:
        feedback_photos.remove_files(written)
        raise
    return done


def do_return(dispatch, user, reason, expected_version=None):
    """退回: not this department's matter. The reason is required; the case goes to triage to be re-routed."""
    access.require_member(user, dispatch)
    reason = _text(reason, contracts.RETURN["reason"])
    now = timezone.now()
    with transaction.atomic():
        done = transitions.apply(dispatch, "return", user, expected_version=expected_version, note=reason, now=now,
                                 returned_at=now, returned_by=user, return_reason=reason)
        withdraw_pending(done, user, "退回时自动撤销")
        TriageItem.objects.create(case=done.case, reason=TriageReason.RETURNED, dispatch=done, note=reason,
                                  created_at=now)
        notify(command_targets(done.case), "returned", done.case,
               f"案卷 {done.case.number} 被 {done.department.name} 退回：{reason}")
    return done


# --- verification and closing ----------------------------------------------------------------------

def do_verify(dispatch, user, passed, note="", expected_version=None):
    """核查 on site: passed → verified; failed → rework (返工), with the reason."""
    access.require_verifier(user, dispatch.case)
    note = _text(note, contracts.VERIFY["note"], required=not passed)
    now = timezone.now()
    with transaction.atomic():
        if passed:
            return transitions.apply(dispatch, "verify_pass", user, expected_version=expected_version, note=note,
                                     now=now, verified_at=now, verified_by=user, verify_note=note)
        locked = transitions.lock(dispatch)
        done = transitions.apply(locked, "verify_fail", user, expected_version=expected_version, note=note, now=now,
                                 verified_at=now, verified_by=user, verify_note=note,
                                 rework_count=locked.rework_count + 1)
        notify([done.department], "rework", done.case, f"案卷 {done.case.number} 核查未通过，请返工：{note}")
        return done


def do_close(case, user, note=""):
    """结案 (command centre): the lead's work has been verified; every other dispatch closes with the case."""
    access.require_command(user, "结案", "close cases")
    note = _text(note, contracts.CLOSE["note"])
    now = timezone.now()
    with transaction.atomic(), audit_context(user, "do_close"):
        case = _lock_case(case)
        if case.status != Status.WHISTLED:
            raise Conflict("case", "not_open", f"案卷 {case.number} 当前为「{case.get_status_display()}」，不能结案",
                           f"case {case.number} is {case.status}; it cannot be closed")
        lead = _holding(case).filter(role=Role.LEAD).first()
        if lead is None or lead.state != State.VERIFIED:
            state = State(lead.state).label if lead else "无主办单位"
            raise Conflict("case", "not_verified", f"主办单位的处置尚未核查通过（{state}），不能结案",
                           f"the lead department's work has not been verified ({lead.state if lead else 'no lead'})")
        closed = [transitions.apply(lead, "close", user, note=note, now=now, closed_at=now)]
        for d in _holding(case).exclude(pk=lead.pk).exclude(state=State.CLOSED):
            closed.append(transitions.apply(d, "close_with_case", user, note=note, now=now, closed_at=now))
        TriageItem.objects.filter(case=case, resolved_at__isnull=True).update(
            resolved_at=now, resolved_by=user, resolution="随案结案")
        case.status, case.closed_at = Status.CLOSED, now
        case.save(update_fields=["status", "closed_at", "updated_at"])
        transitions.log(case, user, "close_case", note=note, at=now)
        notify([case.reporter] + [d.department for d in closed], "closed", case, f"案卷 {case.number} 已结案")
    return case


# --- command centre: re-route, escalate ------------------------------------------------------------

def _active_departments(depts, name, zh):
    depts = [d for d in depts or [] if d is not None]
    for d in depts:
        if not isinstance(d, Department) or not d.pk:
            raise FieldError(name, "unknown_department", f"{zh}不存在", f"{name}: unknown department")
        if not d.is_active:
            raise FieldError(name, "inactive_department", f"{zh}「{d.name}」已停用", f"{name}: {d.code} is inactive")
    return list(dict.fromkeys(depts))


def do_reroute(case, user, lead=None, assists=(), notified=(), note="", legal_basis="", now=None):
    """改派: the command centre sends a triaged case (no rule, or returned) to the departments it chooses.
    Returned dispatches become 'rerouted'; every return stays counted on the new dispatches."""
    access.require_command(user, "改派", "re-route cases")
    lead = (_active_departments([lead], "lead", "主办单位") or [None])[0]
    assists = _active_departments(assists, "assists", "协办单位")
    notified = _active_departments(notified, "notified", "知会单位")
    note = _text(note, contracts.REROUTE["note"])
    legal_basis = _text(legal_basis, contracts.REROUTE["legal_basis"])
    now = now or timezone.now()
    with transaction.atomic(), audit_context(user, "do_reroute"):
        case = _lock_case(case)
        if case.status != Status.WHISTLED:
            raise Conflict("case", "not_open", f"案卷 {case.number} 当前为「{case.get_status_display()}」，不能改派",
                           f"case {case.number} is {case.status}; it cannot be re-routed")
        open_items = list(TriageItem.objects.filter(case=case, resolved_at__isnull=True))
        if not open_items:
            raise Conflict("case", "nothing_to_reroute", f"案卷 {case.number} 没有待分拨事项（可能已被他人改派）",
                           f"case {case.number} has nothing waiting in triage (someone may have re-routed it)")
        holding = list(_holding(case).select_related("department"))
        has_lead = any(d.role == Role.LEAD for d in holding)
        if lead is not None and has_lead:
            raise FieldError("lead", "lead_exists", "该案卷已有主办单位，只能增派协办或知会单位",
                             "the case already has a lead department; add assisting or notified departments only")
        if lead is None and not has_lead:
            raise FieldError("lead", "required", "请指定主办单位", "a lead department is required")
        if lead is not None and lead.kind == Kind.DIVERSION and not legal_basis:
            raise FieldError("legal_basis", "required", "导入诉讼、仲裁、复议渠道须写明法律依据",
                             "diverting to courts, arbitration or review needs the legal basis")
        held = {d.department_id: d for d in holding}
        for name, zh, depts in (("lead", "主办单位", [lead] if lead else []), ("assists", "协办单位", assists),
                                ("notified", "知会单位", notified)):
            for d in depts:
                if d.pk in held:
                    raise FieldError(name, "already_dispatched", f"{d.name} 已在办理该案卷",
                                     f"{d.code} already holds this case")
        returned = list(Dispatch.objects.filter(case=case, state=State.RETURNED).order_by("role", "id"))
        for d in returned:
            transitions.apply(d, "reroute", user, note=note, now=now)
        bounces = Dispatch.objects.filter(case=case, returned_at__isnull=False).count()
        source = next((d for d in returned if d.role == Role.LEAD), returned[0] if returned else None)
        made = create_dispatches(case, user, now, lead=lead, assists=assists, notified=notified,
                                 legal_basis=legal_basis, bounce_count=bounces, rerouted_from=source)
        TriageItem.objects.filter(pk__in=[i.pk for i in open_items]).update(
            resolved_at=now, resolved_by=user, resolution=note or "已改派")
        transitions.log(case, user, "reroute", note=note, at=now, data={
            "lead": lead.code if lead else None, "assists": [d.code for d in assists],
            "notified": [d.code for d in notified], "bounce_count": bounces})
    return made


LEVEL_TARGET_KIND = {WhistleLevel.KEY: Kind.STREET, WhistleLevel.HARD: Kind.COMMAND}


def do_escalate(case, user, note="", expected_level=None, now=None):
    """Escalate the whistle one level (一般/社区 → 重点/街道 → 疑难/区县): the departments of the new level
    (street/town offices covering the grid; the command centre) are notified and get a 知会 dispatch."""
    access.require_whistler(user, case)
    note = _text(note, contracts.ESCALATE["note"])
    now = now or timezone.now()
    with transaction.atomic(), audit_context(user, "do_escalate"):
        case = _lock_case(case)
        whistle = Whistle.objects.select_for_update().filter(case=case).first()
        if whistle is None or case.status != Status.WHISTLED:
            raise Conflict("case", "not_whistled", f"案卷 {case.number} 未在办理中，不能升级",
                           f"case {case.number} is not being handled; it cannot be escalated")
        if expected_level and expected_level != whistle.level:
            raise Conflict("level", "stale_level",
                           f"吹哨级别已被他人调整为「{WhistleLevel(whistle.level).label}」，请刷新",
                           f"the whistle level is already {whistle.level}; reload", level=whistle.level)
        index = LEVEL_ORDER.index(whistle.level)
        if index == len(LEVEL_ORDER) - 1:
            raise Conflict("level", "already_highest", "已是最高级别（区县），不能再升级",
                           "the whistle is already at the highest (district) level", level=whistle.level)
        before, whistle.level = whistle.level, LEVEL_ORDER[index + 1]
        whistle.escalated_at, whistle.version = now, whistle.version + 1
        whistle.save(update_fields=["level", "escalated_at", "version"])
        targets = list(departments_covering(case.grid_code, kind=LEVEL_TARGET_KIND[whistle.level]))
        made = create_dispatches(case, user, now, notified=targets)
        transitions.log(case, user, "escalate", note=note, at=now, data={
            "from": before, "to": whistle.level, "notified": [d.code for d in targets]})
        notify(targets or command_targets(case), "escalated", case,
               f"案卷 {case.number} 升级为「{WhistleLevel(whistle.level).label}」" + (f"：{note}" if note else ""))
    return whistle, made


# Suspensions live in their own module (a noun of their own); re-exported so every write is reachable here.
from .suspensions import do_approve_suspension, do_request_suspension, do_resume  # noqa: E402,F401
