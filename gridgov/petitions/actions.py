"""Every write of petition work. Each do_* validates everything first, then writes in one transaction with
the audit actor set (gridgov.core.audit): nothing half-written."""
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import Role
from gridgov.cases.actions import do_create_case
from gridgov.cases.inputs import CaseInput
from gridgov.cases.models import Case, Channel
from gridgov.core.audit import audit_context
from gridgov.core.errors import Conflict, FieldError, Forbidden
from gridgov.core.roles import role_of
from gridgov.workcal.deadlines import add_statutory_days

from . import conf
from .identity import keyed_hash, mask_id, mask_phone, normalise_id, normalise_phone
from .models import Decision, Nature, PartyRole, PetitionLevel, PetitionMatter, PetitionParty, Petitioner

PETITION_CHANNELS = (Channel.LETTER, Channel.VISIT, Channel.HOTLINE, Channel.ONLINE_PETITION,
                     Channel.SECRETARY_MAILBOX, Channel.COUNTY_HEAD_MAILBOX)
# 信访 staff work in the command centre.
PETITION_STAFF = {Role.DISPATCHER, Role.ADMIN}


def require_staff(user):
    if role_of(user) not in PETITION_STAFF:
        raise Forbidden(None, "forbidden", "只有信访/指挥中心工作人员可以办理信访登记",
                        "only petition (command-centre) staff can do this")


@dataclass
class PersonInput:
    name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""
    role: str = PartyRole.MAIN


@dataclass
class PetitionInput:
    lon: object
    lat: object
    category: str
    description: str
    channel: str
    nature: str
    people: list = field(default_factory=list)  # [PersonInput], the first is the main petitioner
    head_count: int = 1
    level_reached: int = PetitionLevel.COUNTY
    responsible_level: int = PetitionLevel.COUNTY
    assigned_by: str = ""
    address: str = ""
    datum: str = "wgs84"
    received_at: object = None
    client_uuid: object = None


def _choice(value, choices, name, zh):
    if value not in choices.values:
        raise FieldError(name, "invalid_choice", f"{zh}无效，应为：{'、'.join(str(x) for x in choices.labels)}",
                         f"{name} must be one of {', '.join(str(v) for v in choices.values)}")
    return value


@dataclass
class _Person:
    name: str
    role: str
    address: str
    id_hash: str | None
    id_masked: str
    phone_hash: str
    phone_masked: str


def _people(inp):
    if not inp.people:
        raise FieldError("people", "required", "请至少登记一名信访人", "at least one petitioner is required")
    found = []
    for i, p in enumerate(inp.people):
        where = f"people[{i}]"
        name = (p.name or "").strip()
        if not name or len(name) > 50:
            raise FieldError(f"{where}.name", "required", "请填写信访人姓名（不超过 50 字）",
                             "the petitioner's name is required (at most 50 characters)")
        role = _choice(p.role, PartyRole, f"{where}.role", "身份")
        number = normalise_id(p.id_number, f"{where}.id_number") if p.id_number else ""
        phone = normalise_phone(p.phone, f"{where}.phone") if p.phone else ""
        if not number and not phone:
            raise FieldError(f"{where}.id_number", "required", "身份证号和电话至少填写一项，用于建立一人一档",
                             "an ID number or a phone is required to keep the person's file")
        found.append(_Person(name, role, (p.address or "").strip()[:255],
                             keyed_hash("id", number) if number else None, mask_id(number) if number else "",
                             keyed_hash("phone", phone) if phone else "", mask_phone(phone) if phone else ""))
    if found[0].role != PartyRole.MAIN and not any(x.role == PartyRole.MAIN for x in found):
        found[0].role = PartyRole.MAIN
    return found


def _find_person(p):
    """The existing file of this person (by ID number first, else phone), following merges; or None."""
    person = None
    if p.id_hash:
        person = Petitioner.objects.filter(id_hash=p.id_hash).first()
    if person is None and p.phone_hash:
        person = Petitioner.objects.filter(phone_hash=p.phone_hash, merged_into__isnull=True).first()
    while person is not None and person.merged_into_id:
        person = person.merged_into
    return person


