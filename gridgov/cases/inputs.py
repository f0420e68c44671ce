"""Parse what a client sends to create or edit a case (JSON or multipart) into plain values.

No database access here; each problem raises FieldError naming the field, in Chinese and English.
Checks that need the database (category, follow-up, grid) are in actions.
"""
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from datetime import timezone as dt_timezone

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from gridgov.errors import FieldError

from .models import Channel, Urgency

MAX_DESCRIPTION = 2000
MAX_NOTE = 2000
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{2,28}$")
TRUE = {"1", "true", "yes", "on", "是"}
FALSE = {"0", "false", "no", "off", "否", ""}


@dataclass
class CaseInput:
    client_uuid: uuid.UUID
    lon: object
    lat: object
    datum: str = "wgs84"
    gps_accuracy_m: float | None = None
    category: str = ""
    description: str = ""
    urgency: str = ""
    channel: str = Channel.GRID_PATROL
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    occurred_at: datetime | None = None
    reported_at: datetime | None = None
    follow_up_of: str = ""
    resolved_on_spot: bool = False
    resolution_note: str = ""
    photos: list = field(default_factory=list)  # UploadedFile
    after_photos: list = field(default_factory=list)


def _get(data, name):
    value = data.get(name)
    if isinstance(value, list):  # QueryDict.get gives the last value already; JSON lists are not wanted
        raise FieldError(name, "not_a_single_value", f"{name} 只能有一个值", f"{name} must be a single value")
    return value


