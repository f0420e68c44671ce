"""Parse a GeoReport v2 POST (application/x-www-form-urlencoded or multipart) into plain values.

No database access; problems raise Open311Error (400) naming the field in Chinese and English.
"""
import re
from dataclasses import dataclass, field

from gridgov.cases.inputs import MAX_DESCRIPTION, PHONE_RE
from gridgov.core.errors import FieldError
from gridgov.grids.locate import validate_point

from .errors import Open311Error

ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
MAX_ATTRIBUTE_VALUE = 500


@dataclass
class RequestInput:
    service_code: str
    lon: float | None = None
    lat: float | None = None
    address_string: str = ""
    description: str = ""
    media_url: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    attributes: dict = field(default_factory=dict)  # code → [values]
    media: object = None  # an uploaded photo (multipart `media`, sent by some clients instead of media_url)


def _text(data, name, max_length):
    value = (data.get(name) or "").strip()
    if len(value) > max_length:
        raise Open311Error(400, name, "too_long", f"{name} 过长：{len(value)} 字，上限 {max_length} 字",
                           f"{name} is too long: {len(value)} characters, at most {max_length}")
    return value


def attributes(data):
    found = {}
    for key in data:
        m = ATTRIBUTE_KEY.match(key)
        if not m:
            continue
        values = [v.strip() for v in data.getlist(key) if v.strip()]
        for v in values:
            if len(v) > MAX_ATTRIBUTE_VALUE:
                raise Open311Error(400, key, "too_long", f"{key} 过长", f"{key} is too long")
        if values:
            found.setdefault(m.group(1), []).extend(values)
    return found


def parse_request(data, files=None):
    """data: request.POST (a QueryDict); files: request.FILES (multipart posts)."""
    service_code = _text(data, "service_code", 20)
    if not service_code:
        raise Open311Error(400, "service_code", "required", "缺少 service_code", "service_code is required")
    lat, lon = (data.get("lat") or "").strip(), (data.get("long") or "").strip()
    address = _text(data, "address_string", 255)
    inp = RequestInput(service_code=service_code, address_string=address)
    if lat or lon:
        try:
            inp.lon, inp.lat, _ = validate_point(lon, lat)
        except FieldError as exc:
            name = {"lon": "long"}.get(exc.field, exc.field)
            raise Open311Error(400, name, exc.code, exc.message_zh.replace("（lon）", "（long）"),
                               exc.message_en.replace("lon ", "long "))
    elif not address:
        raise Open311Error(400, "lat", "location_required", "须提供位置：lat/long 或 address_string",
                           "a location is required: lat and long, or address_string")
    inp.description = _text(data, "description", MAX_DESCRIPTION)
    inp.media_url = _text(data, "media_url", 500)
    if inp.media_url and not re.match(r"^https?://", inp.media_url):
        raise Open311Error(400, "media_url", "invalid_url", "media_url 应为 http(s) 地址",
                           "media_url must be an http(s) URL")
    first, last = _text(data, "first_name", 25), _text(data, "last_name", 25)
    inp.contact_name = (last + first).strip()  # 姓在前
    phone = _text(data, "phone", 30)
    if phone and not PHONE_RE.match(phone):
        raise Open311Error(400, "phone", "invalid_phone", f"电话号码格式错误：{phone!r}", f"phone {phone!r} is not a phone number")
    inp.contact_phone = phone
    # email, device_id and account_id are accepted and not stored (no use for them; less personal data kept).
    inp.attributes = attributes(data)
    inp.media = files.get("media") if files else None
    return inp