def _person_for(p, now):
    person = _find_person(p)
    if person is None:
        return Petitioner.objects.create(name=p.name, id_hash=p.id_hash, id_masked=p.id_masked,
                                         phone_hash=p.phone_hash, phone_masked=p.phone_masked,
                                         address=p.address, created_at=now)
    changed = []
    if p.id_hash and not person.id_hash:  # a person first known by phone gives their ID number
        person.id_hash, person.id_masked = p.id_hash, p.id_masked
        changed += ["id_hash", "id_masked"]
    if p.phone_hash and p.phone_hash != person.phone_hash:
        person.phone_hash, person.phone_masked = p.phone_hash, p.phone_masked
        changed += ["phone_hash", "phone_masked"]
    if p.address and p.address != person.address:
        person.address = p.address
        changed.append("address")
    if changed:
        person.save(update_fields=changed)
    return person


def do_register_petition(actor, inp: PetitionInput):
    """Register a petition (信访登记): the case (located in its grid), its petition details with the
    statutory notice due time, and the petitioners' files (found again or created). Returns the matter."""
    require_staff(actor)
    _choice(inp.channel, Channel, "channel", "来源渠道")
    if inp.channel not in PETITION_CHANNELS:
        raise FieldError("channel", "not_a_petition_channel", "信访登记的渠道应为来信、来访、来电、网上信访或领导信箱",
                         "a petition arrives by letter, visit, phone, online or a leader's mailbox")
    _choice(inp.nature, Nature, "nature", "诉求性质")
    for name in ("level_reached", "responsible_level"):
        value = getattr(inp, name)
        if isinstance(value, bool) or not isinstance(value, int) or value not in PetitionLevel.values:
            raise FieldError(name, "invalid_choice", "层级无效，应为乡镇、县、市、省或国家",
                             f"{name} must be one of {PetitionLevel.values}")
    if isinstance(inp.head_count, bool) or not isinstance(inp.head_count, int) or not 1 <= inp.head_count <= 10000:
        raise FieldError("head_count", "out_of_range", "人数应为 1–10000 的整数", "head_count must be 1-10000")
    people = _people(inp)
    if inp.head_count < len(people):
        raise FieldError("head_count", "fewer_than_people", f"人数不能少于登记的信访人数（{len(people)}）",
                         f"head_count is less than the {len(people)} people registered")
    if inp.level_reached > PetitionLevel.COUNTY and not (inp.assigned_by or "").strip():
        raise FieldError("assigned_by", "required", "到达上级的信访事项须填写交办/转送单位",
                         "a matter that reached a higher level needs the unit that assigned it down")
    received = inp.received_at or timezone.now()
    if timezone.is_naive(received):
        raise FieldError("received_at", "naive_datetime", "收到时间缺少时区", "received_at needs a time zone")
    now = timezone.now()
    case_input = CaseInput(
        client_uuid=inp.client_uuid or uuid.uuid4(), lon=inp.lon, lat=inp.lat, datum=inp.datum,
        category=inp.category, description=(inp.description or "").strip(), channel=inp.channel,
        address=inp.address, contact_name=people[0].name, reported_at=received)
    if not case_input.description:
        raise FieldError("description", "required", "请填写信访诉求", "the petition's request is required")
    with transaction.atomic(), audit_context(actor, "do_register_petition"):
        created = do_create_case(actor, case_input)
        if not created.created:
            raise Conflict("client_uuid", "already_registered", "该登记已提交过", "this registration was already made")
        matter = PetitionMatter.objects.create(
            case=created.case, nature=inp.nature, head_count=inp.head_count, level_reached=inp.level_reached,
            responsible_level=inp.responsible_level, assigned_by=inp.assigned_by.strip()[:100],
            notice_due=add_statutory_days(received, conf.days("NOTICE_DAYS")))
        seen = set()
        for p in people:
            person = _person_for(p, now)
            if person.pk in seen:
                raise FieldError("people", "same_person_twice", "同一人被登记了两次", "the same person is listed twice")
            seen.add(person.pk)
            PetitionParty.objects.create(matter=matter, petitioner=person, role=p.role)
    return matter