def text(data, name, zh, max_length, required=False):
    value = _get(data, name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FieldError(name, "not_text", f"{zh}应为文本", f"{name} must be text")
    value = value.strip()
    if required and not value:
        raise FieldError(name, "required", f"缺少{zh}（{name}）", f"{name} is required")
    if len(value) > max_length:
        raise FieldError(name, "too_long", f"{zh}过长：{len(value)} 字，上限 {max_length} 字",
                         f"{name} is too long: {len(value)} characters, at most {max_length}")
    return value


def boolean(data, name, zh):
    value = _get(data, name)
    if value is None or isinstance(value, bool):
        return bool(value)
    if str(value).strip().lower() in TRUE:
        return True
    if str(value).strip().lower() in FALSE:
        return False
    raise FieldError(name, "not_boolean", f"{zh}应为 true 或 false", f"{name} must be true or false")


def choice(data, name, zh, choices, default=""):
    value = _get(data, name)
    if value in (None, ""):
        return default
    if value not in choices.values:
        options = "、".join(f"{v}（{lbl}）" for v, lbl in choices.choices)
        raise FieldError(name, "invalid_choice", f"{zh}无效：{value!r}，可选 {options}",
                         f"{name} {value!r} is not one of {', '.join(choices.values)}")
    return value


def moment(data, name, zh, max_skew_s=None, now=None):
    """ISO 8601; a time without offset is read as Asia/Shanghai (settings.TIME_ZONE)."""
    value = _get(data, name)
    if value in (None, ""):
        return None
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise FieldError(name, "invalid_datetime", f"{zh}格式错误：{value!r}，应为 ISO 8601，如 2024-05-01T08:30:00+08:00",
                         f"{name} {value!r} is not an ISO 8601 date-time, e.g. 2024-05-01T08:30:00+08:00")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    try:
        # UTC, as stored: PostgreSQL refuses offsets beyond ±15:59 that Python accepts (e.g. -22:45)
        parsed = parsed.astimezone(dt_timezone.utc)
    except OverflowError:
        parsed = None
    if parsed is None:
        raise FieldError(name, "out_of_range", f"{zh}超出可表示的时间范围：{value!r}",
                         f"{name} {value!r} is outside the representable date-time range")
    now = now or timezone.now()
    if max_skew_s is not None and (parsed - now).total_seconds() > max_skew_s:
        raise FieldError(name, "in_future", f"{zh}晚于当前时间：请检查手机时间", f"{name} is in the future: check the phone's clock")
    return parsed


def number(data, name, zh, minimum, maximum):
    value = _get(data, name)
    if value in (None, ""):
        return None
    try:
        parsed = float(value)
    except (TypeError, ValueError):
        raise FieldError(name, "not_a_number", f"{zh}不是数字：{value!r}", f"{name} is not a number: {value!r}")
    if not minimum <= parsed <= maximum:  # also false for NaN
        raise FieldError(name, "out_of_range", f"{zh}应在 {minimum}–{maximum} 之间", f"{name} must be between {minimum} and {maximum}")
    return parsed


def parse_uuid(value, name="client_uuid"):
    if value in (None, ""):
        raise FieldError(name, "required", "缺少客户端生成的 UUID（client_uuid），用于防止重复提交",
                         "client_uuid is required (generated by the client, it makes retries safe)")
    try:
        return uuid.UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        raise FieldError(name, "invalid_uuid", f"client_uuid 不是有效的 UUID：{value!r}", f"client_uuid {value!r} is not a UUID")


def files(file_data, name):
    if file_data is None:
        return []
    if hasattr(file_data, "getlist"):
        return file_data.getlist(name)
    value = file_data.get(name)
    return [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]


def parse_case_input(data, file_data=None, max_skew_s=600):
    """data: request.data (dict or QueryDict); file_data: request.FILES."""
    if not hasattr(data, "get"):
        raise FieldError(None, "not_an_object", "请求体应为 JSON 对象或表单", "the request body must be a JSON object or a form")
    now = timezone.now()
    phone = text(data, "contact_phone", "联系电话", 30)
    if phone and not PHONE_RE.match(phone):
        raise FieldError("contact_phone", "invalid_phone", f"联系电话格式错误：{phone!r}", f"contact_phone {phone!r} is not a phone number")
    inp = CaseInput(
        client_uuid=parse_uuid(_get(data, "client_uuid")),
        lon=_get(data, "lon"),
        lat=_get(data, "lat"),
        datum=text(data, "datum", "坐标系", 20) or "wgs84",
        gps_accuracy_m=number(data, "gps_accuracy_m", "定位精度", 0, 100_000),
        category=text(data, "category", "分类", 20, required=True),
        description=text(data, "description", "问题描述", MAX_DESCRIPTION),
        urgency=choice(data, "urgency", "紧急程度", Urgency),
        channel=choice(data, "channel", "来源渠道", Channel, default=Channel.GRID_PATROL),
        address=text(data, "address", "地址", 255),
        contact_name=text(data, "contact_name", "联系人姓名", 50),
        contact_phone=phone,
        occurred_at=moment(data, "occurred_at", "发生时间", max_skew_s, now),
        reported_at=moment(data, "reported_at", "上报时间", max_skew_s, now) or now,
        follow_up_of=text(data, "follow_up_of", "重复上报的原案卷编号", 16),
        resolved_on_spot=boolean(data, "resolved_on_spot", "就地解决"),
        resolution_note=text(data, "resolution_note", "处置说明", MAX_NOTE),
        photos=files(file_data, "photos"),
        after_photos=files(file_data, "after_photos"),
    )
    if inp.occurred_at and inp.occurred_at > inp.reported_at:
        raise FieldError("occurred_at", "after_report", "发生时间晚于上报时间", "occurred_at is later than reported_at")
    return inp


def parse_case_changes(data):
    """PATCH body → changes for actions.do_update_case (only the fields present)."""
    if not hasattr(data, "get"):
        raise FieldError(None, "not_an_object", "请求体应为 JSON 对象", "the request body must be a JSON object")
    changes = {}
    limits = {"description": ("问题描述", MAX_DESCRIPTION), "address": ("地址", 255),
              "contact_name": ("联系人姓名", 50), "contact_phone": ("联系电话", 30), "category": ("分类", 20)}
    for name, (zh, max_length) in limits.items():
        if name in data:
            changes[name] = text(data, name, zh, max_length, required=(name == "category"))
    if changes.get("contact_phone") and not PHONE_RE.match(changes["contact_phone"]):
        raise FieldError("contact_phone", "invalid_phone", "联系电话格式错误", "contact_phone is not a phone number")
    if "urgency" in data:
        changes["urgency"] = choice(data, "urgency", "紧急程度", Urgency) or Urgency.NORMAL
    if "status" in data:
        raise FieldError("status", "not_editable", "状态只能通过吹哨、处置、结案等流程改变",
                         "status changes only through the case lifecycle (whistle, handle, close)")
    if "lon" in data or "lat" in data:
        changes["location"] = (_get(data, "lon"), _get(data, "lat"), text(data, "datum", "坐标系", 20) or "wgs84")
    note = text(data, "note", "修改原因", 200)
    if not changes:
        raise FieldError(None, "nothing_to_change", "没有要修改的字段", "no field to change")
    return changes, note
