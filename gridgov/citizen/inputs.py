"""Parse the public form into plain values. No database access; problems raise FieldError naming
the field in Chinese and English. Abuse checks that need no database are here: honeypot, form
stamp (forged / expired / filled too fast), sizes."""
import time
import uuid
from dataclasses import dataclass

from gridgov.cases.inputs import PHONE_RE
from gridgov.core.errors import FieldError

from . import conf
from .tokens import read_stamp

HONEYPOT = "website"
MAX_NAME = 50


class Refused(FieldError):
    """A submission refused as abuse (honeypot, too fast, too many)."""

    status = 429


@dataclass
class CitizenReport:
    grid_code: str
    client_uuid: uuid.UUID
    category: str
    description: str
    contact_name: str = ""
    contact_phone: str = ""
    lon: str = ""
    lat: str = ""
    gps_accuracy_m: float | None = None
    photo: object = None


def _text(data, name, zh, max_length, required=False):
    value = (data.get(name) or "").strip()
    if required and not value:
        raise FieldError(name, "required", f"请填写{zh}", f"{name} is required")
    if len(value) > max_length:
        raise FieldError(name, "too_long", f"{zh}过长：{len(value)} 字，最多 {max_length} 字",
                         f"{name} is too long: {len(value)} characters, at most {max_length}")
    return value


def parse_report(data, files, grid_code, now=None):
    now = now or time.time()
    if (data.get(HONEYPOT) or "").strip():
        raise Refused(HONEYPOT, "honeypot", "提交未被受理：表单中有不应填写的内容。如您是正常使用，请刷新页面重新填写。",
                      "refused: a field that people leave empty was filled in (automated submission)")
    max_age = conf.form_max_age_seconds()
    stamp = read_stamp(data.get("stamp"), max_age)
    if stamp is None or stamp[0] != grid_code or now - stamp[2] > max_age:
        raise FieldError("stamp", "stale_form", "表单已过期或无效，请刷新页面后重新填写",
                         "the form is expired or invalid; reload the page")
    _, client_uuid, served_at = stamp
    if now - served_at < conf.min_fill_seconds():
        raise Refused("stamp", "too_fast", "提交太快了，请确认填写内容后再提交",
                      "the form was sent back too quickly to have been filled in by a person")
    phone = _text(data, "contact_phone", "联系电话", 20)
    if phone and not PHONE_RE.match(phone):
        raise FieldError("contact_phone", "invalid_phone", f"联系电话格式不正确：{phone}", f"{phone!r} is not a phone number")
    photo = files.get("photo") if files else None
    if photo is not None and photo.size > conf.photo_max_bytes():
        limit_mb = conf.photo_max_bytes() // (1024 * 1024)
        raise FieldError("photo", "too_large", f"照片太大，最大 {limit_mb} MB", f"the photo is larger than {limit_mb} MB")
    accuracy = None
    try:
        accuracy = float(data.get("accuracy")) if data.get("accuracy") else None
        accuracy = accuracy if accuracy is not None and 0 <= accuracy <= 100_000 else None
    except ValueError:
        accuracy = None
    return CitizenReport(
        grid_code=grid_code, client_uuid=client_uuid,
        category=_text(data, "category", "问题类型", 20, required=True),
        description=_text(data, "description", "问题描述", conf.description_max_chars(), required=True),
        contact_name=_text(data, "contact_name", "姓名", MAX_NAME), contact_phone=phone,
        lon=(data.get("lon") or "").strip()[:30], lat=(data.get("lat") or "").strip()[:30],
        gps_accuracy_m=accuracy, photo=photo)