def do_decide_acceptance(actor, matter, decision, reason="", legal_basis="", now=None):
    """受理 / 不予受理 / 导入法定途径. Accepting starts the handling clock; refusing or diverting needs the
    reason and the legal basis for the written notice (告知书)."""
    require_staff(actor)
    _choice(decision, Decision, "decision", "受理决定")
    if decision == Decision.PENDING:
        raise FieldError("decision", "invalid_choice", "请选择受理、不予受理或导入法定途径",
                         "choose accepted, rejected or diverted")
    reason, legal_basis = (reason or "").strip(), (legal_basis or "").strip()
    if decision != Decision.ACCEPTED and (not reason or not legal_basis):
        raise FieldError("legal_basis" if reason else "reason", "required",
                         "不予受理或导入法定途径须写明理由和法律依据", "a refusal or diversion needs its reason and legal basis")
    now = now or timezone.now()
    with transaction.atomic(), audit_context(actor, "do_decide_acceptance"):
        locked = PetitionMatter.objects.select_for_update().get(pk=matter.pk)
        if locked.decision != Decision.PENDING:
            raise Conflict("decision", "already_decided", f"该事项已{locked.get_decision_display()}",
                           f"this matter is already {locked.decision}")
        locked.decision, locked.decision_reason, locked.legal_basis = decision, reason, legal_basis[:255]
        locked.decided_at, locked.decided_by = now, actor
        if decision == Decision.ACCEPTED:
            locked.handling_due = add_statutory_days(now, conf.days("HANDLING_DAYS"))
        locked.save()
    return locked


def do_extend_handling(actor, matter, days, approved_by):
    """Extend the handling clock (at most GRIDGOV_PETITION_EXTENSION_DAYS in all), with the approver named."""
    require_staff(actor)
    top = conf.days("EXTENSION_DAYS")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise FieldError("days", "not_positive", "延长天数应为正整数", "days must be a positive whole number")
    if not (approved_by or "").strip():
        raise FieldError("approved_by", "required", "延长办理期限须经负责人批准，请填写批准人",
                         "an extension needs the approving head's name")
    with transaction.atomic(), audit_context(actor, "do_extend_handling"):
        locked = PetitionMatter.objects.select_for_update().get(pk=matter.pk)
        if locked.handling_due is None:
            raise Conflict("decision", "not_accepted", "尚未受理的事项没有办理期限", "the matter has not been accepted")
        if locked.extended_days + days > top:
            raise FieldError("days", "too_long", f"延长期限合计不得超过 {top} 日（已延长 {locked.extended_days} 日）",
                             f"extensions may total at most {top} days ({locked.extended_days} used)")
        locked.handling_due = add_statutory_days(locked.handling_due, days)
        locked.extended_days += days
        locked.save(update_fields=["handling_due", "extended_days"])
    return locked


def do_confirm_repeat(actor, matter, earlier):
    """Staff confirm that `matter` raises again what `earlier` raised (复访/重复访). 首接负责制: the repeat
    keeps the first matter's receiving unit."""
    require_staff(actor)
    if earlier.pk == matter.pk:
        raise FieldError("repeat_of", "same_matter", "不能标记为与自身重复", "a matter cannot repeat itself")
    with transaction.atomic(), audit_context(actor, "do_confirm_repeat"):
        locked = PetitionMatter.objects.select_for_update().get(pk=matter.pk)
        root = PetitionMatter.objects.get(pk=earlier.pk)  # as stored, not as the caller last saw it
        while root.repeat_of_id:  # repeats of repeats count on the first matter
            root = root.repeat_of
        if root.pk == locked.pk:
            raise FieldError("repeat_of", "cycle", "重复关系不能成环", "repeat links cannot form a cycle")
        if not Case.objects.filter(pk=root.pk, received_at__lte=locked.case.received_at).exists():
            raise FieldError("repeat_of", "not_earlier", "只能关联更早的信访事项", "the earlier matter must be older")
        locked.repeat_of = root
        locked.first_unit_id = root.first_unit_id or locked.first_unit_id
        locked.save(update_fields=["repeat_of", "first_unit"])
    return locked


def do_merge_petitioners(actor, keep, other):
    """Two files found to be one person: `other`'s petitions move to `keep`, `other` points at it."""
    require_staff(actor)
    if keep.pk == other.pk:
        raise FieldError("other", "same_person", "不能与自身合并", "cannot merge a file with itself")
    if keep.merged_into_id or other.merged_into_id:
        raise Conflict("other", "already_merged", "已合并的档案不能再合并", "a merged file cannot be merged again")
    if keep.id_hash and other.id_hash and keep.id_hash != other.id_hash:
        raise FieldError("other", "different_id_numbers", "两人的身份证号不同，不是同一人",
                         "the two files have different ID numbers")
    with transaction.atomic():
        shared = set(PetitionParty.objects.filter(petitioner=keep).values_list("matter_id", flat=True))
        PetitionParty.objects.filter(petitioner=other, matter_id__in=shared).delete()
        PetitionParty.objects.filter(petitioner=other).update(petitioner=keep)
        fields = {"merged_into": keep, "id_hash": None, "phone_hash": ""}
        if other.id_hash and not keep.id_hash:
            keep.id_hash, keep.id_masked = other.id_hash, other.id_masked
        if other.phone_hash and not keep.phone_hash:
            keep.phone_hash, keep.phone_masked = other.phone_hash, other.phone_masked
        Petitioner.objects.filter(pk=other.pk).update(**fields)
        keep.save()
    return keep


def do_reply(actor, matter, text, now=None):
    """The written reply (答复意见) to an accepted matter; starts the 复查 request window."""
    require_staff(actor)
    text = (text or "").strip()
    if not text:
        raise FieldError("reply_text", "required", "请填写答复意见", "the reply is required")
    if len(text) > 5000:
        raise FieldError("reply_text", "too_long", "答复意见不超过 5000 字", "the reply is at most 5000 characters")
    now = now or timezone.now()
    with transaction.atomic():
        locked = PetitionMatter.objects.select_for_update().get(pk=matter.pk)
        if locked.decision != Decision.ACCEPTED:
            raise Conflict("decision", "not_accepted", "只有已受理的事项才能答复", "only an accepted matter gets a reply")
        if locked.replied_at is not None:
            raise Conflict("reply_text", "already_replied", "该事项已答复", "this matter was already replied to")
        locked.reply_text, locked.replied_at = text, now
        locked.save(update_fields=["reply_text", "replied_at"])
    return locked


def do_request_review(actor, matter, kind, text, requested_at=None):
    """Record a 复查 (of the reply) or 复核 (of the 复查 opinion) request, refused when out of time."""
    from .models import Review, ReviewKind, ReviewOutcome

    require_staff(actor)
    _choice(kind, ReviewKind, "kind", "类型")
    text = (text or "").strip()
    if not text:
        raise FieldError("request_text", "required", "请填写申请理由", "the request's reasons are required")
    requested_at = requested_at or timezone.now()
    with transaction.atomic():
        locked = PetitionMatter.objects.select_for_update().get(pk=matter.pk)
        if kind == ReviewKind.REVIEW:
            opened = locked.replied_at
            if opened is None:
                raise Conflict("kind", "no_reply", "尚未书面答复，不能申请复查", "no written reply yet to review")
        else:
            first = Review.objects.filter(matter=locked, kind=ReviewKind.REVIEW).first()
            if first is None or first.outcome == ReviewOutcome.PENDING:
                raise Conflict("kind", "no_review_opinion", "尚无复查意见，不能申请复核", "no 复查 opinion yet to re-review")
            opened = first.decided_at
        window = add_statutory_days(opened, conf.days("REVIEW_REQUEST_DAYS"))
        if requested_at >= window:
            raise FieldError("requested_at", "out_of_time",
                             f"已超过申请期限（{conf.days('REVIEW_REQUEST_DAYS')} 日，截至 "
                             f"{timezone.localtime(window):%Y-%m-%d %H:%M}）",
                             "the request comes after its time limit")
        if Review.objects.filter(matter=locked, kind=kind).exists():
            raise Conflict("kind", "already_requested", "该事项已申请过", "this request was already made")
        return Review.objects.create(matter=locked, kind=kind, requested_at=requested_at, request_text=text[:5000],
                                     decision_due=add_statutory_days(requested_at,
                                                                     conf.days("REVIEW_DECISION_DAYS")),
                                     recorded_by=actor)


def do_decide_review(actor, review, outcome, opinion, now=None):
    from .models import Review, ReviewOutcome

    require_staff(actor)
    _choice(outcome, ReviewOutcome, "outcome", "结果")
    if outcome == ReviewOutcome.PENDING:
        raise FieldError("outcome", "invalid_choice", "请选择维持或变更", "choose upheld or changed")
    opinion = (opinion or "").strip()
    if not opinion:
        raise FieldError("opinion", "required", "请填写复查/复核意见", "the opinion is required")
    with transaction.atomic():
        locked = Review.objects.select_for_update().get(pk=review.pk)
        if locked.outcome != ReviewOutcome.PENDING:
            raise Conflict("outcome", "already_decided", "已作出决定", "already decided")
        locked.outcome, locked.opinion, locked.decided_at = outcome, opinion[:5000], now or timezone.now()
        locked.save()
    return locked
